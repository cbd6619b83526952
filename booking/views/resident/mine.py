"""The resident's own appointments: the list, one appointment, cancel, move, calendar file.

A resident reaches only their own appointments: any other reference answers 404, the
same as one that does not exist.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from booking import conflicts, ical, selectors
from booking.errors import BookingError, ConflictOfInterest, TimeGone
from booking.flows import lawyers_to_try, move_any_lawyer
from booking.forms.resident import ChosenSlotForm
from booking.link_notices import Explained
from booking.models import Lawyer, Mode, Status
from booking.offer import (
    alternatives,
    day_and_lawyer_query,
    free_choice,
    lawyer_offered,
    picker_context,
    slot_page_query,
    why_unavailable,
)
from booking.ratelimit import limit_posts
from booking.services import cancel_appointment
from booking.web.access import resident_required
from sms.models import Kind
from sms.selectors import get_send_time

CANCELLED = _("Your consultation %(reference)s is cancelled. A text message confirms it.")
CANCELLED_LATER = _(
    "Your consultation %(reference)s is cancelled. The office sends no texts at this hour: "
    "a text message confirming it will be sent %(when)s."
)
CANCELLED_NO_SMS = _("Your consultation %(reference)s is cancelled.")
MOVED = _("Your consultation is moved. A text message with the new time is on its way.")
MOVED_LATER = _(
    "Your consultation is moved. The office sends no texts at this hour: a text message "
    "with the new time will be sent %(when)s."
)
MOVED_NO_SMS = _("Your consultation is moved.")
# Moving starts from the consultation's own lawyer and way of meeting.
MOVE_KEEPS = _(
    "Shown: the times of %(lawyer)s, %(mode)s, as your consultation is now. To see other "
    "times, choose another lawyer or way of meeting above."
)
# The confirm page says what changes besides the time.
MOVE_OTHER_LAWYER = _("With this time your lawyer changes: %(old)s → %(new)s.")
MOVE_TO_PHONE = _(
    "With this time the consultation is by phone: the lawyer calls you, you do not come to "
    "the office."
)
MOVE_TO_IN_PERSON = _(
    "With this time the consultation is in person: you come to the office, the lawyer does "
    "not call you."
)
MODE_WORDS = {Mode.IN_PERSON: _("in person"), Mode.PHONE: _("by phone")}
PAST_SHOWN = 50


def _own_appointment(request, reference: str):
    appointment = selectors.get_resident_appointment(
        resident_id=request.user.pk, reference=reference
    )
    if appointment is None:
        raise Http404
    return appointment


def _send_time(appointment, *, kind: str):
    """When the text about the change just made goes (None: no text is sent)."""
    return get_send_time(
        appointment_ids=[appointment.pk], kind=kind, now=timezone.now(), tz=appointment.office.tz
    )


@resident_required
def my_appointments(request):
    now = timezone.now()
    appointments = selectors.list_resident_appointments(resident_id=request.user.pk)
    upcoming = [a for a in appointments if a.status == Status.BOOKED and a.ends_at > now]
    upcoming_ids = {a.pk for a in upcoming}
    past = [a for a in reversed(appointments) if a.pk not in upcoming_ids][:PAST_SHOWN]
    context = {
        "upcoming": [(a, a.can_change_online(now)) for a in upcoming],
        "past": past,
    }
    return render(request, "booking/my_appointments.html", context)


@resident_required
def appointment(request, reference: str):
    appointment = _own_appointment(request, reference)
    now = timezone.now()
    context = {
        "appointment": appointment,
        "office": appointment.office,
        "can_change": appointment.can_change_online(now),
        "change_until": appointment.starts_at - appointment.office.cancel_cutoff,
        "is_upcoming": appointment.status == Status.BOOKED and appointment.ends_at > now,
    }
    return render(request, "booking/appointment.html", context)


@resident_required
def appointment_calendar(request, reference: str):
    """The appointment as an .ics file for the phone's own calendar."""
    appointment = _own_appointment(request, reference)
    with translation.override(appointment.resident.preferred_language or None):
        body = ical.resident_calendar(appointment, host=request.get_host())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    filename = f"consultation-{appointment.reference}.ics"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@resident_required
@limit_posts("book")
def cancel(request, reference: str):
    appointment = _own_appointment(request, reference)
    context = {"appointment": appointment, "office": appointment.office}
    if request.method == "POST":
        try:
            cancel_appointment(appointment=appointment, by=request.user)
        except BookingError as refused:
            return render(request, "booking/cancel.html", {**context, "error": refused})
        sent = _send_time(appointment, kind=Kind.CANCELLATION)
        params = {"reference": appointment.display_reference}
        if sent is None:
            messages.success(request, CANCELLED_NO_SMS % params)
        elif sent.later:
            messages.success(request, CANCELLED_LATER % {**params, "when": sent.when})
        else:
            messages.success(request, CANCELLED % params)
        return redirect("booking:my_appointments")
    context["can_change"] = appointment.can_change_online(timezone.now())
    return render(request, "booking/cancel.html", context)


@resident_required
def reschedule(request, reference: str):
    """The free times of the same area of law, to move a booked consultation to."""
    appointment = _own_appointment(request, reference)
    now = timezone.now()
    context = {"appointment": appointment, "office": appointment.office}
    if not appointment.can_change_online(now):
        return render(request, "booking/cancel.html", {**context, "can_change": False})
    confirm_url = reverse("booking:reschedule_confirm", kwargs={"reference": reference})
    office = appointment.office

    def link(choice, lawyer: Lawyer | None) -> str:
        lawyer_id = lawyer.pk if lawyer else None
        return f"{confirm_url}?{choice.query(tz=office.tz, lawyer_id=lawyer_id)}"

    context.update(
        picker_context(
            request,
            office=office,
            topic=appointment.topic,
            now=now,
            link=link,
            ignore_appointment=appointment,
            defaults={"lawyer": str(appointment.lawyer_id), "mode": appointment.mode},
        )
    )
    asked = "lawyer" in request.GET or "mode" in request.GET
    if not asked and context["lawyer"] is not None:
        context["keeps"] = MOVE_KEEPS % {
            "lawyer": context["lawyer"].user,
            "mode": MODE_WORDS[appointment.mode],
        }
    return render(request, "booking/reschedule.html", context)


def _changes(appointment, *, lawyer: Lawyer, start, mode: str) -> dict:
    """What moving ``appointment`` to ``start`` with ``lawyer`` in ``mode`` changes, for
    the confirm page to mark: the time, the lawyer, the way of meeting."""
    notes = []
    if lawyer.pk != appointment.lawyer_id:
        notes.append(MOVE_OTHER_LAWYER % {"old": appointment.lawyer.user, "new": lawyer.user})
    if mode != appointment.mode:
        notes.append(MOVE_TO_PHONE if mode == Mode.PHONE else MOVE_TO_IN_PERSON)
    return {
        "lawyer": lawyer,
        "mode_label": Mode(mode).label,
        "changes": {
            "time": start != appointment.starts_at,
            "lawyer": lawyer.pk != appointment.lawyer_id,
            "mode": mode != appointment.mode,
        },
        "change_notes": notes,
    }


@resident_required
@limit_posts("book")
def reschedule_confirm(request, reference: str):
    """Old time, new time, one button; the new time is taken or nothing changes."""
    appointment = _own_appointment(request, reference)
    office = appointment.office
    now = timezone.now()
    picker_url = reverse("booking:reschedule", kwargs={"reference": reference})
    data = request.POST if request.method == "POST" else request.GET
    chosen = ChosenSlotForm(data, tz=office.tz)
    if not chosen.is_valid():
        # The move page says what of the link it cannot show (booking/link_notices.py).
        sentence, query = slot_page_query(chosen, tz=office.tz)
        if sentence:
            messages.error(request, sentence)
        return redirect(f"{picker_url}?{query}" if query else picker_url)
    start, mode, lawyer_id = (chosen.cleaned_data[name] for name in ("start", "mode", "lawyer"))
    context = {
        "appointment": appointment,
        "office": office,
        "chosen": chosen,
        "start": start.astimezone(office.tz),
        "mode": mode,
        "picker_url": picker_url,
    }
    if not appointment.can_change_online(now):
        return render(request, "booking/cancel.html", {**context, "can_change": False})
    choice = free_choice(
        office=office,
        topic=appointment.topic,
        start=start,
        mode=mode,
        lawyer_id=lawyer_id,
        now=now,
        ignore_appointment=appointment,
    )
    error: BookingError | Explained = TimeGone()
    conflicted: set[int] = set()
    order: list[int] = []
    if choice is None:
        if not lawyer_offered(office=office, topic=appointment.topic, lawyer_id=lawyer_id):
            # A lawyer who does not take this area here: the move page says so.
            query = day_and_lawyer_query(start=start, lawyer_id=lawyer_id, tz=office.tz)
            return redirect(f"{picker_url}?{query}")
        error = why_unavailable(
            office=office,
            topic=appointment.topic,
            start=start,
            mode=mode,
            lawyer_id=lawyer_id,
            now=now,
            ignore_appointment=appointment,
        )
    else:
        free = lawyers_to_try(choice, first=appointment.lawyer_id)  # the same lawyer if free
        conflicted = conflicts.conflicted_lawyer_ids(
            office=office,
            name=appointment.opposing_party,
            phone=appointment.opposing_party_phone,
            lawyer_ids=set(free) - {appointment.lawyer_id},
            now=now,
            exclude_resident_id=appointment.resident_id,
        )
        order = lawyers_to_try(choice, conflicted=conflicted, first=appointment.lawyer_id)
        if not order:
            error = ConflictOfInterest()
    if order:
        lawyers = Lawyer.objects.select_related("user").in_bulk(order)
        if request.method != "POST":
            context.update(_changes(appointment, lawyer=lawyers[order[0]], start=start, mode=mode))
            return render(request, "booking/reschedule_confirm.html", context)
        try:
            moved, error = move_any_lawyer(
                appointment=appointment,
                order=order,
                lawyers=lawyers,
                conflicted=conflicted,
                starts_at=start,
                mode=mode,
                by=request.user,
                now=now,
            )
        except BookingError as refused:
            return render(request, "booking/cancel.html", {**context, "error": refused})
        if moved is not None:
            sent = _send_time(appointment, kind=Kind.RESCHEDULE)
            if sent is None:
                messages.success(request, MOVED_NO_SMS)
            elif sent.later:
                messages.success(request, MOVED_LATER % {"when": sent.when})
            else:
                messages.success(request, MOVED)
            return redirect("booking:appointment", reference=reference)
    context.update(
        {
            "error": error,
            "alternatives": alternatives(
                office=office,
                topic=appointment.topic,
                wanted=start,
                lawyer_id=lawyer_id,
                now=now,
                ignore_appointment=appointment,
                exclude_lawyer_ids=conflicted,
            ),
            "details_url": reverse("booking:reschedule_confirm", kwargs={"reference": reference}),
            "form": None,
        }
    )
    return render(request, "booking/taken.html", context)
