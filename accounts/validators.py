"""Validation of the mobile numbers that residents sign in with and receive SMS on."""

import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NOT_A_MOBILE_NUMBER = _("Please enter a mobile phone number; landline numbers cannot receive SMS.")
REGION_NOT_SERVED = _("Only mobile numbers of mainland China can be used here.")

MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def validate_mobile_number(value) -> None:
    """Refuse numbers that cannot receive SMS or lie outside the served regions."""
    if value is None or value == "":
        return
    number = (
        value
        if isinstance(value, phonenumbers.PhoneNumber)
        else phonenumbers.parse(str(value), settings.PHONENUMBER_DEFAULT_REGION)
    )
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(NOT_A_MOBILE_NUMBER, code="invalid_mobile")
    if phonenumbers.region_code_for_number(number) not in settings.MOBILE_NUMBER_REGIONS:
        raise ValidationError(REGION_NOT_SERVED, code="region_not_served")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise ValidationError(NOT_A_MOBILE_NUMBER, code="not_mobile")


def normalise_mobile_number(typed: str) -> str:
    """A mobile number as people type it, in E.164 (``+8613800138000``), or refused.

    Spaces, dashes and brackets, ``+86`` or ``0086`` in front, and full-width digits
    from a Chinese keyboard are all accepted.
    """
    text = unicodedata.normalize("NFKC", typed or "").strip()
    try:
        number = phonenumbers.parse(text, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(NOT_A_MOBILE_NUMBER, code="invalid_mobile") from None
    validate_mobile_number(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
