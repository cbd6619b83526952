"""Forms of the lawyer's weekly hours and time off. They parse; the services validate.

The rules about hours and time off (end after start, slot length, overlaps) live in
booking/services/availability.py, whose messages the views put on these forms.
"""

from datetime import datetime, tzinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from booking.forms.resident import FreeTextField
from booking.models import Appointment, AvailabilityRule, Mode, Office, Weekday
from booking.services.availability import CANCEL, KEEP, time_off_bounds
from booking.slots import within_calendar

OUTSIDE_CALENDAR = _("Enter a date between 2000 and 2099.")


def validate_within_calendar(value) -> None:
    if not within_calendar(value):
        raise ValidationError(OUTSIDE_CALENDAR, code="outside_calendar")


CHOOSE_KEEP_OR_CANCEL = _("Choose whether to keep or to cancel this consultation.")

DECISION_CHOICES = [
    (KEEP, _("Keep it")),
    (CANCEL, _("Cancel it: the resident gets a text message")),
]


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RuleForm(forms.Form):
    """One range of weekly hours. With one office, the office is not asked for."""

    office = forms.TypedChoiceField(label=_("Office"), coerce=int)
    weekday = forms.TypedChoiceField(
        label=_("Day of the week"), choices=Weekday.choices, coerce=int
    )
    start_time = forms.TimeField(label=_("Start time"), widget=_time_input())
    end_time = forms.TimeField(label=_("End time"), widget=_time_input())
    slot_minutes = forms.IntegerField(
        label=_("Length of a consultation (minutes)"),
        help_text=_("Between 5 and 480 minutes."),
        initial=30,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 5, "max": 480}),
    )
    mode = forms.ChoiceField(label=_("How"), choices=Mode.choices, initial=Mode.IN_PERSON)
    valid_from = forms.DateField(
        label=_("Valid from (optional)"),
        help_text=_("Empty: from now on."),
        required=False,
        widget=_date_input(),
        validators=[validate_within_calendar],
    )
    valid_until = forms.DateField(
        label=_("Valid until (optional)"),
        help_text=_("Empty: until you change it."),
        required=False,
        widget=_date_input(),
        validators=[validate_within_calendar],
    )

    def __init__(self, *args, offices: list[Office], **kwargs):
        super().__init__(*args, **kwargs)
        self.offices = {office.pk: office for office in offices}
        self.fields["office"].choices = [(office.pk, office.name) for office in offices]
        if len(offices) == 1:
            self.fields["office"].initial = offices[0].pk
            self.fields["office"].widget = forms.HiddenInput()

    @classmethod
    def initial_from(cls, rule: AvailabilityRule) -> dict:
        return {
            "office": rule.office_id,
            "weekday": rule.weekday,
            "start_time": rule.start_time,
            "end_time": rule.end_time,
            "slot_minutes": rule.slot_minutes,
            "mode": rule.mode,
            "valid_from": rule.valid_from,
            "valid_until": rule.valid_until,
        }

    def rule_fields(self) -> dict:
        """The cleaned values that the services take."""
        data = self.cleaned_data
        return {
            "office": self.offices[data["office"]],
            **{
                name: data[name]
                for name in (
                    "weekday",
                    "start_time",
                    "end_time",
                    "slot_minutes",
                    "mode",
                    "valid_from",
                    "valid_until",
                )
            },
        }


class TimeOffForm(forms.Form):
    """A day, several days, or part of a day, in the lawyer's local time."""

    first_day = forms.DateField(
        label=_("First day"), widget=_date_input(), validators=[validate_within_calendar]
    )
    last_day = forms.DateField(
        label=_("Last day (optional)"),
        help_text=_("Empty: only the first day."),
        required=False,
        widget=_date_input(),
        validators=[validate_within_calendar],
    )
    start_time = forms.TimeField(
        label=_("From (optional)"),
        help_text=_("Empty: from the start of the first day."),
        required=False,
        widget=_time_input(),
    )
    end_time = forms.TimeField(
        label=_("Until (optional)"),
        help_text=_("Empty: to the end of the last day."),
        required=False,
        widget=_time_input(),
    )
    reason = FreeTextField(
        label=_("Reason (optional)"),
        help_text=_("Only you see it."),
        required=False,
        max_length=200,
    )

    def __init__(self, *args, tz: tzinfo, **kwargs):
        self.tz = tz
        super().__init__(*args, **kwargs)

    def bounds(self) -> tuple[datetime, datetime]:
        data = self.cleaned_data
        return time_off_bounds(
            first_day=data["first_day"],
            last_day=data["last_day"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            tz=self.tz,
        )

    def time_off_fields(self) -> dict:
        starts_at, ends_at = self.bounds()
        return {"starts_at": starts_at, "ends_at": ends_at, "reason": self.cleaned_data["reason"]}


def _field_name(appointment_id: int) -> str:
    return f"decision-{appointment_id}"


class DecisionsForm(forms.Form):
    """Keep or cancel, for each appointment a change strands.

    ``stranded`` carries the ids the page showed, so that the service can tell whether
    the set has changed since.
    """

    stranded = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, ids: list[int]):
        super().__init__(data, initial={"stranded": ",".join(str(pk) for pk in ids)})
        self.ids = ids
        for pk in ids:
            self.fields[_field_name(pk)] = forms.ChoiceField(
                choices=DECISION_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": CHOOSE_KEEP_OR_CANCEL},
            )

    @staticmethod
    def shown_ids(data) -> list[int] | None:
        """The ids of the page that was answered, or None when no such page was."""
        if "stranded" not in data:
            return None
        return [int(part) for part in data["stranded"].split(",") if part.strip().isdigit()]

    def decisions(self) -> dict[int, str]:
        return {pk: self.cleaned_data[_field_name(pk)] for pk in self.ids}

    def rows(self, appointments: list[Appointment]) -> list[tuple[Appointment, forms.BoundField]]:
        return [(appointment, self[_field_name(appointment.pk)]) for appointment in appointments]
