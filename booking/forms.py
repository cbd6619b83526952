"""Forms of the resident's booking pages. They parse and validate; services decide."""

from datetime import datetime, tzinfo

import phonenumbers
from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from booking.models import Lawyer, Mode
from booking.picker import parse_start

ANY_MODE = _("In person or by phone")
ANY_LAWYER = _("Any lawyer")
BAD_START = _("Please choose one of the times offered.")
PRIVACY_REQUIRED = _("Please read the privacy notice and tick the box to book.")
NAME_REQUIRED = _("Please enter your name.")
BAD_OTHER_PARTY_PHONE = _(
    "This is not a phone number that can be called. Enter it as you would dial it, for "
    "example 13800138000 or 0731-12345678, or leave it empty."
)
SUMMARY_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 100
OTHER_PARTY_PHONE_REGION = "CN"


class SlotFilterForm(forms.Form):
    """Which times to show: of one lawyer or of any, in one mode or both, from which day."""

    lawyer = forms.TypedChoiceField(label=_("Lawyer"), required=False, coerce=int, empty_value=None)
    mode = forms.ChoiceField(label=_("How"), required=False)
    day = forms.DateField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, lawyers: list[Lawyer], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lawyer"].choices = [("", ANY_LAWYER)] + [
            (lawyer.pk, str(lawyer.user)) for lawyer in lawyers
        ]
        self.fields["mode"].choices = [("", ANY_MODE), *Mode.choices]

    def filters(self) -> tuple[int | None, str, object]:
        """(lawyer id or None, mode or "", day or None); nonsense in the query is ignored."""
        if not self.is_valid():
            return None, "", None
        data = self.cleaned_data
        return data["lawyer"], data["mode"], data["day"]


class ChosenSlotForm(forms.Form):
    """A time picked on the slot page, carried in links and hidden fields."""

    start = forms.CharField(widget=forms.HiddenInput, max_length=16)
    mode = forms.ChoiceField(widget=forms.HiddenInput, choices=Mode.choices)
    lawyer = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, tz: tzinfo, **kwargs):
        self.tz = tz
        super().__init__(*args, **kwargs)

    def clean_start(self) -> datetime:
        start = parse_start(self.cleaned_data["start"], self.tz)
        if start is None:
            raise forms.ValidationError(BAD_START, code="bad_start")
        return start


class DetailsForm(forms.Form):
    """What the resident tells the office before the consultation: their name, and the
    rest optional. The other party's name and phone feed the conflict check."""

    name = forms.CharField(
        label=_("Your name"),
        help_text=_("So that the lawyer and the office know whom they are seeing."),
        max_length=NAME_MAX_LENGTH,
        error_messages={"required": NAME_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    summary = forms.CharField(
        label=_("What is it about? (optional)"),
        help_text=_("A few words help the lawyer prepare. Only your lawyer reads this."),
        required=False,
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    opposing_party = forms.CharField(
        label=_("Name of the other party (optional)"),
        help_text=_(
            "The person or company your matter is against. Used only to make sure your "
            "lawyer has not advised them."
        ),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # Any number that can be called, landlines and numbers abroad too; without a country
    # code it is read as Chinese, as the site's other phone fields.
    opposing_party_phone = PhoneNumberField(
        label=_("The other party's phone (optional)"),
        help_text=_("If you know it. Used only for the same check as the name."),
        required=False,
        region=OTHER_PARTY_PHONE_REGION,
        error_messages={"invalid": BAD_OTHER_PARTY_PHONE},
        # No autocomplete: the browser would offer the resident's own number.
        widget=RegionalPhoneNumberWidget(
            region=OTHER_PARTY_PHONE_REGION, attrs={"autocomplete": "off"}
        ),
    )
    needs_interpreter = forms.BooleanField(label=_("I need an interpreter"), required=False)
    dialect = forms.CharField(
        label=_("Dialect or language you prefer (optional)"),
        required=False,
        max_length=100,
    )
    accessibility_needs = forms.CharField(
        label=_("Anything that would make the visit easier for you (optional)"),
        help_text=_("For example: wheelchair access, someone to read documents aloud."),
        required=False,
        max_length=300,
    )
    safe_contact = forms.BooleanField(
        label=_("Contact me discreetly"),
        help_text=_(
            "Text messages will show only the time and the reference code, without the "
            "name of the office or the matter."
        ),
        required=False,
    )
    privacy_accepted = forms.BooleanField(
        label=_("I have read the privacy notice and agree."),
        error_messages={"required": PRIVACY_REQUIRED},
    )

    def booking_fields(self) -> dict:
        """The cleaned values that the booking service takes."""
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "summary",
                "opposing_party",
                "opposing_party_phone",
                "needs_interpreter",
                "dialect",
                "accessibility_needs",
                "safe_contact",
            )
        }

    def other_party_phone_display(self) -> str:
        """The other party's phone as people write it: nationally when Chinese."""
        number = self.cleaned_data.get("opposing_party_phone")
        if not isinstance(number, PhoneNumber):
            return ""
        national = number.country_code == phonenumbers.country_code_for_region(
            OTHER_PARTY_PHONE_REGION
        )
        return number.as_national if national else number.as_international
