"""The lawyer's agenda: a day, a week, and one appointment with what the lawyer records.

Only the signed-in lawyer's own appointments: any other reference answers 404. The
lawyer sees the resident's name, phone, needs and what they wrote, and beside the phone
the texts about the appointment that failed or have not gone yet (sms/selectors.py);
private notes are the lawyer's own (another lawyer who takes over a moved appointment
does not see them).
"""

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking import conflicts, selectors
from booking.access_log import AGENDA_DETAILS, PAGE_DETAILS, log_access
from booking.dates import format_when
from booking.errors import BookingError, NotActive, SlotNotOffered, SlotTaken
from booking.forms.lawyer import FollowUpRequestForm, NoteForm, OutcomeForm
from booking.forms.resident import ChosenSlotForm
from booking.models import AccessPlace, AppointmentNote, FollowUp, FollowUpStatus, Status
from booking.offer import alternatives, free_choice, picker_context
from booking.services.outcomes import (
    book_follow_up,
    record_outcome,
    request_follow_up,
    save_note,
)
from booking.slots import within_calendar
from booking.web.access import lawyer_required
from sms.models import Kind
from sms.selectors import get_first_send_time, get_send_time, list_text_notices

OUTCOME_SAVED = _("Saved: %(outcome)s.")
NOTE_SAVED = _("Your note is saved.")
FOLLOW_UP_REQUESTED = _("The office will invite the resident by %(date)s.")
FOLLOW_UP_BOOKED = _("The follow-up is booked; the resident gets a text message.")
FOLLOW_UP_BOOKED_LATER = _(
    "The follow-up is booked. The office sends no texts at this hour: the resident gets "
    "a text message %(when)s."
)
FOLLOW_UP_BOOKED_NO_TEXT = _(
    "The follow-up is booked. The resident has no mobile number and gets no text message: "
    "please tell them the time."
)


def _day(value: str | None) -> date:
    """The day asked for in the query string; today for none, nonsense or year 1."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        day = None
    return day if day is not None and within_calendar(day) else timezone.localdate()


def _bounds(first: date, days: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tz)
    return start, datetime.combine(first + timedelta(days=days), time.min, tz)


@lawyer_required
def agenda(request):
    """One day, today unless asked: every appointment with what the lawyer needs."""
    day = _day(request.GET.get("day"))
    start, end = _bounds(day, 1)
    appointments = selectors.list_lawyer_appointments(lawyer=request.lawyer, start=start, end=end)
    context = {
        "day": day,
        "today": timezone.localdate(),
        "previous": day - timedelta(days=1),
        "next": day + timedelta(days=1),
        "appointments": appointments,
        "flags": conflicts.flag_possible_conflicts(appointments),
        "monday": day - timedelta(days=day.weekday()),
    }
    log_access(request, appointments, place=AccessPlace.AGENDA, details=AGENDA_DETAILS)
    return render(request, "booking/lawyer/agenda.html", context)


@lawyer_required
def week(request):
    """Monday to Sunday, a list per day (the phone's screen has room for nothing wider)."""
    monday = _day(request.GET.get("start"))
    monday -= timedelta(days=monday.weekday())
    start, end = _bounds(monday, 7)
    appointments = selectors.list_lawyer_appointments(lawyer=request.lawyer, start=start, end=end)
    tz = timezone.get_current_timezone()
    days = [(monday + timedelta(days=offset), []) for offset in range(7)]
    for appointment in appointments:
        days[(appointment.starts_at.astimezone(tz).date() - monday).days][1].append(appointment)
    context = {
        "monday": monday,
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "days": days,
        "flags": conflicts.flag_possible_conflicts(appointments),
        "today": timezone.localdate(),
    }
    log_access(request, appointments, place=AccessPlace.AGENDA, details=AGENDA_DETAILS)
    return render(request, "booking/lawyer/week.html", context)


def _own(request, reference: str):
    appointment = selectors.get_lawyer_appointment(lawyer=request.lawyer, reference=reference)
    if appointment is None:
        raise Http404
    return appointment


@lawyer_required
def appointment(request, reference: str):
    """Everything about one appointment, and the lawyer's outcome, note and follow-up."""
    appointment = _own(request, reference)
    lawyer = request.lawyer
    note = AppointmentNote.objects.filter(appointment=appointment, author=lawyer).first()
    note_form = NoteForm(initial={"text": note.text if note else ""})
    follow_up_form = FollowUpRequestForm()
    action = request.POST.get("action") if request.method == "POST" else None
    try:
        if action == "outcome":
            form = OutcomeForm(request.POST)
            if form.is_valid():
                outcome = form.cleaned_data["outcome"]
                record_outcome(appointment=appointment, lawyer=lawyer, outcome=outcome)
                label = Status(outcome).label
                messages.success(request, OUTCOME_SAVED % {"outcome": label})
                return redirect(request.path)
        elif action == "note":
            note_form = NoteForm(request.POST)
            if note_form.is_valid():
                save_note(
                    appointment=appointment, lawyer=lawyer, text=note_form.cleaned_data["text"]
                )
                messages.success(request, NOTE_SAVED)
                return redirect(request.path)
        elif action == "follow_up":
            follow_up_form = FollowUpRequestForm(request.POST)
            if follow_up_form.is_valid():
                follow_up = request_follow_up(
                    appointment=appointment, lawyer=lawyer, **follow_up_form.cleaned_data
                )
                by = follow_up.invite_by
                messages.success(request, FOLLOW_UP_REQUESTED % {"date": format_when(by, "day")})
                return redirect(request.path)
    except BookingError as refused:
        messages.error(request, refused.message)
        return redirect(request.path)
    now = timezone.now()
    flag = conflicts.flag_possible_conflicts([appointment]).get(appointment.pk)
    office = appointment.office
    texts = list_text_notices([appointment.pk], now=now, tz=office.tz)
    context = {
        "appointment": appointment,
        "office": office,
        "texts": texts.get(appointment.pk, []),
        "conflict": conflicts.REASONS[flag] if flag else None,
        "note_form": note_form,
        "follow_up_form": follow_up_form,
        "can_record": appointment.starts_at <= now
        and appointment.status in (Status.BOOKED, Status.ATTENDED, Status.NO_SHOW),
        "open_follow_up": FollowUp.objects.filter(
            appointment=appointment, status=FollowUpStatus.OPEN
        ).first(),
        "follow_ups": appointment.follow_ups.filter(status=Status.BOOKED).order_by("starts_at"),
    }
    log_access(request, [appointment], place=AccessPlace.APPOINTMENT, details=PAGE_DETAILS)
    return render(request, "booking/lawyer/appointment.html", context)


@lawyer_required
def follow_up_times(request, reference: str):
    """The lawyer's own free times for the same area of law, to book the next visit."""
    appointment = _own(request, reference)
    if appointment.status == Status.CANCELLED:
        raise Http404
    confirm_url = reverse("booking:follow_up_confirm", kwargs={"reference": reference})
    office = appointment.office
    request.GET = request.GET.copy()
    request.GET["lawyer"] = str(request.lawyer.pk)  # only this lawyer's own times

    def link(choice, lawyer) -> str:
        return f"{confirm_url}?{choice.query(tz=office.tz, lawyer_id=request.lawyer.pk)}"

    context = picker_context(
        request, office=office, topic=appointment.topic, now=timezone.now(), link=link
    )
    context.update({"appointment": appointment, "hide_lawyer_filter": True})
    return render(request, "booking/lawyer/follow_up_times.html", context)


def _follow_up_booked(booked, *, now) -> str:
    """What the lawyer is told of the resident's confirmation: now, later, or none."""
    sent = get_send_time(
        appointment_ids=[booked.pk], kind=Kind.CONFIRMATION, now=now, tz=booked.office.tz
    )
    if sent is None:
        return str(FOLLOW_UP_BOOKED_NO_TEXT)
    if sent.later:
        return FOLLOW_UP_BOOKED_LATER % {"when": sent.when}
    return str(FOLLOW_UP_BOOKED)


@lawyer_required
def follow_up_confirm(request, reference: str):
    """The chosen time, one button; the resident gets the confirmation SMS."""
    appointment = _own(request, reference)
    office = appointment.office
    times_url = reverse("booking:follow_up_times", kwargs={"reference": reference})
    data = request.POST if request.method == "POST" else request.GET
    chosen = ChosenSlotForm(data, tz=office.tz)
    if not chosen.is_valid():
        return redirect(times_url)
    start, mode = chosen.cleaned_data["start"], chosen.cleaned_data["mode"]
    now = timezone.now()
    context = {
        "appointment": appointment,
        "office": office,
        "chosen": chosen,
        "start": start.astimezone(office.tz),
        "mode": mode,
        "times_url": times_url,
        "send_time": get_first_send_time(office=office, now=now),
    }
    lawyer = request.lawyer
    choice = free_choice(
        office=office, topic=appointment.topic, start=start, mode=mode, lawyer_id=lawyer.pk, now=now
    )
    error: BookingError = SlotTaken()
    if choice is not None:
        if request.method != "POST":
            return render(request, "booking/lawyer/follow_up_confirm.html", context)
        try:
            booked = book_follow_up(
                appointment=appointment, lawyer=lawyer, starts_at=start, mode=mode, now=now
            )
        except (SlotTaken, SlotNotOffered, NotActive) as refused:
            error = refused
        except BookingError as refused:
            messages.error(request, refused.message)
            return redirect("booking:lawyer_appointment", reference=reference)
        else:
            messages.success(request, _follow_up_booked(booked, now=now))
            return redirect("booking:lawyer_appointment", reference=booked.reference)
    context.update(
        {
            "error": error,
            "alternatives": alternatives(
                office=office, topic=appointment.topic, wanted=start, lawyer_id=lawyer.pk, now=now
            ),
            "details_url": reverse("booking:follow_up_confirm", kwargs={"reference": reference}),
            "form": None,
            "picker_url": times_url,
        }
    )
    return render(request, "booking/taken.html", context)
