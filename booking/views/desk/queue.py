"""The desk's walk-in queue: numbers for people who arrive without an appointment, the
day's queue, and the lawyer each person goes to.

Desk staff and office admins see their own office's queue only: another office's
walk-in answers 404. The queue shows what the desk needs (number, name, area of law,
since when someone waits), never what the matter is about, and a number only masked.
A resident without a phone is found by the full name and the village
(booking/desk_residents.py), never by part of them; the namesakes the desk chooses from
are written to the access log. Every action is a form post answered by a redirect, so
the page works without JavaScript and a reload repeats nothing. Marking someone as left
is undone from the queue the same day (``put_back``); the page shows who marked it and
when.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import NotAResidentNumber
from booking import selectors
from booking.access_log import DESK_RESIDENT_DETAILS, log_resident_access
from booking.errors import BookingError
from booking.forms.queue import NEW_RESIDENT, ArrivalForm, TakeForm
from booking.models import AccessPlace, Lawyer, WalkIn, WalkInStatus
from booking.services.walk_ins import (
    Busy,
    format_time,
    list_lawyer_states,
    mark_left,
    put_back_in_queue,
    register_arrival,
    take_walk_in,
)
from booking.web.access import desk_required
from sms.models import mask_number

STAFF_NUMBER = _("This number belongs to a staff account. Enter the resident's own number.")
SENT = _("Number %(number)s (%(name)s) goes to %(lawyer)s now.")
BACK_IN_QUEUE = _("Number %(number)s (%(name)s) is back in the queue.")
CHOOSE_LAWYER = _("Please choose a lawyer who is free.")
NO_NAME = _("(no name given)")


def _display_name(resident) -> str:
    if resident.display_name:
        return resident.display_name
    if resident.phone:
        return mask_number(resident.phone.as_e164)
    return str(NO_NAME)


def _lawyer_rows(lawyers: list[Lawyer], *, office, now) -> list[dict]:
    """Each lawyer with whether they can take someone now, in words."""
    states = list_lawyer_states(lawyer_ids=[lawyer.pk for lawyer in lawyers], now=now)
    rows = []
    for lawyer in lawyers:
        state = states[lawyer.pk]
        if state.reason == Busy.CONSULTING:
            status = _("with someone until %(time)s") % {
                "time": format_time(state.free_from, office, now)
            }
        elif state.reason == Busy.SOON:
            status = _("consultation at %(time)s") % {
                "time": format_time(state.soon_at, office, now)
            }
        elif state.reason == Busy.AWAY:
            status = _("not available until %(time)s") % {
                "time": format_time(state.free_from, office, now)
            }
        elif state.next_start is not None:
            status = _("free until %(time)s") % {"time": format_time(state.next_start, office, now)}
        else:
            status = _("free")
        rows.append({"lawyer": lawyer, "free": state.is_free, "status": status})
    return rows


def _render_queue(request, *, form: ArrivalForm, namesakes=(), status: int = 200):
    office = request.office
    now = timezone.now()
    today = now.astimezone(office.tz).date()
    walk_ins = list(
        WalkIn.objects.filter(office=office, day=today)
        .select_related("resident", "topic", "appointment__lawyer__user", "left_by")
        .order_by("number")
    )
    waiting = [walk_in for walk_in in walk_ins if walk_in.status == WalkInStatus.WAITING]
    done = sorted(
        (walk_in for walk_in in walk_ins if walk_in.status != WalkInStatus.WAITING),
        key=lambda walk_in: walk_in.number,
        reverse=True,
    )
    lawyers: list[Lawyer] = []
    if waiting:
        on_duty = selectors.list_on_duty_lawyer_ids(office=office, day=today)
        if on_duty:
            lawyers = list(
                Lawyer.objects.filter(pk__in=on_duty, offices=office)
                .select_related("user")
                .order_by("user__display_name", "pk")
            )
        else:
            lawyers = selectors.list_topic_lawyers(office=office, topic=waiting[0].topic)
    rows = _lawyer_rows(lawyers, office=office, now=now)
    if namesakes:
        log_resident_access(
            request,
            namesakes,
            place=AccessPlace.DESK,
            details=DESK_RESIDENT_DETAILS,
        )
    new = next((w for w in walk_ins if str(w.pk) == request.GET.get("new")), None)
    # Just marked as left (the redirect of ``left``): said at the top, with its undo.
    just_left = next(
        (
            w
            for w in walk_ins
            if str(w.pk) == request.GET.get("left") and w.status == WalkInStatus.LEFT
        ),
        None,
    )
    for walk_in in walk_ins:
        walk_in.name = _display_name(walk_in.resident)
        walk_in.arrived_local = format_time(walk_in.arrived_at, office, now)
        if walk_in.seen_at:
            walk_in.seen_local = format_time(walk_in.seen_at, office, now)
        if walk_in.left_at:
            walk_in.left_local = format_time(walk_in.left_at, office, now)
    context = {
        "form": form,
        "namesakes": namesakes,
        "new": new,
        "just_left": just_left,
        "next": waiting[0] if waiting else None,
        "later": waiting[1:],
        "done": done,
        "lawyers": rows,
        "free_lawyers": [row for row in rows if row["free"]],
        "today": today,
    }
    return render(request, "booking/desk/queue.html", context, status=status)


@desk_required
def queue(request):
    """Today's queue; a post registers an arrival and shows their new number."""
    if request.method != "POST":
        return _render_queue(request, form=ArrivalForm(office=request.office))
    form = ArrivalForm(request.POST, office=request.office)
    if not form.is_valid():
        return _render_queue(request, form=form)
    data = form.cleaned_data
    try:
        arrival = register_arrival(
            office=request.office,
            phone=data["phone"],
            name=data["name"],
            village=data["village"],
            chosen=None if data["who"] == NEW_RESIDENT else data["who"],
            topic=data["topic"],
            opposing_party=data["opposing_party"],
            opposing_party_phone=data["opposing_party_phone"],
            matter_consent=data["matter_consent"],
            by=request.user,
            now=timezone.now(),
        )
    except NotAResidentNumber:
        form.add_error("phone", STAFF_NUMBER)
        return _render_queue(request, form=form)
    except BookingError as refused:
        form.add_error(None, refused.message)
        return _render_queue(request, form=form)
    if arrival.walk_in is None:
        return _render_queue(request, form=form, namesakes=arrival.namesakes)
    return redirect(f"{request.path}?new={arrival.walk_in.pk}#number")


def _own_walk_in(request, pk: int) -> WalkIn:
    return get_object_or_404(
        WalkIn.objects.select_related("resident"), pk=pk, office=request.office
    )


@desk_required
def take(request, pk: int):
    """Send the person to a lawyer now (a post; a get goes back to the queue)."""
    walk_in = _own_walk_in(request, pk)
    if request.method != "POST":
        return redirect("booking:desk_queue")
    form = TakeForm(request.POST, office=request.office)
    if not form.is_valid():
        messages.error(request, CHOOSE_LAWYER)
        return redirect("booking:desk_queue")
    lawyer = form.cleaned_data["lawyer"]
    try:
        take_walk_in(walk_in=walk_in, lawyer=lawyer, by=request.user, now=timezone.now())
    except BookingError as refused:
        messages.error(request, refused.message)
    else:
        name = _display_name(walk_in.resident)
        params = {"number": walk_in.display_number, "name": name, "lawyer": lawyer.user}
        messages.success(request, SENT % params)
    return redirect("booking:desk_queue")


@desk_required
def left(request, pk: int):
    """The person went away without being seen (a post). The queue then says so at the
    top, with who marked it and when, and a button to undo it."""
    walk_in = _own_walk_in(request, pk)
    if request.method != "POST":
        return redirect("booking:desk_queue")
    try:
        mark_left(walk_in=walk_in, by=request.user, now=timezone.now())
    except BookingError as refused:
        messages.error(request, refused.message)
        return redirect("booking:desk_queue")
    return redirect(f"{reverse('booking:desk_queue')}?left={walk_in.pk}#undo")


@desk_required
def put_back(request, pk: int):
    """Undo "left without being seen" (a post): the person waits again at their number,
    the same day only."""
    walk_in = _own_walk_in(request, pk)
    if request.method == "POST":
        try:
            put_back_in_queue(walk_in=walk_in, now=timezone.now())
        except BookingError as refused:
            messages.error(request, refused.message)
        else:
            params = {"number": walk_in.display_number, "name": _display_name(walk_in.resident)}
            messages.success(request, BACK_IN_QUEUE % params)
    return redirect("booking:desk_queue")


@desk_required
def ticket(request, pk: int):
    """A ticket to print or show: number, office, date; nothing about the matter."""
    walk_in = _own_walk_in(request, pk)
    context = {
        "walk_in": walk_in,
        "office": request.office,
        "arrived": format_time(walk_in.arrived_at, request.office, walk_in.arrived_at),
    }
    return render(request, "booking/desk/ticket.html", context)


urlpatterns = [
    path("desk/queue/", queue, name="desk_queue"),
    path("desk/queue/<int:pk>/take/", take, name="desk_queue_take"),
    path("desk/queue/<int:pk>/left/", left, name="desk_queue_left"),
    path("desk/queue/<int:pk>/back/", put_back, name="desk_queue_back"),
    path("desk/queue/<int:pk>/ticket/", ticket, name="desk_queue_ticket"),
]
