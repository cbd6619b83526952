"""Booking a consultation: area of law → time → (sign in) → details → review → booked.

Every step is a link or a form that works without JavaScript. The chosen time travels
in the query string and in hidden fields (see booking/picker.py); nothing is held on
the server until the booking service writes the appointment. Times that were taken in
the meantime lead to the nearest free ones, never to an error page.

The conflict check (booking/conflicts.py) needs the other party, which the form asks
for after the time is chosen: the slot page offers every lawyer, and the review and the
booking leave out those who advised the other party. When none is left the resident
gets the same page as for a time gone, with a neutral message and the nearest times of
the other lawyers.
"""

from collections.abc import Collection

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import set_display_name
from booking import picker, selectors
from booking.conflicts import conflicted_lawyer_ids
from booking.errors import (
    BookingError,
    ConflictOfInterest,
    CoolingDown,
    TooManyActiveBookings,
)
from booking.flows import book_any_lawyer, lawyers_to_try, why_not_bookable
from booking.forms.resident import ChosenSlotForm, DetailsForm
from booking.link_notices import OFFICE_UNKNOWN, TOPIC_NOT_OFFERED, Explained
from booking.models import Lawyer, Office, Topic
from booking.offer import (
    alternatives,
    day_and_lawyer_query,
    free_choice,
    lawyer_offered,
    picker_context,
    slot_page_query,
    why_unavailable,
)
from booking.pagecache import cache_public_page, next_midnight
from booking.ratelimit import limit_posts
from booking.services.data_rights import record_consent
from booking.web.access import resident_required
from sms.models import Kind, mask_number
from sms.selectors import get_send_time

CHOOSE_A_TIME = _("Please choose a time first.")
BOOKED = _(
    "Your consultation is booked. A text message with the details is on its way to %(number)s."
)
BOOKED_LATER = _(
    "Your consultation is booked. The office sends no texts at this hour: a text message "
    "with the details will be sent to %(number)s %(when)s."
)
BOOKED_NO_SMS = _("Your consultation is booked.")


def start(request):
    """The big button: straight to the areas of law when there is one office."""
    offices = list(Office.objects.order_by("name")[:2])
    if len(offices) == 1:
        return redirect("booking:topics", office=offices[0].slug)
    return render(request, "booking/offices.html", {"offices": Office.objects.order_by("name")})


def _why_not_bookable(request, office: Office, now) -> BookingError | None:
    """Why the signed-in resident cannot book at ``office`` now: the active limit, or a
    cool-down after missed consultations (told before they choose a time)."""
    if not request.user.is_authenticated:
        return None
    return why_not_bookable(resident_id=request.user.pk, office=office, now=now)


def topics(request, office: str):
    office = Office.objects.filter(slug=office).first()
    if office is None:
        messages.info(request, OFFICE_UNKNOWN)
        return redirect("booking:start")
    now = timezone.now()
    context = {
        "office": office,
        "topics": selectors.list_bookable_topics(office=office),
        "blocked": _why_not_bookable(request, office, now),
    }
    return render(request, "booking/topics.html", context)


def _office_and_topic(
    request, office_slug: str, topic_code: str
) -> tuple[Office, Topic] | HttpResponse:
    """The office and the area of law of the address; for one that does not exist or is
    not offered there, the page to choose from instead, with a sentence saying why."""
    office = Office.objects.filter(slug=office_slug).first()
    if office is None:
        messages.info(request, OFFICE_UNKNOWN)
        return redirect("booking:start")
    topic = selectors.get_offered_topics(office=office).filter(code=topic_code).first()
    if topic is None:
        messages.info(request, TOPIC_NOT_OFFERED)
        return redirect("booking:topics", office=office.slug)
    return office, topic


@cache_public_page
def slots(request, office: str, topic: str):
    """The free times of an area of law, a day at a time."""
    found = _office_and_topic(request, office, topic)
    if isinstance(found, HttpResponse):
        return found
    office, topic = found
    now = timezone.now()
    details_url = reverse("booking:details", kwargs={"office": office.slug, "topic": topic.code})

    def link(choice: picker.Choice, lawyer: Lawyer | None) -> str:
        lawyer_id = lawyer.pk if lawyer else None
        return f"{details_url}?{choice.query(tz=office.tz, lawyer_id=lawyer_id)}"

    blocked = _why_not_bookable(request, office, now)
    if blocked:
        context = {"office": office, "topic": topic, "blocked": blocked}
    else:
        context = picker_context(request, office=office, topic=topic, now=now, link=link)
    response = render(request, "booking/slots.html", context)
    # Time alone changes the page when its first free time falls inside the notice.
    response.holds_until = next_midnight(now, office.tz)
    if context.get("first"):
        response.holds_until = min(
            response.holds_until, context["first"]["start"] - office.min_notice
        )
    return response


def _chosen_data(request) -> dict:
    """The chosen time from the query or form; an alternative picked overrides it."""
    data = (request.POST if request.method == "POST" else request.GET).copy()
    picked = data.get("pick", "")
    if "|" in picked:
        data["start"], data["mode"] = picked.split("|", 1)
    return data


@resident_required
@limit_posts("book")
def details(request, office: str, topic: str):
    """The short form about the matter, its review, and the booking itself."""
    found = _office_and_topic(request, office, topic)
    if isinstance(found, HttpResponse):
        return found
    office, topic = found
    now = timezone.now()
    slots_url = reverse("booking:slots", kwargs={"office": office.slug, "topic": topic.code})
    data = _chosen_data(request)
    chosen = ChosenSlotForm(data, tz=office.tz)
    if not chosen.is_valid():
        # The slot page says what of the link it cannot show (booking/link_notices.py).
        sentence, query = slot_page_query(chosen, tz=office.tz)
        messages.error(request, sentence or CHOOSE_A_TIME)
        return redirect(f"{slots_url}?{query}" if query else slots_url)
    start, mode, lawyer_id = (chosen.cleaned_data[name] for name in ("start", "mode", "lawyer"))
    context = {"office": office, "topic": topic, "chosen": chosen, "slots_url": slots_url}

    blocked = _why_not_bookable(request, office, now)
    if blocked:
        return render(request, "booking/limit.html", {**context, "blocked": blocked})

    is_post = request.method == "POST"
    form = DetailsForm(data if is_post else None, initial={"name": request.user.display_name})
    step = data.get("step")
    checked = is_post and step != "edit" and form.is_valid()
    # Lawyers who advised the other party named in the form; none before it is filled.
    conflicted = _conflicted(office, form, request.user, now) if checked else set()
    choice = free_choice(
        office=office, topic=topic, start=start, mode=mode, lawyer_id=lawyer_id, now=now
    )
    taken = {"wanted": start, "lawyer_id": lawyer_id, "exclude_lawyer_ids": conflicted}
    if choice is None:
        if not lawyer_offered(office=office, topic=topic, lawyer_id=lawyer_id):
            # A lawyer who does not take this area here: the slot page says so.
            query = day_and_lawyer_query(start=start, lawyer_id=lawyer_id, tz=office.tz)
            return redirect(f"{slots_url}?{query}")
        error = why_unavailable(
            office=office, topic=topic, start=start, mode=mode, lawyer_id=lawyer_id, now=now
        )
        return _taken(request, context, form, error=error, **taken)
    order = lawyers_to_try(choice, conflicted=conflicted)
    if not order:
        return _taken(request, context, form, error=ConflictOfInterest(), **taken)

    lawyer = Lawyer.objects.select_related("user").get(pk=order[0])
    context.update(
        {"form": form, "start": start.astimezone(office.tz), "mode": mode, "lawyer": lawyer}
    )
    if is_post and step == "edit":
        # Back from the review to the form, with the values as they were.
        form.is_valid()
        initial = {"name": request.user.display_name, **form.cleaned_data}
        context["form"] = DetailsForm(initial=initial)
        return render(request, "booking/details.html", context)
    if not checked:
        return render(request, "booking/details.html", context)
    if step != "confirm":
        return render(request, "booking/review.html", context)

    # Saved even if no lawyer can be booked now: it is the name the resident gave.
    set_display_name(user=request.user, name=form.cleaned_data["name"])
    record_consent(user=request.user, now=now)  # the form requires the privacy notice ticked
    try:
        appointment, error = book_any_lawyer(
            order=order,
            lawyers={lawyer.pk: lawyer},
            conflicted=conflicted,  # grows by those who took the other party meanwhile
            resident=request.user,
            office=office,
            topic=topic,
            starts_at=start,
            mode=mode,
            now=now,
            **form.booking_fields(now=now),  # the matter's consent is given now
        )
    except (TooManyActiveBookings, CoolingDown) as refused:
        return render(request, "booking/limit.html", {**context, "blocked": refused})
    if appointment is None:
        return _taken(request, context, form, error=error, **taken)
    messages.success(request, _booked(appointment, number=request.user.phone, now=now))
    return redirect("booking:appointment", reference=appointment.reference)


def _booked(appointment, *, number, now) -> str:
    """The booked message: the confirmation goes now, after the quiet hours, or not at all."""
    sent = get_send_time(
        appointment_ids=[appointment.pk], kind=Kind.CONFIRMATION, now=now, tz=appointment.office.tz
    )
    if not number or sent is None:
        return str(BOOKED_NO_SMS)
    masked = mask_number(number.as_e164)
    if sent.later:
        return BOOKED_LATER % {"number": masked, "when": sent.when}
    return BOOKED % {"number": masked}


def _conflicted(office: Office, form: DetailsForm, resident, now) -> set[int]:
    """The lawyers who cannot take the matter that ``form`` (valid) describes."""
    return conflicted_lawyer_ids(
        office=office,
        name=form.cleaned_data["opposing_party"],
        phone=form.cleaned_data["opposing_party_phone"],
        lawyer_ids=None,
        now=now,
        exclude_resident_id=resident.pk,
    )


def _taken(
    request,
    context,
    form,
    *,
    error: BookingError | Explained,
    wanted,
    lawyer_id,
    exclude_lawyer_ids: Collection[int] = (),
):
    """The friendly page for a time that cannot be had: say why, offer the nearest free
    ones, never of the lawyers in ``exclude_lawyer_ids``."""
    office, topic = context["office"], context["topic"]
    choices = alternatives(
        office=office,
        topic=topic,
        wanted=wanted,
        lawyer_id=lawyer_id,
        now=timezone.now(),
        exclude_lawyer_ids=exclude_lawyer_ids,
    )
    details_url = reverse("booking:details", kwargs={"office": office.slug, "topic": topic.code})
    context = {
        **context,
        "error": error,
        "form": form if form.is_bound else None,
        "alternatives": choices,
        "details_url": details_url,
    }
    return render(request, "booking/taken.html", context)
