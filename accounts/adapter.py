"""The one place where allauth's behaviour is changed for this site.

Residents sign up and sign in with a mobile number and a code sent by SMS (through the
outbox in sms/); the number lives on ``User.phone``. Staff (lawyers, desk, office
admins, and anyone who may use the admin site) sign in with e-mail and password, and TOTP
when they have set it up: they never get a code by SMS, and their number, if any, is not
one allauth verifies.

Known limits: a number without an account, or one that already has an account at
sign-up, gets no SMS telling its holder so (allauth's ``send_unknown_account_sms`` and
``send_account_already_exists_sms``), because sms/ has no such message yet; the pages
say what to do when no code comes. A sign-up whose code cannot be sent (SMS limits)
keeps its unverified account, which then signs in by code like any other.
"""

import logging

from allauth.account import stages
from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.core.exceptions import ImmediateHttpResponse, RateLimited
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.forms import MobileNumberField
from accounts.models import Role, User
from sms.services import SmsLimitReached, send_login_code

logger = logging.getLogger(__name__)

INCORRECT_CODE = _("That code is not right. Please check the text message and try again.")
TOO_MANY_ATTEMPTS = _("Too many tries. Please wait a few minutes and try again.")
TOO_MANY_REQUESTS = _("Too many requests. Please wait a minute and try again.")


def signs_in_by_code(user: User) -> bool:
    """Only residents get sign-in codes by SMS; staff use a password (and TOTP)."""
    return user.role == Role.RESIDENT and not user.is_staff and not user.is_superuser


class PhoneVerificationStage(stages.PhoneVerificationStage):
    """allauth's check that the number is verified, with two changes.

    Users who have no number on file for it (staff) pass: allauth would otherwise end
    their sign-in, as sign-up requires a number. And allauth's rate limit on sending
    the code ("verify_phone"), which it raises here without catching, ends the sign-up
    with a message instead of a server error.
    """

    def handle(self):
        adapter = get_adapter()
        user = self.login.user
        if user is not None and adapter.get_phone(user) is None:
            return None, True
        try:
            return super().handle()
        except RateLimited:
            adapter.add_message(
                self.request, messages.ERROR, message=adapter.error_messages["rate_limited"]
            )
            return HttpResponseRedirect(reverse("account_signup")), False


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "incorrect_code": INCORRECT_CODE,
        "too_many_login_attempts": TOO_MANY_ATTEMPTS,
        "rate_limited": TOO_MANY_REQUESTS,
    }

    def get_login_stages(self) -> list[str]:
        return [
            f"{__name__}.PhoneVerificationStage"
            if path == "allauth.account.stages.PhoneVerificationStage"
            else path
            for path in super().get_login_stages()
        ]

    def phone_form_field(self, **kwargs) -> MobileNumberField:
        kwargs.pop("label", None)  # allauth's "Phone" would read as "landline" too
        return MobileNumberField(**kwargs)

    def save_user(self, request, user, form, commit=True):
        """A sign-up makes a resident, speaking the language of the page they used."""
        phone = form.cleaned_data["phone"]
        language = translation.get_language()
        if not commit:
            user.phone, user.role, user.preferred_language = phone, Role.RESIDENT, language
            return user
        return services.register_resident(phone=phone, language=language)

    def set_phone(self, user: User, phone: str, verified: bool) -> None:
        services.set_phone(user=user, phone=phone, verified=verified)

    def get_phone(self, user: User) -> tuple[str, bool] | None:
        if not user.phone or not signs_in_by_code(user):
            return None
        return user.phone.as_e164, user.phone_verified

    def set_phone_verified(self, user: User, phone: str) -> None:
        services.mark_phone_verified(user=user, phone=phone)

    def get_user_by_phone(self, phone: str) -> User | None:
        # Any role: a staff member's number is taken too, but gets no code (below).
        return User.objects.filter(phone=phone).first()

    def send_verification_code_sms(self, user: User, phone: str, code: str, **kwargs) -> None:
        """Queue the code in the outbox; a refusal by the SMS limits is shown on the page.

        allauth sends from inside its flows, after the form was valid, so the refusal
        comes back the way allauth reports its own refusals there: an error message
        and the page again (ImmediateHttpResponse, which allauth's views and
        middleware return as the response).
        """
        if not signs_in_by_code(user):
            logger.info("No sign-in code by SMS for staff user %s.", user.pk)
            return
        request = self.request
        try:
            send_login_code(
                phone=phone,
                code=code,
                language=translation.get_language(),
                ip=self.get_client_ip(request),
            )
        except SmsLimitReached as refused:
            self.add_message(request, messages.ERROR, message=refused.message)
            raise ImmediateHttpResponse(HttpResponseRedirect(request.get_full_path())) from None
