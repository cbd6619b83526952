"""Forms of the resident's booking pages. They parse and validate; services decide.

``NameField`` and ``FreeTextField`` are the fields for what people type, on every form
of the project: they keep what accounts/text.py allows and refuse the rest on the form.
"""

from datetime import datetime, tzinfo

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from accounts.text import TextRefused, clean_name, clean_text
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
MATTER_CONSENT_REQUIRED = _(
    "You wrote about your matter or the other party: tick that you agree to it being "
    "kept, or leave those fields empty."
)
SUMMARY_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 100
OTHER_PARTY_PHONE_REGION = "CN"
# What a resident writes about the matter and the other party: sensitive personal
# information (PIPL art. 28), kept only with its own consent.
MATTER_FIELDS = ("summary", "opposing_party", "opposing_party_phone")


class NameField(forms.CharField):
    """A name or a village: one line, no invisible or control characters, NFKC."""

    def to_python(self, value) -> str:
        value = super().to_python(value)
        try:
            return clean_name(value) if value else value
        except TextRefused as refused:
            raise ValidationError(refused.message, code=refused.code) from None


class FreeTextField(forms.CharField):
    """Free text: line breaks (with ``multiline``) and tabs, nothing invisible."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        value = super().to_python(value)
        try:
            return clean_text(value, multiline=self.multiline) if value else value
        except TextRefused as refused:
            raise ValidationError(refused.message, code=refused.code) from None


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
        """(lawyer id or None, mode or "", day or None); a value that is nonsense is
        ignored on its own (``wrong`` names it), the others still hold."""
        self.is_valid()
        data = self.cleaned_data
        return data.get("lawyer"), data.get("mode", ""), data.get("day")

    def wrong(self) -> set[str]:
        """The names of the filters given in the query but not valid (not a date, a
        lawyer not among those offered, a way of meeting not known)."""
        self.is_valid()
        return {name for name in self.errors if self.data.get(name)}


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
    rest optional. The other party's name and phone feed the conflict check.

    What the matter is about and the other party (``MATTER_FIELDS``) are kept only with
    the separate ``matter_consent``, required when any of them is filled in; the privacy
    notice has its own tick.
    """

    matter_consent_required = MATTER_CONSENT_REQUIRED

    name = NameField(
        label=_("Your name"),
        help_text=_("So that the lawyer and the office know whom they are seeing."),
        max_length=NAME_MAX_LENGTH,
        error_messages={"required": NAME_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    summary = FreeTextField(
        label=_("What is it about? (optional)"),
        help_text=_("A few words help the lawyer prepare. Only your lawyer reads this."),
        required=False,
        max_length=SUMMARY_MAX_LENGTH,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    opposing_party = NameField(
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
    matter_consent = forms.BooleanField(
        label=_(
            "I agree that what I write about my matter and the other party is kept for the "
            "consultation."
        ),
        help_text=_(
            "Asked on its own because it is sensitive: your lawyer reads it to prepare, and "
            "the other party's name and phone are used only to check that your lawyer has "
            "not advised them. Needed only if you fill in these fields; you can withdraw it "
            "under “My data”."
        ),
        required=False,
    )
    needs_interpreter = forms.BooleanField(label=_("I need an interpreter"), required=False)
    dialect = FreeTextField(
        label=_("Dialect or language you prefer (optional)"),
        required=False,
        max_length=100,
    )
    accessibility_needs = FreeTextField(
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

    def clean(self):
        data = super().clean()
        if self.has_matter_details() and not data.get("matter_consent"):
            self.add_error(
                "matter_consent",
                ValidationError(self.matter_consent_required, code="matter_consent"),
            )
        return data

    def has_matter_details(self) -> bool:
        """Whether anything was written about the matter or the other party (cleaned)."""
        return any(self.cleaned_data.get(name) for name in MATTER_FIELDS)

    def booking_fields(self, *, now: datetime) -> dict:
        """The cleaned values that the booking service takes; the matter's consent is
        given ``now`` (when the form is sent to book), and only with details to keep."""
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in (
                *MATTER_FIELDS,
                "needs_interpreter",
                "dialect",
                "accessibility_needs",
                "safe_contact",
            )
        }
        consented = data["matter_consent"] and self.has_matter_details()
        return {**fields, "matter_consent_at": now if consented else None}

    def other_party_phone_display(self) -> str:
        """The other party's phone as people write it: nationally when Chinese."""
        number = self.cleaned_data.get("opposing_party_phone")
        if not isinstance(number, PhoneNumber):
            return ""
        national = number.country_code == phonenumbers.country_code_for_region(
            OTHER_PARTY_PHONE_REGION
        )
        return number.as_national if national else number.as_international
