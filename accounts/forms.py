"""Sign-in forms: allauth's own, fitted to residents' phones and to staff passwords.

allauth is told to use them in settings.ACCOUNT_FORMS; accounts/adapter.py hands allauth
the mobile number field. Forms write nothing themselves: allauth's flows and the adapter
do. The forms that request a sign-in code ask the adapter for the account the code goes
to, which registers a number that has none: allauth's views start the code flow with the
user the form found, right after validation, so there is no later place to do it.
"""

import unicodedata

from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.validators import normalise_mobile_number

MOBILE_NUMBER = _("Mobile number")
EMAIL_OR_MOBILE = _("Mobile number or e-mail address")
CODE = _("Code from the text message")
PASSWORD_NEEDED = _("Please enter your password.")
RESET_BY_OFFICE_ADMIN = _(
    "This site sends no e-mail, so it cannot reset your password. Please ask your "
    "office admin to set a new password for you."
)


class MobileNumberField(forms.CharField):
    """A mainland mobile number as people type it, cleaned to E.164."""

    widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", MOBILE_NUMBER)
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        value = super().to_python(value)
        return normalise_mobile_number(value) if value else value


def _looks_like_email(login: str) -> bool:
    return "@" in login


class LoginForm(allauth_forms.LoginForm):
    """One form, two ways in: a mobile number alone (a code follows by SMS) for
    residents, an e-mail address and password for staff.

    allauth drops the password field when sign-up asks for none; it stays here,
    optional, and is required only with an e-mail address: codes go by SMS only, so
    an address never gets one.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"] = forms.CharField(
            label=EMAIL_OR_MOBILE,
            max_length=254,
            widget=forms.TextInput(attrs={"autocomplete": "username"}),
        )
        self.fields["password"].required = False
        self.order_fields(["login", "password"])

    def _setup_password_field(self) -> None:
        """Keep the password field that allauth would remove."""

    def clean_login(self) -> str:
        login = self.cleaned_data["login"].strip()
        if _looks_like_email(login):
            return login.lower()
        return normalise_mobile_number(login)

    def clean(self):
        login = self.cleaned_data.get("login")
        by_code = bool(login) and not _looks_like_email(login)
        if by_code:
            self.cleaned_data["password"] = ""  # residents have none: a code follows
        elif login and not self.cleaned_data.get("password"):
            self.add_error("password", PASSWORD_NEEDED)
        cleaned_data = super().clean()
        if by_code and not self.errors:
            try:
                self.user = get_adapter().get_or_register_resident(login)
            except ValidationError as refused:  # a limit on codes (sms/code_limits.py)
                self.add_error("login", refused)
        return cleaned_data


class RequestLoginCodeForm(allauth_forms.RequestLoginCodeForm):
    """Codes go by SMS only, to any mobile number (a new one is registered)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("email", None)
        self.fields["phone"].required = True

    def clean_phone(self) -> str:
        phone = super().clean_phone()
        self._user = get_adapter().get_or_register_resident(phone)
        return phone


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    """allauth's reset by e-mail, refused where the site cannot send e-mail.

    The page then shows no form (``sends_email``); a post all the same gets the same
    advice, and nothing is sent.
    """

    reset_by_office_admin = RESET_BY_OFFICE_ADMIN

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sends_email = get_adapter().sends_email()

    def clean(self):
        if not self.sends_email:
            raise forms.ValidationError(RESET_BY_OFFICE_ADMIN)
        return super().clean()


class _CodeInput(forms.TextInput):
    """Empty again after a wrong code, so that the page looks as it did before it."""

    def format_value(self, value):
        return None


class _CodeFromAnyKeyboard:
    """A code typed with full-width digits (a Chinese keyboard) counts as the same code."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = CODE
        field.widget = _CodeInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "12"}
        )
        field.widget.is_required = field.required

    def clean_code(self) -> str:
        self.cleaned_data["code"] = unicodedata.normalize("NFKC", self.cleaned_data["code"])
        return super().clean_code()


class ConfirmLoginCodeForm(_CodeFromAnyKeyboard, allauth_forms.ConfirmLoginCodeForm):
    pass


class VerifyPhoneForm(_CodeFromAnyKeyboard, allauth_forms.VerifyPhoneForm):
    pass
