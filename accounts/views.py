"""allauth's sign-in page and code pages (sign-in and sign-up), keeping the sign-in in
progress (accounts/sign_in.py).

Routed instead of allauth's own, at the same paths and names (accounts/urls.py). They only
change where allauth would lose the resident's way: an expired code, a code typed
wrongly too often, a page reloaded, a new code; what allauth does otherwise is its own.
"""

from allauth.account import app_settings
from allauth.account.views import ConfirmLoginCodeView as AllauthConfirmLoginCodeView
from allauth.account.views import LoginView as AllauthLoginView
from allauth.account.views import verify_phone as allauth_verify_phone
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import sign_in

CODE_EXPIRED = _(
    "That code has expired: a code works for %(minutes)s minutes. Please ask for a new "
    "one here; your number is filled in."
)
CODE_PAGE_LEFT = _("That sign-in has ended. Please ask for a new code here.")


def _hidden_next(next_url: str) -> str:
    return format_html('<input type="hidden" name="next" value="{}">', next_url) if next_url else ""


def _start_again(request, *, timeout: int) -> HttpResponseRedirect:
    """The code expired or the sign-in ended: the sign-in page, saying so."""
    if sign_in.kept_phone(request):
        message = str(CODE_EXPIRED) % {"minutes": timeout // 60}
    else:
        message = str(CODE_PAGE_LEFT)
    messages.error(request, message)
    return HttpResponseRedirect(sign_in.start_again(request))


class LoginView(AllauthLoginView):
    """allauth's sign-in page, the number filled in when a sign-in starts again."""

    def get_initial(self) -> dict:
        initial = super().get_initial()
        phone = sign_in.phone_to_fill_in(self.request)
        if phone:
            initial["login"] = phone
        return initial


class ConfirmLoginCodeView(AllauthConfirmLoginCodeView):
    """allauth's code page; its dead ends lead back to the sign-in with number and next."""

    def dispatch(self, request, *args, **kwargs):
        if (
            not request.user.is_authenticated
            and not sign_in.code_is_pending(request)
            and sign_in.has_something_to_keep(request)
        ):
            return _start_again(request, timeout=app_settings.LOGIN_BY_CODE_TIMEOUT)
        return super().dispatch(request, *args, **kwargs)  # allauth's, with nothing to keep

    def get_next_url(self):
        return sign_in.next_url(self.request)

    def passthrough_next_url(self, url):
        return sign_in.with_next(url, sign_in.next_url(self.request))

    def _resend_form_valid(self, form):
        sent_before = self._process.state["resend_count"]
        response = super()._resend_form_valid(form)
        if self._process.state["resend_count"] > sent_before:
            sign_in.restart_code_clock(self.stage)
            self._process.persist()
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if isinstance(response, HttpResponseRedirect):
            # The code's tries are used up (allauth has said so): the same sign-in
            # page again, with the number and the way on.
            return HttpResponseRedirect(sign_in.start_again(self.request))
        return response

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        next_url = sign_in.next_url(self.request)
        context.update(
            {
                "redirect_field": _hidden_next(next_url),
                "code_action_url": sign_in.with_next(
                    reverse("account_confirm_login_code"), next_url
                ),
                "start_again_url": sign_in.with_next(reverse("account_login"), next_url),
            }
        )
        return context


def verify_phone(request):
    """allauth's page for the code of a sign-up; its dead ends, as the sign-in's above.

    A signed-in user confirming a new number is allauth's alone.
    """
    if request.user.is_authenticated:
        return allauth_verify_phone(request)
    if not sign_in.code_is_pending(request, sign_up=True) and sign_in.has_something_to_keep(
        request
    ):
        return _start_again(request, timeout=app_settings.PHONE_VERIFICATION_TIMEOUT)
    resent = sign_in.codes_resent(request, sign_up=True)
    response = allauth_verify_phone(request)
    if sign_in.codes_resent(request, sign_up=True) > resent:
        sign_in.restart_sign_up_code_clock(request)
    if isinstance(response, HttpResponseRedirect) and response.url == reverse("account_login"):
        # The code's tries are used up (allauth has said so).
        return HttpResponseRedirect(sign_in.start_again(request))
    return response


login = LoginView.as_view()
confirm_login_code = ConfirmLoginCodeView.as_view()
