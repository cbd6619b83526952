"""Forms of the lawyer's pages: outcome, private note, a follow-up for the office."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.forms.resident import FreeTextField
from booking.models import Status

INVITE_DATE_PAST = _("Choose a date from today on.")


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[(Status.ATTENDED, _("Came")), (Status.NO_SHOW, _("Did not come"))]
    )


class NoteForm(forms.Form):
    text = FreeTextField(
        label=_("Private note"),
        help_text=_("Only you see this note, not the office and not another lawyer."),
        required=False,
        max_length=5000,
        multiline=True,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class FollowUpRequestForm(forms.Form):
    invite_by = forms.DateField(
        label=_("Invite the resident by"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note_for_office = FreeTextField(
        label=_("Note for the office (optional)"),
        help_text=_("For example what to bring. The desk reads it: not the matter itself."),
        required=False,
        max_length=300,
    )

    def clean_invite_by(self) -> date:
        value = self.cleaned_data["invite_by"]
        if value < timezone.localdate():
            raise forms.ValidationError(INVITE_DATE_PAST, code="past")
        return value
