"""Forms of the desk's booking pages: finding the resident, and the booking itself.

They parse and validate; the views call the services. The booking form reuses the
resident's ``DetailsForm`` (the same fields reach ``book_appointment``) with words for
the desk, who fill it in while the resident answers.
"""

from datetime import datetime, tzinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.validators import normalise_mobile_number
from booking.forms.resident import NAME_MAX_LENGTH, DetailsForm, FreeTextField, NameField
from booking.models import Mode
from booking.picker import parse_start

VILLAGE_MAX_LENGTH = 100
# The desk may note a line or two; the resident tells the lawyer the rest.
DESK_SUMMARY_MAX_LENGTH = 500

PHONE_OR_NAME = _(
    "Enter the resident's mobile number, or their full name and village if they have none."
)
VILLAGE_TO_FIND = _(
    "Without a mobile number, enter the village too: the full name and the village are "
    "needed to find or register someone."
)
NAME_TO_REGISTER = _("Enter the resident's name to register them.")
CHOOSE_A_TIME = _("Please choose one of the free times.")
TOLD_ABOUT_PRIVACY = _("Please tell the resident how their details are used, then tick the box.")
DESK_MATTER_CONSENT = _(
    "Ask the resident whether what they said about the matter and the other party may be "
    "kept, and tick the box; or leave those fields empty."
)


class FindResidentForm(forms.Form):
    """Whom the desk books for: a whole mobile number, or the full name and the village
    without one (booking/desk_residents.py finds nobody by part of either)."""

    phone = forms.CharField(
        label=_("Mobile number"),
        help_text=_("As the resident says it, for example 139 1234 5678."),
        required=False,
        max_length=30,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "off", "autofocus": True}
        ),
    )
    name = NameField(
        label=_("Name"),
        help_text=_("The full name: part of a name finds no one."),
        required=False,
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    village = NameField(
        label=_("Village"),
        help_text=_("Needed with the name when the resident has no mobile number."),
        required=False,
        max_length=VILLAGE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def focus(self, name: str) -> None:
        """Start the page in field ``name`` instead of the number (the page's next step)."""
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)
        self.fields[name].widget.attrs["autofocus"] = True

    def clean_phone(self) -> str:
        typed = self.cleaned_data["phone"].strip()
        return normalise_mobile_number(typed) if typed else ""

    def clean(self):
        data = super().clean()
        if "phone" in data and not data["phone"]:
            if not data.get("name", "").strip():
                raise ValidationError(PHONE_OR_NAME, code="phone_or_name")
            if "village" in data and not data["village"].strip():
                self.add_error("village", ValidationError(VILLAGE_TO_FIND, code="village"))
        return data


class DeskBookingForm(DetailsForm):
    """The time and what the resident says; the name only when their account has none.

    ``slot`` is ``YYYY-MM-DDTHH:MM|mode`` in the office's time zone, one of the radio
    buttons of the page (whether it is still free is the booking's business).
    """

    matter_consent_required = DESK_MATTER_CONSENT

    slot = forms.CharField(error_messages={"required": CHOOSE_A_TIME})
    name = NameField(
        label=_("Resident's name"),
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    summary = FreeTextField(
        label=_("What it is about (optional)"),
        help_text=_(
            "Only if the resident wants to say it now: only the lawyer reads it, the desk's "
            "pages never show it again."
        ),
        required=False,
        max_length=DESK_SUMMARY_MAX_LENGTH,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    field_order = ["slot", "name"]
    # The resident's own questions (``DetailsForm``), in the words of the desk.
    words = {
        "opposing_party": {
            "label": _("Name of the other party (optional)"),
            "help_text": _(
                "The person or company the matter is against. Used only to make sure the "
                "lawyer has not advised them."
            ),
        },
        "matter_consent": {
            "label": _(
                "The resident agrees that what they said about the matter and the other "
                "party is kept for the consultation."
            ),
            "help_text": _(
                "Ask separately, only if they said something: the lawyer reads it to "
                "prepare, and the other party is used only for the conflict check."
            ),
        },
        "needs_interpreter": {"label": _("Needs an interpreter")},
        "dialect": {"label": _("Dialect or language (optional)")},
        "accessibility_needs": {"label": _("Help needed for the visit (optional)")},
        "safe_contact": {
            "label": _("Contact discreetly"),
            "help_text": _(
                "Text messages show only the time and the reference code; the slip leaves "
                "out the name of the office."
            ),
        },
        "privacy_accepted": {
            "label": _("I have told the resident how their details are used (privacy notice).")
        },
    }

    def __init__(self, *args, tz: tzinfo, needs_name: bool, **kwargs):
        self.tz = tz
        super().__init__(*args, **kwargs)
        for name, words in self.words.items():
            for attribute, text in words.items():
                setattr(self.fields[name], attribute, text)
        self.fields["privacy_accepted"].error_messages["required"] = TOLD_ABOUT_PRIVACY
        if not needs_name:
            del self.fields["name"]

    def clean_slot(self) -> tuple[datetime, str]:
        value = self.cleaned_data["slot"]
        start_text, _bar, mode = value.partition("|")
        start = parse_start(start_text, self.tz)
        if start is None or mode not in Mode.values:
            raise ValidationError(CHOOSE_A_TIME, code="bad_slot")
        return start, mode
