"""Forms of the desk's walk-in queue. They parse and validate; services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from accounts.forms import MobileNumberField
from booking import selectors
from booking.forms.resident import (
    BAD_OTHER_PARTY_PHONE,
    NAME_MAX_LENGTH,
    OTHER_PARTY_PHONE_REGION,
    NameField,
)
from booking.models import Lawyer, Office, Topic

NAME_OR_PHONE = _("Enter the mobile number, or the name and village of someone without one.")
VILLAGE_NEEDED = _("Without a mobile number, enter the village too.")
WALK_IN_MATTER_CONSENT = _(
    "Ask the person whether the other party may be kept for the conflict check and tick "
    "the box, or leave the other party empty."
)
NEW_RESIDENT = "new"


class ArrivalForm(forms.Form):
    """Who arrived and about what: a mobile number, or a name and village without one.

    ``who`` is the desk's answer when residents of the same name exist: one of their
    ids, or ``NEW_RESIDENT``. The other party is kept only when the person agreed to it
    (``matter_consent``, separate from the privacy notice).
    """

    phone = MobileNumberField(
        label=_("Mobile number"),
        required=False,
        help_text=_("Leave empty if the person has none."),
        # Not the desk's own number from the browser's memory.
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    name = NameField(
        label=_("Name"),
        required=False,
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    village = NameField(
        label=_("Village"),
        required=False,
        max_length=100,
        help_text=_("Needed without a mobile number, to tell namesakes apart."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    topic = forms.ModelChoiceField(
        label=_("Area of law"), queryset=Topic.objects.none(), empty_label=None
    )
    opposing_party = NameField(
        label=_("Name of the other party (optional)"),
        help_text=_("Used only to make sure the lawyer has not advised them."),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    opposing_party_phone = PhoneNumberField(
        label=_("The other party's phone (optional)"),
        required=False,
        region=OTHER_PARTY_PHONE_REGION,
        error_messages={"invalid": BAD_OTHER_PARTY_PHONE},
        widget=RegionalPhoneNumberWidget(
            region=OTHER_PARTY_PHONE_REGION, attrs={"autocomplete": "off"}
        ),
    )
    matter_consent = forms.BooleanField(
        label=_("The person agrees that the other party is kept for the conflict check."),
        help_text=_(
            "Ask separately, only if they named someone: the lawyer who takes them must "
            "not have advised the other party."
        ),
        required=False,
    )
    who = forms.CharField(required=False, widget=forms.HiddenInput, max_length=20)

    def __init__(self, *args, office: Office, **kwargs):
        super().__init__(*args, **kwargs)
        topics = selectors.get_bookable_topics(office=office)
        self.fields["topic"].queryset = topics
        # Read once for the page (the widget would read the query twice).
        self.fields["topic"].choices = [(topic.pk, topic.name) for topic in topics]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        named = data.get("opposing_party") or data.get("opposing_party_phone")
        if named and not data.get("matter_consent"):
            self.add_error(
                "matter_consent", forms.ValidationError(WALK_IN_MATTER_CONSENT, code="consent")
            )
        if not data.get("phone"):
            if not data["name"]:
                raise forms.ValidationError(NAME_OR_PHONE, code="name_or_phone")
            if not data["village"]:
                self.add_error("village", forms.ValidationError(VILLAGE_NEEDED, code="village"))
        return data


class TakeForm(forms.Form):
    """Which lawyer takes the person: one of ``lawyers`` (those offered on the page)."""

    lawyer = forms.ModelChoiceField(label=_("Lawyer"), queryset=Lawyer.objects.none())

    def __init__(self, *args, office: Office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lawyer"].queryset = Lawyer.objects.filter(offices=office).select_related(
            "user"
        )
