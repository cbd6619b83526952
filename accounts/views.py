"""allauth's sign-in and code pages, keeping the sign-in in progress (accounts/sign_in.py).

Routed ahead of allauth's own, at the same paths and names (accounts/urls.py). They only
change where allauth would lose the resident's way: an expired code, a code typed
wrongly too often, a page reloaded, a new code; what allauth does otherwise is its own.
"""

from allauth.account import app_settings
from allauth.account.views import ConfirmLoginCodeView as AllauthConfirmLoginCodeView
from allauth.account.views import LoginView as AllauthLoginView
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
        if not request.user.is_authenticated and not sign_in.code_is_pending(request):
            return self._start_again(request)
        return super().dispatch(request, *args, **kwargs)

    def _start_again(self, request):
        """The code expired or the sign-in ended (allauth forgets it on its next look)."""
        if sign_in.kept_phone(request):
            minutes = app_settings.LOGIN_BY_CODE_TIMEOUT // 60
            message = CODE_EXPIRED % {"minutes": minutes}
        else:
            message = CODE_PAGE_LEFT
        messages.error(request, message)
        return HttpResponseRedirect(sign_in.start_again(request))

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


login = LoginView.as_view()
confirm_login_code = ConfirmLoginCodeView.as_view()
