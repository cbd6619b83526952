"""What the booking pages offer: the free times of an area of law, the one chosen if it
is still free, the nearest ones when it is not (and why not: ``why_unavailable``), and
the order in which lawyers free at one time are tried. What a link asked for that cannot
be shown is put into words by booking/link_notices.py.

Used by the resident's, the desk's and the lawyer's pages alike (booking/flows.py tries
the lawyers in ``preferred_order``); reads only, no writes.

Chapter: docs/booking.md#how-booking-stays-correct.
"""

from collections.abc import Collection, Mapping
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef

from booking import link_notices, picker, selectors
from booking.errors import BookingError, TimeGone
from booking.forms.resident import ChosenSlotForm, SlotFilterForm
from booking.link_notices import Explained, LawyerFacts
from booking.models import Lawyer, Office, Topic
from booking.slots import bookable_days


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
    defaults: Mapping[str, str] | None = None,
) -> dict:
    """Days with free times, the times of the chosen day, and the first free time.

    ``link(choice, lawyer)`` gives the address a time leads to (``lawyer`` is the one
    asked for, or None). ``defaults`` are the filters that hold while the query does not
    name them (moving starts from the consultation's own lawyer and way of meeting).
    ``notices`` says what the query asked for that is not shown, and what is shown
    instead (booking/link_notices.py). One query for the lawyers and three for the free
    slots of the whole booking horizon, whatever their number; one more for a lawyer
    asked for who is not among them.
    """
    lawyers = selectors.list_topic_lawyers(office=office, topic=topic)
    data = request.GET.copy()
    defaulted = {name for name in defaults or () if name not in data}
    for name in defaulted:
        data[name] = defaults[name]
    form = SlotFilterForm(data, lawyers=lawyers)
    lawyer_id, mode, day = form.filters()
    wrong = form.wrong()
    lawyer = next((each for each in lawyers if each.pk == lawyer_id), None)
    slots = free_slots(
        office=office, topic=topic, now=now, lawyer=lawyer, moving=ignore_appointment
    )
    if mode:
        slots = [slot for slot in slots if slot.mode == mode]
    choices = picker.merge_lawyers(slots)
    tz = office.tz
    days = picker.count_by_day(choices, tz)
    selected_day = link_notices.nearest_day(day, [value for value, _count in days])
    # The days' links keep what the resident asked for, less what could not be shown.
    query = request.GET.copy()
    for name in wrong - defaulted:
        query.pop(name, None)

    def day_url(value) -> str:
        query["day"] = value.isoformat()
        return f"?{query.urlencode()}"

    def entry(choice: picker.Choice) -> dict:
        return {"start": choice.local_start(tz), "mode": choice.mode, "url": link(choice, lawyer)}

    notices = []
    if "lawyer" in wrong:
        facts = get_lawyer_facts(data["lawyer"], office=office)
        if "lawyer" in defaulted and facts is not None:
            notices.append(link_notices.OWN_LAWYER_GONE % {"name": facts.name})
        else:
            notices.append(
                link_notices.lawyer_notice(
                    facts=facts, office_name=office.name, topic_name=str(topic.name)
                )
            )
    if "mode" in wrong:
        notices.append(str(link_notices.MODE_UNKNOWN))
    today, horizon = bookable_days(policy=selectors.get_policy(office), tz=tz, now=now)
    notices.append(
        link_notices.day_notice(
            raw=data.get("day"),
            asked=day,
            shown=selected_day,
            days_with_times={value for value, _count in days},
            today=today,
            horizon=horizon,
            horizon_days=office.horizon_days,
        )
    )
    return {
        "office": office,
        "topic": topic,
        "filter_form": form,
        "lawyer": lawyer,
        "notices": [notice for notice in notices if notice],
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


def get_lawyer_facts(raw: str, *, office: Office) -> LawyerFacts | None:
    """What a ``?lawyer=`` names, when it is not one of the lawyers shown: None for no
    lawyer at all. One query (none for a value that is not a number)."""
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    here = Lawyer.offices.through.objects.filter(lawyer_id=OuterRef("pk"), office_id=office.pk)
    found = Lawyer.objects.filter(pk=pk).select_related("user").annotate(here=Exists(here)).first()
    if found is None:
        return None
    return LawyerFacts(name=str(found.user), is_active=found.is_active, at_office=found.here)


def lawyer_offered(*, office: Office, topic: Topic, lawyer_id: int | None) -> bool:
    """Whether ``lawyer_id`` (None: any lawyer) takes bookings for ``topic`` at ``office``."""
    if lawyer_id is None:
        return True
    lawyers = selectors.list_topic_lawyers(office=office, topic=topic)
    return any(each.pk == lawyer_id for each in lawyers)


def slot_page_query(chosen: ChosenSlotForm, *, tz) -> tuple[str, str]:
    """For a chosen time whose link is wrong (``chosen`` not valid): the sentence to
    show for a time that is not one ("" for none given), and the query of the slot page
    that explains the rest itself: the day of the time, and the way of meeting or the
    lawyer that the link got wrong."""
    chosen.is_valid()
    params = {}
    start = chosen.cleaned_data.get("start")
    if start is not None:
        params["day"] = start.astimezone(tz).date().isoformat()
    for name in ("mode", "lawyer"):
        if name in chosen.errors and chosen.data.get(name):
            params[name] = chosen.data[name]
    bad_start = "start" in chosen.errors and chosen.data.get("start")
    return (str(link_notices.TIME_NOT_A_TIME) if bad_start else ""), urlencode(params)


def day_and_lawyer_query(*, start, lawyer_id: int, tz) -> str:
    """The slot page's query for the day of ``start`` and a lawyer the page will explain."""
    return urlencode({"day": start.astimezone(tz).date().isoformat(), "lawyer": lawyer_id})


def why_unavailable(
    *, office: Office, topic: Topic, start, mode: str, lawyer_id, now, ignore_appointment=None
) -> Explained | BookingError:
    """Why a chosen time is not free (of the lawyer asked for, who takes this area here):
    it has passed, is too soon or too far ahead, is the time a consultation being moved
    has now, was never a consultation time, or was taken. Two queries more to tell the
    last two apart."""
    tz = office.tz
    _today, horizon = bookable_days(policy=selectors.get_policy(office), tz=tz, now=now)
    explained = link_notices.time_explained(
        start=start,
        now=now,
        min_notice=office.min_notice,
        local_day=start.astimezone(tz).date(),
        horizon=horizon,
        horizon_days=office.horizon_days,
    )
    if explained is not None:
        return explained
    moving = ignore_appointment
    if moving is not None and (start, mode, lawyer_id or moving.lawyer_id) == (
        moving.starts_at,
        moving.mode,
        moving.lawyer_id,
    ):
        return Explained(str(link_notices.TIME_IS_CURRENT))
    day = start.astimezone(tz).date()
    never_taken = selectors.list_free_slots(
        office=office,
        topic=topic,
        first_day=day,
        last_day=day,
        now=now,
        ignore_appointment_id=ignore_appointment.pk if ignore_appointment else None,
        count_appointments=False,
    )
    if lawyer_id is not None:
        never_taken = [slot for slot in never_taken if slot.lawyer_id == lawyer_id]
    if picker.find(picker.merge_lawyers(never_taken), start=start, mode=mode) is None:
        return Explained(str(link_notices.TIME_NOT_OFFERED))
    return TimeGone()


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
