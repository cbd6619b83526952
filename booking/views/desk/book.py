"""The desk books for a caller or a walk-in: resident → area of law → time and form → slip.

1. ``desk/book/``: the resident by their whole mobile number, or by full name and village
   for one without a phone (``booking/desk_residents.py``: never by part of either).
   Namesakes of one village are listed with the end of their number so that the desk
   picks the same person or registers a new one (``register_resident_at_desk``). Each
   post counts against the ``desk_find`` rate limit (per clerk and per address).
2. ``desk/book/for/<handle>/``: the areas of law of the desk's office.
3. ``desk/book/for/<handle>/<topic>/``: the free times of the next days as radio buttons
   grouped by day (the first free time chosen), of any lawyer or one, in person or by
   phone, and the questions of the resident's own form. Booking runs
   ``book_appointment`` with ``channel=desk``; a time taken meanwhile gives the nearest
   free ones on the same page, with the answers kept.
4. ``desk/book/done/<reference>/`` and the printable slip ``desk/slip/<reference>/``.

The resident is named in the address only by the handle the find/register step gave this
clerk (``mint_handle``): another clerk's, a forged one or a database id answers 404, and
after ``HANDLE_MAX_AGE`` the clerk is sent back to find the resident again. Only the
desk's own office: its topics, its lawyers, its appointments (others 404).
The desk never sees what the resident told the lawyer: the optional "what it is about"
goes to the lawyer and no desk page shows it. Residents get the confirmation SMS from
the booking service; those without a mobile number get none, and phone consultations
are not offered for them (the lawyer would have no number to call).

The desk ticks that it told the resident the privacy notice; that records their consent,
as the online form does. Every page that shows the resident's name, village or number
writes the access log (the find list, the area of law, the time and questions, the done
page); the slip carries none of them. The number is only ever shown masked
(``138****8000``): the resident is on the phone or at the counter, the desk typed the
number itself to find them, and no page here is one to dial from (the confirmation goes
by SMS; the lawyer calls for a phone consultation).

Registering is its own step, before the booking: a resident registered by the desk
stays registered if no booking follows (the next search finds them).
"""

from collections.abc import Collection
from datetime import date, datetime
from functools import wraps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.services import NotAResidentNumber, register_resident_at_desk, set_display_name
from booking import picker, selectors
from booking.access_log import (
    DESK_BOOKED_DETAILS,
    DESK_RESIDENT_DETAILS,
    log_access,
    log_resident_access,
)
from booking.conflicts import conflicted_lawyer_ids
from booking.desk_residents import (
    HANDLE_MAX_AGE,
    list_matching_residents,
    mint_handle,
    read_handle,
    search_key,
)
from booking.errors import (
    BookingError,
    ConflictOfInterest,
    HandleExpired,
    HandleRefused,
    SlotNotOffered,
    SlotTaken,
    TimeGone,
    TooManyActiveBookings,
)
from booking.flows import book_any_lawyer, lawyers_to_try, why_not_bookable
from booking.forms.desk import NAME_TO_REGISTER, DeskBookingForm, FindResidentForm
from booking.forms.resident import SlotFilterForm
from booking.models import AccessPlace, Appointment, Channel, Lawyer, Mode, Topic
from booking.offer import free_choice, free_slots
from booking.ratelimit import limit_posts, too_many, within_limit
from booking.services.data_rights import record_consent
from booking.web.access import desk_required
from sms.models import Kind, mask_number
from sms.selectors import get_send_time

# Days with free times shown at once on the booking form; "Later days" shows the next.
DAYS_SHOWN = 5

NOT_A_RESIDENT_NUMBER = _(
    "This number belongs to a staff account. The desk cannot book for it: ask for the "
    "resident's own mobile number, or book with their name and village."
)
DESK_TIME_GONE = _(
    "Someone else has just booked this time, or it is too soon now. Here are the nearest "
    "free times; the answers are kept."
)
# Neutral on purpose, as for residents (booking/conflicts.py).
DESK_CONFLICT = _("The lawyer cannot take this matter. Please choose another lawyer or time.")
DESK_TOO_MANY = _(
    "%(name)s already holds %(limit)d upcoming consultations at this office, the most one "
    "person can hold. One of them has to be cancelled or take place first."
)
TEXTED = _("A confirmation SMS is on its way to %(number)s.")
TEXTED_LATER = _(
    "The office sends no texts at this hour: the confirmation SMS will be sent to "
    "%(number)s %(when)s."
)
NOT_TEXTED = _(
    "No SMS is sent: the resident has no mobile number. Print the slip and give it to "
    "them, or read the reference code and the time out to them."
)
NO_PHONE_NO_PHONE_MODE = _(
    "This resident has no mobile number, so only consultations in person are offered."
)
HANDLE_EXPIRED = _(
    "The page for this resident was opened more than %(minutes)d minutes ago and has "
    "closed, to keep residents' details private. Nothing was booked: please find the "
    "resident again."
)


def _with_resident(view):
    """The resident that the address's ``handle`` names, for the clerk who was given it,
    as ``resident``: any other handle answers 404, an expired one leads back to find."""

    @wraps(view)
    def wrapper(request, handle: str, **kwargs):
        try:
            resident_id = read_handle(handle, clerk=request.user)
        except HandleRefused:
            raise Http404("not a handle this clerk was given") from None
        except HandleExpired:
            minutes = int(HANDLE_MAX_AGE.total_seconds() // 60)
            messages.error(request, HANDLE_EXPIRED % {"minutes": minutes})
            return redirect("booking:desk_book")
        resident = get_object_or_404(
            User, pk=resident_id, role=Role.RESIDENT, is_active=True, pending_until__isnull=True
        )
        return view(request, resident=resident, handle=handle, **kwargs)

    return wrapper


def _masked(resident: User) -> str:
    """The resident's number as the desk's pages show it: enough to ask "does your number
    end in …?", not to copy or dial."""
    return mask_number(resident.phone.as_e164) if resident.phone else ""


def _show(request, template: str, context: dict):
    """Render a page about ``context["resident"]``, writing that the clerk saw them."""
    log_resident_access(
        request,
        [context["resident"]],
        place=AccessPlace.DESK,
        details=DESK_RESIDENT_DETAILS,
    )
    return render(request, template, context)


def _topic_or_404(office, code: str) -> Topic:
    """An area of law that a lawyer of ``office`` covers; any other answers 404."""
    topics = selectors.get_bookable_topics(office=office).filter(code=code)
    return get_object_or_404(topics)


def _limit_reached(resident: User, office, now: datetime) -> bool:
    refused = why_not_bookable(
        resident_id=resident.pk, office=office, now=now, channel=Channel.DESK
    )
    return isinstance(refused, TooManyActiveBookings)


def _too_many_message(resident: User, office) -> str:
    return DESK_TOO_MANY % {"name": resident, "limit": office.max_active_bookings}


@desk_required
def find(request):
    """Find the resident by number or name; register a new one when none is theirs.

    After a find, the page's default button (Enter in any field) is the step it asks for
    next: "register" when nobody was found, "find" otherwise. The page carries what was
    looked for (``searched``); a register whose number, or name and village, differ from
    it finds first, so that nobody is registered without the desk having seen who is
    already known by those details.
    """
    if request.method == "POST" and not within_limit(request, "desk_find"):
        return too_many(request)
    form = FindResidentForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "searched": False}
    if not form.is_valid():
        return render(request, "booking/desk/book_find.html", context)
    phone, name, village = (form.cleaned_data[key] for key in ("phone", "name", "village"))
    key = search_key(phone=phone, name=name, village=village)
    if request.POST.get("action") == "register" and request.POST.get("searched", key) == key:
        if name.strip():
            try:
                resident = register_resident_at_desk(phone=phone, name=name, village=village)
            except NotAResidentNumber:
                form.add_error("phone", NOT_A_RESIDENT_NUMBER)
                return render(request, "booking/desk/book_find.html", context)
            handle = mint_handle(resident_id=resident.pk, clerk=request.user)
            return redirect("booking:desk_book_topics", handle=handle)
        form.add_error("name", NAME_TO_REGISTER)  # and the find again, below

    if phone and User.objects.filter(phone=phone).exclude(role=Role.RESIDENT).exists():
        form.add_error("phone", NOT_A_RESIDENT_NUMBER)
        return render(request, "booking/desk/book_find.html", context)
    residents = list_matching_residents(phone=phone, name=name, village=village)
    log_resident_access(
        request,
        residents,
        place=AccessPlace.DESK,
        details=DESK_RESIDENT_DETAILS,
    )
    found = [
        {
            "resident": resident,
            "number": _masked(resident),
            "handle": mint_handle(resident_id=resident.pk, clerk=request.user),
        }
        for resident in residents
    ]
    if not found and not name.strip():
        form.focus("name")  # the name is what registering them needs next
    context.update({"searched": True, "found": found, "phone": phone, "key": key})
    return render(request, "booking/desk/book_find.html", context)


@desk_required
@_with_resident
def topics(request, resident: User, handle: str):
    """The areas of law of the desk's office, for the resident chosen."""
    office = request.office
    context = {
        "resident": resident,
        "handle": handle,
        "number": _masked(resident),
        "office": office,
        "topics": selectors.list_bookable_topics(office=office),
        "too_many": _too_many_message(resident, office)
        if _limit_reached(resident, office, timezone.now())
        else "",
    }
    return _show(request, "booking/desk/book_topics.html", context)


def _entry(choice: picker.Choice, tz) -> dict:
    return {
        "start": choice.local_start(tz),
        "mode": choice.mode,
        "value": f"{picker.format_start(choice.start, tz)}|{choice.mode}",
    }


def _group_by_day(entries: list[dict]) -> list[dict]:
    days: list[dict] = []
    for entry in entries:
        day = entry["start"].date()
        if not days or days[-1]["day"] != day:
            days.append({"day": day, "times": []})
        days[-1]["times"].append(entry)
    return days


def _allowed(slots: list, *, mode: str, resident: User) -> list:
    if mode:
        slots = [slot for slot in slots if slot.mode == mode]
    if not resident.phone:
        slots = [slot for slot in slots if slot.mode != Mode.PHONE]
    return slots


def _upcoming_days(
    *, office, topic, lawyer, mode, resident, now, from_day: date | None
) -> tuple[list[dict], date | None]:
    """The free times of the first ``DAYS_SHOWN`` days with any, from ``from_day``, and
    the next day with free times after them (None when there is none)."""
    slots = _allowed(
        free_slots(office=office, topic=topic, now=now, lawyer=lawyer), mode=mode, resident=resident
    )
    tz = office.tz
    entries, later = [], None
    days_seen: list[date] = []
    for choice in picker.merge_lawyers(slots):
        day = choice.local_start(tz).date()
        if from_day and day < from_day:
            continue
        if day not in days_seen:
            if len(days_seen) == DAYS_SHOWN:
                later = day
                break
            days_seen.append(day)
        entries.append(_entry(choice, tz))
    return _group_by_day(entries), later


def _nearest(
    *,
    office,
    topic,
    wanted: datetime,
    lawyer_id: int | None,
    mode: str,
    resident,
    now,
    exclude_lawyer_ids: Collection[int],
) -> tuple[list[dict], int | None]:
    """The free times nearest to ``wanted``, of the lawyer asked for if they have any,
    never of those in ``exclude_lawyer_ids``; and the lawyer they are of (or None)."""
    slots = [
        slot
        for slot in _allowed(
            free_slots(office=office, topic=topic, now=now), mode=mode, resident=resident
        )
        if slot.lawyer_id not in exclude_lawyer_ids
    ]
    if lawyer_id is not None:
        own = [slot for slot in slots if slot.lawyer_id == lawyer_id]
        slots = own or slots
        lawyer_id = lawyer_id if own else None
    choices = picker.nearest(picker.merge_lawyers(slots), wanted)
    return [_entry(choice, office.tz) for choice in choices], lawyer_id


def _book(*, office, topic, resident, form, choice, conflicted: set[int], user, now):
    """Book the first of the lawyers free at ``choice`` who can take it: the appointment,
    or None and the error of the last one tried. Lawyers found to have advised the other
    party meanwhile are added to ``conflicted``."""
    order = lawyers_to_try(choice, conflicted=conflicted)
    return book_any_lawyer(
        order=order,
        lawyers=Lawyer.objects.in_bulk(order) if order else {},
        conflicted=conflicted,
        resident=resident,
        office=office,
        topic=topic,
        starts_at=choice.start,
        mode=choice.mode,
        booked_by=user,
        channel=Channel.DESK,
        now=now,
        **form.booking_fields(now=now),  # the desk ticked the matter's consent now
    )


@desk_required
@limit_posts("book")
@_with_resident
def book(request, resident: User, handle: str, topic: str):
    """The free times and the questions; posting books and leads to the done page."""
    office = request.office
    topic = _topic_or_404(office, topic)
    now = timezone.now()
    lawyers = selectors.list_topic_lawyers(office=office, topic=topic)
    is_post = request.method == "POST"
    data = request.POST if is_post else request.GET
    if data.get("lawyer") and data["lawyer"] not in {str(lawyer.pk) for lawyer in lawyers}:
        raise Http404("not a lawyer of this office for this area of law")
    filters = SlotFilterForm(data, lawyers=lawyers)
    lawyer_id, mode, from_day = filters.filters()
    lawyer = next((each for each in lawyers if each.pk == lawyer_id), None)
    form = DeskBookingForm(
        data if is_post else None, tz=office.tz, needs_name=not resident.display_name
    )
    context = {
        "office": office,
        "resident": resident,
        "handle": handle,
        "number": _masked(resident),
        "topic": topic,
        "filter_form": filters,
        "lawyer": lawyer,
        "mode": mode,
        "form": form,
        "error": "",
        "nearest": False,
        "phone_modes_hidden": not resident.phone,
    }
    if _limit_reached(resident, office, now):
        context["error"] = _too_many_message(resident, office)
        context["limit_reached"] = True
        return _show(request, "booking/desk/book_form.html", context)

    error = None
    wanted = None
    conflicted: set[int] = set()
    if is_post and form.is_valid():
        wanted, wanted_mode = form.cleaned_data["slot"]
        if wanted_mode == Mode.PHONE and not resident.phone:
            form.add_error("slot", NO_PHONE_NO_PHONE_MODE)
        else:
            conflicted = conflicted_lawyer_ids(
                office=office,
                name=form.cleaned_data["opposing_party"],
                phone=form.cleaned_data["opposing_party_phone"],
                lawyer_ids=None,
                now=now,
                exclude_resident_id=resident.pk,
            )
            choice = free_choice(
                office=office,
                topic=topic,
                start=wanted,
                mode=wanted_mode,
                lawyer_id=lawyer_id,
                now=now,
            )
            if choice is None:
                error = TimeGone()
            else:
                if "name" in form.cleaned_data:
                    # The conflict check reads the name from the account: set it first.
                    set_display_name(user=resident, name=form.cleaned_data["name"])
                # The desk told the resident the privacy notice, and ticked that it did.
                record_consent(user=resident, now=now)
                try:
                    appointment, error = _book(
                        office=office,
                        topic=topic,
                        resident=resident,
                        form=form,
                        choice=choice,
                        conflicted=conflicted,
                        user=request.user,
                        now=now,
                    )
                except TooManyActiveBookings:
                    context["error"] = _too_many_message(resident, office)
                    context["limit_reached"] = True
                    return _show(request, "booking/desk/book_form.html", context)
                except BookingError as refused:  # any other rule: say it, offer times
                    appointment, error = None, refused
                if appointment is not None:
                    return redirect("booking:desk_book_done", reference=appointment.reference)

    if error is not None:
        entries, lawyer_id = _nearest(
            office=office,
            topic=topic,
            wanted=wanted,
            lawyer_id=lawyer_id,
            mode=mode,
            resident=resident,
            now=now,
            exclude_lawyer_ids=conflicted,
        )
        lawyer = next((each for each in lawyers if each.pk == lawyer_id), None)
        closest = min(entries, key=lambda entry: abs(entry["start"] - wanted), default=None)
        context.update(
            {
                "error": _message_for(error),
                "nearest": True,
                "lawyer": lawyer,
                "days": _group_by_day(entries),
                "checked": closest["value"] if closest else "",
            }
        )
        return _show(request, "booking/desk/book_form.html", context)

    days, later = _upcoming_days(
        office=office,
        topic=topic,
        lawyer=lawyer,
        mode=mode,
        resident=resident,
        now=now,
        from_day=from_day,
    )
    values = [entry["value"] for day in days for entry in day["times"]]
    posted = data.get("slot", "")
    query = request.GET.copy()
    query.pop("day", None)
    context.update(
        {
            "days": days,
            "checked": posted if posted in values else (values[0] if values else ""),
            "later_url": f"?{_with_day(query, later)}" if later else "",
            "earliest_url": f"?{query.urlencode()}" if from_day else "",
        }
    )
    return _show(request, "booking/desk/book_form.html", context)


def _message_for(error: BookingError) -> str:
    if isinstance(error, ConflictOfInterest):
        return DESK_CONFLICT
    if isinstance(error, (SlotTaken, SlotNotOffered, TimeGone)):
        return DESK_TIME_GONE
    return error.message


def _with_day(query, day: date) -> str:
    query = query.copy()
    query["day"] = day.isoformat()
    return query.urlencode()


def _own_appointment(request, reference: str) -> Appointment:
    return get_object_or_404(
        Appointment.objects.select_related("office", "topic", "lawyer__user", "resident"),
        reference=reference,
        office=request.office,
    )


@desk_required
def done(request, reference: str):
    """Booked: the reference, whether an SMS went out, and the slip to print."""
    appointment = _own_appointment(request, reference)
    log_access(
        request,
        [appointment],
        place=AccessPlace.DESK,
        details=DESK_BOOKED_DETAILS,
    )
    office = appointment.office
    sent = get_send_time(
        appointment_ids=[appointment.pk], kind=Kind.CONFIRMATION, now=timezone.now(), tz=office.tz
    )
    resident = appointment.resident
    if sent is None or not resident.phone:
        sms_note = NOT_TEXTED
    elif sent.later:
        number = mask_number(resident.phone.as_e164)
        sms_note = TEXTED_LATER % {"number": number, "when": sent.when}
    else:
        sms_note = TEXTED % {"number": mask_number(resident.phone.as_e164)}
    context = {
        "appointment": appointment,
        "office": office,
        "resident": resident,
        "sms_note": sms_note,
    }
    return render(request, "booking/desk/book_done.html", context)


@desk_required
def slip(request, reference: str):
    """The slip the resident takes home; ``?print=1`` shows the slip alone."""
    appointment = _own_appointment(request, reference)
    context = {
        "appointment": appointment,
        "office": appointment.office,
        "print_only": request.GET.get("print") == "1",
    }
    return render(request, "booking/desk/slip.html", context)


urlpatterns = [
    path("desk/book/", find, name="desk_book"),
    path("desk/book/done/<str:reference>/", done, name="desk_book_done"),
    path("desk/book/for/<str:handle>/", topics, name="desk_book_topics"),
    path("desk/book/for/<str:handle>/<slug:topic>/", book, name="desk_book_form"),
    path("desk/slip/<str:reference>/", slip, name="desk_slip"),
]
