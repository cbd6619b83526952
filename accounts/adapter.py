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

How many codes go is decided in sms/code_limits.py. The adapter asks those limits before
a number is registered, so that a refused number gets the same answer, on the form,
whether it has an account or not; tells them whether this browser has signed in with
the number before (``KNOWN_BROWSER_COOKIE``, set at each resident's sign-in), which is
what keeps strangers from using up a resident's codes; puts refusals in the security log;
words allauth's own limits so that they say until when and what else to do; and keeps,
with each code that goes, the number and the ``next`` of the sign-in in progress
(accounts/sign_in.py).

Known limits: the pages look the same for a staff member's number, which gets no code,
and for a resident's, but a staff number never reaches the limits per number, which
count codes sent; a new number costs a few queries more than a known one when its first
code is asked for (it is registered then); a number that already has an account gets no
SMS saying so at sign-up (allauth's ``send_account_already_exists_sms``), and the code
page there says to sign in instead. A pending account lives for ``services.PENDING_FOR``
from when it was made or last asked for a code, and is deleted only when someone next
asks for a code or signs up.

Chapter: docs/trust.md#signing-in.
"""

import datetime as dt
import logging

from allauth.account import stages
from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.core.exceptions import ImmediateHttpResponse, RateLimited
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts import security, services, sign_in
from accounts.forms import MobileNumberField
from accounts.models import Role, User
from sms.code_limits import format_until
from sms.services import SmsLimitReached, check_login_code, send_login_code

logger = logging.getLogger(__name__)

INCORRECT_CODE = _("That code is not right. Please check the text message and try again.")
TOO_MANY_ATTEMPTS = _(
    "Too many sign-in attempts from this network. Please try again after %(time)s, or ask "
    "your office admin."
)
TOO_MANY_REQUESTS = _(
    "Too many requests from this network. Please try again after %(time)s, or call the office."
)
# allauth's "too many attempts", where it means something else.
CODE_TRIES_USED = _(
    "The code was typed wrongly too often and no longer works. Please ask for a new code "
    "here, or call the office."
)
CODES_ASKED_TOO_FAST = _(
    "Codes are being asked for too fast from this network. Please try again after "
    "%(time)s, or call the office."
)
CODE_PAGES = {"account_confirm_login_code", "account_verify_phone"}
CODE_REQUEST_PAGES = {"account_login", "account_request_login_code"}

# Browsers that have signed in with a number are its owner's (sms/code_limits.py): a
# signed cookie holds keyed digests of the last few numbers signed in with, no number.
KNOWN_BROWSER_COOKIE = "known_numbers"
KNOWN_BROWSER_SALT = "accounts.adapter.known-numbers"
KNOWN_BROWSER_FOR = dt.timedelta(days=365)
KNOWN_NUMBERS_KEPT = 5


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


def _number_digest(phone: str) -> str:
    return salted_hmac(KNOWN_BROWSER_SALT, phone, algorithm="sha256").hexdigest()[:16]


def _known_digests(request) -> list[str]:
    if request is None:
        return []
    value = request.get_signed_cookie(
        KNOWN_BROWSER_COOKIE,
        default="",
        salt=KNOWN_BROWSER_SALT,
        max_age=KNOWN_BROWSER_FOR.total_seconds(),
    )
    return [digest for digest in value.split(".") if digest]


class AccountAdapter(DefaultAccountAdapter):
    @property
    def error_messages(self) -> dict:
        """allauth's messages, ours saying until when and what else to do.

        allauth's limits here are per network and minute (ACCOUNT_RATE_LIMITS), so they
        free within the minute. Its "too many attempts" means, on a code page, a code
        typed wrongly too often; where a code is asked for, its limit for asking.
        """
        soon = format_until(timezone.now() + dt.timedelta(minutes=1))
        errors = {
            **DefaultAccountAdapter.error_messages,
            "incorrect_code": INCORRECT_CODE,
            "too_many_login_attempts": TOO_MANY_ATTEMPTS % {"time": soon},
            "rate_limited": TOO_MANY_REQUESTS % {"time": soon},
        }
        request = self.request
        page = getattr(getattr(request, "resolver_match", None), "url_name", None)
        if page in CODE_PAGES:
            errors["too_many_login_attempts"] = CODE_TRIES_USED
        elif page in CODE_REQUEST_PAGES and not request.POST.get("password"):
            errors["too_many_login_attempts"] = CODES_ASKED_TOO_FAST % {"time": soon}
        return errors

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

    def post_login(self, request, user, **kwargs):
        """After a resident's sign-in this browser is known to hold the number, so that
        strangers asking for its codes cannot use up those kept for it."""
        response = super().post_login(request, user, **kwargs)
        sign_in.forget(request)
        if response is not None and signs_in_by_code(user) and user.phone:
            digest = _number_digest(user.phone.as_e164)
            known = [digest, *(d for d in _known_digests(request) if d != digest)]
            response.set_signed_cookie(
                KNOWN_BROWSER_COOKIE,
                ".".join(known[:KNOWN_NUMBERS_KEPT]),
                salt=KNOWN_BROWSER_SALT,
                max_age=int(KNOWN_BROWSER_FOR.total_seconds()),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def known_browser(self, phone: str) -> bool:
        """Whether this browser has signed in with ``phone`` before."""
        return _number_digest(phone) in _known_digests(self.request)

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

        The code's limits are asked first, for every number alike: a refused number is
        refused on the form, with the same words whether it has an account or not, and
        no pending account is made for a code that would not go.
        """
        ip = self.get_client_ip(self.request)
        try:
            check_login_code(phone=phone, ip=ip, known_browser=self.known_browser(phone))
        except SmsLimitReached as refused:
            services.record_refused_code(refusal=refused.refusal, phone=phone, ip=ip)
            raise ValidationError(refused.message) from None
        return services.get_or_register_resident(phone=phone, language=translation.get_language())

    def send_verification_code_sms(self, user: User, phone: str, code: str, **kwargs) -> None:
        """Queue the code in the outbox; a refusal by the SMS limits is shown on the page.

        allauth sends from inside its flows, after the form was valid, so the refusal
        comes back the way allauth reports its own refusals there: an error message
        and the page again (ImmediateHttpResponse, which allauth's views and
        middleware return as the response).
        """
        request = self.request
        page = getattr(getattr(request, "resolver_match", None), "url_name", None)
        new_sign_in = page not in CODE_PAGES
        if not signs_in_by_code(user):
            logger.info("No sign-in code by SMS for staff user %s.", user.pk)
            # Kept all the same, so that the pages after it do not tell staff apart.
            sign_in.remember(request, phone=phone, new_sign_in=new_sign_in)
            return
        ip = self.get_client_ip(request)
        try:
            send_login_code(
                phone=phone,
                code=code,
                language=translation.get_language(),
                ip=ip,
                known_browser=self.known_browser(phone),
            )
        except SmsLimitReached as refused:
            services.record_refused_code(refusal=refused.refusal, phone=phone, ip=ip)
            self.add_message(request, messages.ERROR, message=refused.message)
            raise ImmediateHttpResponse(HttpResponseRedirect(request.get_full_path())) from None
        # Only once the code is queued: a refused one must leave allauth's state unsaved.
        sign_in.remember(request, phone=phone, new_sign_in=new_sign_in)
