"""The one place where allauth's behaviour is changed for this site.

Residents sign in with a mobile number and a code sent by SMS (through the outbox in
sms/); the number lives on ``User.phone``. As on most Chinese sites, signing in with a
number that has no account yet signs the resident up: the number gets a code like any
other, and entering it confirms a new resident account, in the language of the page.
allauth's code flow needs a user to send the code to and to sign in, so that account is
made when the code is requested, pending until the code is entered, and deleted if it
never is (accounts/services.py). The sign-up page does the same. Staff (lawyers, desk,
office admins, and anyone who may use the admin site) sign in with e-mail and password,
and TOTP when they have set it up: they never get a code by SMS, and their number, if
any, is not one allauth verifies. They reset a forgotten password by e-mail only where
e-mail is configured (``EMAIL_HOST``); otherwise an office admin sets a new one in the
admin.

Known limits: the pages look the same for a staff member's number, which gets no code,
and for a resident's; a number that already has an account gets no SMS saying so at
sign-up (allauth's ``send_account_already_exists_sms``), and the code page there says
to sign in instead. A pending account lives for ``services.PENDING_FOR`` from when it
was made or last asked for a code, and is deleted only when someone next asks for a code
or signs up.
"""

import logging

from allauth.account import stages
from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.core.exceptions import ImmediateHttpResponse, RateLimited
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts import security, services
from accounts.forms import MobileNumberField
from accounts.models import Role, User
from sms.services import (
    TOO_MANY_CODES_FROM_HERE,
    SmsLimitReached,
    codes_from_ip_exhausted,
    send_login_code,
)

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

    def sends_email(self) -> bool:
        """Whether a mail server is configured: the office's own server has none."""
        return bool(settings.EMAIL_HOST)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Send allauth's e-mail only where there is a server to send it.

        The pages that would send (password reset) say so themselves when there is
        none; this keeps any other path from failing on a missing server.
        """
        if not self.sends_email():
            logger.warning("No e-mail %s sent: EMAIL_HOST is not set.", template_prefix)
            return
        super().send_mail(template_prefix, email, context)

    def get_login_redirect_url(self, request) -> str:
        """Staff start where their work is: lawyers at their agenda, the desk at the
        day sheet; residents (and anyone else) at the home page. ``?next=`` wins."""
        role = getattr(request.user, "role", None)
        if role == Role.LAWYER:
            return reverse("booking:agenda")
        if role in (Role.DESK, Role.OFFICE_ADMIN):
            return reverse("booking:desk_day")
        return super().get_login_redirect_url(request)

    # Staff passwords: wrong ones lock the address for a while (accounts/security.py).
    def pre_authenticate(self, request, **credentials) -> None:
        super().pre_authenticate(request, **credentials)  # allauth's limit per client
        login = credentials.get("email") or credentials.get("username") or ""
        try:
            self._password_attempt = security.begin_password_attempt(request=request, login=login)
        except security.SignInLocked as locked:
            raise ValidationError(locked.message, code="sign_in_locked") from None

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None:
            security.password_accepted(self._password_attempt)
        return user

    def authentication_failed(self, request, **credentials) -> None:
        security.password_refused(self._password_attempt)

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

    def get_or_register_resident(self, phone: str) -> User:
        """Whom a sign-in code for ``phone`` goes to, a new pending resident if no one.

        Called by the forms that request a code, once allauth's own checks (number,
        rate limits) have passed: allauth starts the code flow with the user they found,
        and with none it sends no code. A pending account found here gets its time
        again, so that it outlives the code.
        """
        # A network that has had its codes for the hour registers no new numbers either:
        # the code would be refused, and the account left pending for nothing.
        if not User.objects.filter(phone=phone).exists() and codes_from_ip_exhausted(
            ip=self.get_client_ip(self.request)
        ):
            raise ValidationError(TOO_MANY_CODES_FROM_HERE)
        return services.get_or_register_resident(phone=phone, language=translation.get_language())

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
