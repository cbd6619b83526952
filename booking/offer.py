"""What the booking pages offer: the free times of an area of law, the one chosen if it
is still free, the nearest ones when it is not, and the order in which lawyers free at
one time are tried.

Used by the resident's, the desk's and the lawyer's pages alike (booking/flows.py tries
the lawyers in ``preferred_order``); reads only, no writes.

Chapter: docs/booking.md#how-booking-stays-correct.
"""

from collections.abc import Collection

from booking import picker, selectors
from booking.forms.resident import SlotFilterForm
from booking.models import Office, Topic


def free_slots(*, office, topic, now, lawyer=None, day=None, moving=None) -> list:
    """Free slots of the booking horizon, or of one ``day``, of one lawyer or of any.

    ``moving`` is an appointment being moved: its own time counts as free for the others
    it overlaps, and the very slot it holds is left out (moving there is no move).
    """
    slots = selectors.list_free_slots(
        office=office,
        topic=topic,
        lawyer=lawyer,
        first_day=day,
        last_day=day,
        now=now,
        ignore_appointment_id=moving.pk if moving else None,
    )
    if moving is None:
        return slots
    return [
        slot
        for slot in slots
        if not (slot.start == moving.starts_at and slot.lawyer_id == moving.lawyer_id)
    ]


def picker_context(
    request,
    *,
    office: Office,
    topic: Topic,
    now,
    link,
    ignore_appointment=None,
) -> dict:
    """Days with free times, the times of the chosen day, and the first free time.

    ``link(choice, lawyer)`` gives the address a time leads to (``lawyer`` is the one
    asked for, or None). One query for the lawyers and three for the free slots of the
    whole booking horizon, whatever their number.
    """
    lawyers = selectors.list_topic_lawyers(office=office, topic=topic)
    form = SlotFilterForm(request.GET, lawyers=lawyers)
    lawyer_id, mode, day = form.filters()
    lawyer = next((each for each in lawyers if each.pk == lawyer_id), None)
    slots = free_slots(
        office=office, topic=topic, now=now, lawyer=lawyer, moving=ignore_appointment
    )
    if mode:
        slots = [slot for slot in slots if slot.mode == mode]
    choices = picker.merge_lawyers(slots)
    tz = office.tz
    days = picker.count_by_day(choices, tz)
    selected_day = day if day in dict(days) else (days[0][0] if days else None)
    query = request.GET.copy()

    def day_url(value) -> str:
        query["day"] = value.isoformat()
        return f"?{query.urlencode()}"

    def entry(choice: picker.Choice) -> dict:
        return {"start": choice.local_start(tz), "mode": choice.mode, "url": link(choice, lawyer)}

    return {
        "office": office,
        "topic": topic,
        "filter_form": form,
        "lawyer": lawyer,
        "days": [
            {"day": value, "count": count, "url": day_url(value), "selected": value == selected_day}
            for value, count in days
        ],
        "selected_day": selected_day,
        "selected_index": next(
            (index for index, (value, _count) in enumerate(days, 1) if value == selected_day), 0
        ),
        "times": [entry(choice) for choice in picker.on_day(choices, selected_day, tz)],
        "first": entry(choices[0]) if choices else None,
    }


def free_choice(
    *, office, topic, start, mode, lawyer_id, now, ignore_appointment=None
) -> picker.Choice | None:
    """The chosen time if it is still free, with the lawyers (of those asked for) free then."""
    day = start.astimezone(office.tz).date()
    slots = free_slots(office=office, topic=topic, now=now, day=day, moving=ignore_appointment)
    if lawyer_id is not None:
        slots = [slot for slot in slots if slot.lawyer_id == lawyer_id]
    return picker.find(picker.merge_lawyers(slots), start=start, mode=mode)


def preferred_order(choice: picker.Choice) -> list[int]:
    """Lawyers free at a time, starting with a different one for different times.

    Spreads "any lawyer" bookings over the lawyers instead of filling one diary first.
    """
    ids = list(choice.lawyer_ids)
    shift = int(choice.start.timestamp() // 60) % len(ids)
    return ids[shift:] + ids[:shift]


def alternatives(
    *,
    office,
    topic,
    wanted,
    lawyer_id,
    now,
    ignore_appointment=None,
    exclude_lawyer_ids: Collection[int] = (),
) -> list[dict]:
    """The free times nearest to the one that could not be had; any lawyer if needed.

    Lawyers in ``exclude_lawyer_ids`` (who cannot take the matter) are never offered;
    when the one asked for is among them, the times are those of any other lawyer.
    """
    slots = free_slots(office=office, topic=topic, now=now, moving=ignore_appointment)
    if exclude_lawyer_ids:
        slots = [slot for slot in slots if slot.lawyer_id not in exclude_lawyer_ids]
    if lawyer_id is not None:
        own = [slot for slot in slots if slot.lawyer_id == lawyer_id]
        slots = own or slots
        lawyer_id = lawyer_id if own else None
    choices = picker.nearest(picker.merge_lawyers(slots), wanted)
    return [
        {
            "start": choice.local_start(office.tz),
            "mode": choice.mode,
            "value": f"{picker.format_start(choice.start, office.tz)}|{choice.mode}",
            "query": choice.query(tz=office.tz, lawyer_id=lawyer_id),
            "lawyer_id": lawyer_id,
        }
        for choice in choices
    ]
