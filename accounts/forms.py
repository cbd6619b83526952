"""Sign-in forms: allauth's own, fitted to residents' phones and to staff passwords.

allauth is told to use them in settings.ACCOUNT_FORMS; accounts/adapter.py hands allauth
the mobile number field. No form writes anything: allauth's flows and the adapter do.
"""

import unicodedata

from allauth.account import forms as allauth_forms
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.validators import normalise_mobile_number

MOBILE_NUMBER = _("Mobile number")
EMAIL_OR_MOBILE = _("Mobile number or e-mail address")
CODE = _("Code from the text message")
PASSWORD_NEEDED = _("Please enter your password.")


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
    optional, and is required only with an e-mail address: the site sends no e-mail,
    so an address never gets a code.
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
        if login and _looks_like_email(login):
            if not self.cleaned_data.get("password"):
                self.add_error("password", PASSWORD_NEEDED)
        elif login:
            self.cleaned_data["password"] = ""  # residents have none: a code follows
        return super().clean()


class RequestLoginCodeForm(allauth_forms.RequestLoginCodeForm):
    """Codes go by SMS only: the site sends no e-mail."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("email", None)
        self.fields["phone"].required = True


class _CodeFromAnyKeyboard:
    """A code typed with full-width digits (a Chinese keyboard) counts as the same code."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = CODE
        field.widget.attrs = {
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "maxlength": "12",
        }

    def clean_code(self) -> str:
        self.cleaned_data["code"] = unicodedata.normalize("NFKC", self.cleaned_data["code"])
        return super().clean_code()


class ConfirmLoginCodeForm(_CodeFromAnyKeyboard, allauth_forms.ConfirmLoginCodeForm):
    pass


class VerifyPhoneForm(_CodeFromAnyKeyboard, allauth_forms.VerifyPhoneForm):
    pass
