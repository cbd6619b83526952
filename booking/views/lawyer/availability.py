"""The lawyer's weekly hours and time off: see them, add, change and delete them.

A change that strands booked appointments (booking/services/availability.py) answers a
page that lists them with "keep" or "cancel" for each; that page sends the change again,
in hidden fields, with the decisions. Nothing is held on the server in between: the
service compares the decisions with the appointments stranded at that moment, and a
set that has changed leads back to the same page, showing the new set.

A lawyer sees and changes only their own hours and time off; another lawyer's ids
answer 404.
"""

from datetime import datetime, time, timedelta, tzinfo

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from booking.errors import STRANDED, STRANDED_CHANGED, DecisionsNeeded
from booking.forms.availability import DecisionsForm, RuleForm, TimeOffForm
from booking.models import AvailabilityRule, Lawyer, Mode, Office, TimeOff, Weekday
from booking.services.availability import (
    AvailabilityChange,
    add_availability_rule,
    add_time_off,
    change_availability_rule,
    delete_availability_rule,
    delete_time_off,
)
from booking.web.access import lawyer_required
from sms.models import Kind
from sms.selectors import get_send_time

HOURS_SAVED = _("Your weekly hours are saved.")
HOURS_DELETED = _("The hours are deleted.")
TIME_OFF_SAVED = _("Your time off is saved.")
TIME_OFF_DELETED = _("The time off is deleted.")
STRANDED_TEMPLATE = "booking/lawyer/hours_stranded.html"


def cancelled_message(count: int, *, when: str | None = None) -> str:
    """``when``: the cancellation texts wait for the office's quiet hours to end."""
    if when is not None:
        return ngettext(
            "%(count)d consultation was cancelled. The office sends no texts at this hour: "
            "the resident gets a text message %(when)s.",
            "%(count)d consultations were cancelled. The office sends no texts at this hour: "
            "each resident gets a text message %(when)s.",
            count,
        ) % {"count": count, "when": when}
    return ngettext(
        "%(count)d consultation was cancelled. The resident gets a text message.",
        "%(count)d consultations were cancelled. Each resident gets a text message.",
        count,
    ) % {"count": count}


def _cancelled_message(cancelled: list) -> str:
    sent = get_send_time(
        appointment_ids=[each.pk for each in cancelled],
        kind=Kind.CANCELLATION,
        now=timezone.now(),
        tz=cancelled[0].office.tz,
    )
    return cancelled_message(len(cancelled), when=sent.when if sent and sent.later else None)


def kept_message(count: int) -> str:
    return ngettext(
        "%(count)d booked consultation was kept.",
        "%(count)d booked consultations were kept.",
        count,
    ) % {"count": count}


def _offices(lawyer: Lawyer) -> list[Office]:
    return list(lawyer.offices.order_by("name", "pk"))


def _time_zone(lawyer: Lawyer) -> tzinfo:
    """Time off is entered and shown in the time zone of the lawyer's first office."""
    office = lawyer.offices.order_by("name", "pk").first()
    return office.tz if office else timezone.get_default_timezone()


def _time_off_entry(starts_at: datetime, ends_at: datetime, tz: tzinfo) -> dict:
    """Local start and end; whole days are shown as their first and last day."""
    start = starts_at.astimezone(tz)
    end = ends_at.astimezone(tz)
    whole_days = start.time() == end.time() == time(0)
    return {
        "tz": tz,
        "start": start,
        "end": end,
        "whole_days": whole_days,
        "first_day": start.date(),
        "last_day": (end - timedelta(days=1)).date() if whole_days else end.date(),
    }


def _add_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, texts in error.message_dict.items():
        known = name in form.fields and name != NON_FIELD_ERRORS
        form.add_error(name if known else None, texts)


def _done(request, result: AvailabilityChange, text, to: str):
    messages.success(request, text)
    if result.cancelled:
        messages.info(request, _cancelled_message(result.cancelled))
    if result.kept:
        messages.info(request, kept_message(len(result.kept)))
    return redirect(to)


def _apply(request, change, *, form=None, context: dict, done_text, done_url: str):
    """Run ``change(decisions)``: a redirect when done, the page asking for decisions
    when it strands appointments, or None when the service put errors on ``form``."""
    shown = DecisionsForm.shown_ids(request.POST)
    answered = DecisionsForm(request.POST, ids=shown) if shown is not None else None
    decisions = answered.decisions() if answered is not None and answered.is_valid() else {}
    try:
        result = change(decisions)
    except AvailabilityRule.DoesNotExist:
        raise Http404 from None  # deleted meanwhile, in another tab
    except ValidationError as error:
        if form is None:
            raise
        _add_errors(form, error)
        return None
    except DecisionsNeeded as needed:
        ids = [appointment.pk for appointment in needed.stranded]
        same = shown is not None and set(shown) == set(ids)
        decisions_form = answered if same else DecisionsForm(ids=ids)
        offices = {appointment.office_id for appointment in needed.stranded}
        return render(
            request,
            STRANDED_TEMPLATE,
            {
                **context,
                "carry": form,
                "decisions_form": decisions_form,
                "rows": decisions_form.rows(needed.stranded),
                "changed": shown is not None and not same,
                "message": STRANDED_CHANGED if shown is not None and not same else STRANDED,
                "back_url": done_url,
                "several_offices": len(offices) > 1,
                "action": request.path,
            },
        )
    return _done(request, result, done_text, done_url)


# Weekly hours


@lawyer_required
def hours(request):
    """The week: per weekday the ranges, with slot length and mode (and office if several)."""
    lawyer = request.lawyer
    offices = _offices(lawyer)
    today = timezone.now().astimezone(_time_zone(lawyer)).date()
    rules = list(
        AvailabilityRule.objects.filter(lawyer=lawyer)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("office")
        .order_by("weekday", "start_time", "office__name", "pk")
    )
    week = [
        {
            "weekday": value,
            "name": label,
            "rules": [rule for rule in rules if rule.weekday == value],
        }
        for value, label in Weekday.choices
    ]
    office_ids = {office.pk for office in offices} | {rule.office_id for rule in rules}
    context = {"week": week, "several_offices": len(office_ids) > 1, "offices": offices}
    return render(request, "booking/lawyer/hours.html", context)


@lawyer_required
def hours_add(request):
    lawyer = request.lawyer
    initial = {}
    if request.GET.get("weekday", "") in {str(value) for value in Weekday.values}:
        initial["weekday"] = int(request.GET["weekday"])
    form = RuleForm(request.POST or None, offices=_offices(lawyer), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = add_availability_rule(lawyer=lawyer, **form.rule_fields())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _done(request, result, HOURS_SAVED, reverse("booking:hours"))
    return render(request, "booking/lawyer/hours_form.html", {"form": form, "rule": None})


def _own_rule(request, rule_id: int) -> AvailabilityRule:
    return get_object_or_404(
        AvailabilityRule.objects.select_related("office"), pk=rule_id, lawyer=request.lawyer
    )


@lawyer_required
def hours_edit(request, rule_id: int):
    rule = _own_rule(request, rule_id)
    form = RuleForm(
        request.POST or None, offices=_offices(request.lawyer), initial=RuleForm.initial_from(rule)
    )
    if request.method == "POST" and form.is_valid():
        fields = form.rule_fields()
        response = _apply(
            request,
            lambda decisions: change_availability_rule(rule=rule, **fields, decisions=decisions),
            form=form,
            context={
                "what": "hours_change",
                "rule": rule,
                "new": fields,
                "new_weekday": Weekday(fields["weekday"]).label,
                "new_mode": Mode(fields["mode"]).label,
            },
            done_text=HOURS_SAVED,
            done_url=reverse("booking:hours"),
        )
        if response is not None:
            return response
    return render(request, "booking/lawyer/hours_form.html", {"form": form, "rule": rule})


@lawyer_required
def hours_delete(request, rule_id: int):
    rule = _own_rule(request, rule_id)
    if request.method == "POST":
        return _apply(
            request,
            lambda decisions: delete_availability_rule(rule=rule, decisions=decisions),
            context={"what": "hours_delete", "rule": rule},
            done_text=HOURS_DELETED,
            done_url=reverse("booking:hours"),
        )
    return render(request, "booking/lawyer/hours_delete.html", {"rule": rule})


# Time off


@lawyer_required
def time_off(request):
    """Time off that has not ended yet, soonest first."""
    lawyer = request.lawyer
    tz = _time_zone(lawyer)
    entries = [
        {"time_off": each, **_time_off_entry(each.starts_at, each.ends_at, tz)}
        for each in TimeOff.objects.filter(lawyer=lawyer, ends_at__gt=timezone.now()).order_by(
            "starts_at", "pk"
        )
    ]
    return render(request, "booking/lawyer/time_off.html", {"entries": entries})


@lawyer_required
def time_off_add(request):
    lawyer = request.lawyer
    tz = _time_zone(lawyer)
    form = TimeOffForm(request.POST or None, tz=tz)
    if request.method == "POST" and form.is_valid():
        fields = form.time_off_fields()
        response = _apply(
            request,
            lambda decisions: add_time_off(lawyer=lawyer, **fields, decisions=decisions),
            form=form,
            context={
                "what": "time_off",
                "entry": _time_off_entry(fields["starts_at"], fields["ends_at"], tz),
            },
            done_text=TIME_OFF_SAVED,
            done_url=reverse("booking:time_off"),
        )
        if response is not None:
            return response
    return render(request, "booking/lawyer/time_off_form.html", {"form": form})


@lawyer_required
def time_off_delete(request, time_off_id: int):
    lawyer = request.lawyer
    entry = get_object_or_404(TimeOff, pk=time_off_id, lawyer=lawyer)
    if request.method == "POST":
        result = delete_time_off(time_off=entry)
        return _done(request, result, TIME_OFF_DELETED, reverse("booking:time_off"))
    context = {
        "time_off": entry,
        "entry": _time_off_entry(entry.starts_at, entry.ends_at, _time_zone(lawyer)),
    }
    return render(request, "booking/lawyer/time_off_delete.html", context)


urlpatterns = [
    path("lawyer/hours/", hours, name="hours"),
    path("lawyer/hours/add/", hours_add, name="hours_add"),
    path("lawyer/hours/<int:rule_id>/", hours_edit, name="hours_edit"),
    path("lawyer/hours/<int:rule_id>/delete/", hours_delete, name="hours_delete"),
    path("lawyer/time-off/", time_off, name="time_off"),
    path("lawyer/time-off/add/", time_off_add, name="time_off_add"),
    path("lawyer/time-off/<int:time_off_id>/delete/", time_off_delete, name="time_off_delete"),
]
