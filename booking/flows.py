"""Which lawyer gets a booking, and whether this person may book now.

Every page that books or moves a consultation decides here: the resident's booking and
move (booking/views/resident/book.py, booking/views/resident/mine.py) and the desk's booking
(booking/views/desk/book.py). A time can be free with several lawyers ("any lawyer"):
they are tried in ``lawyers_to_try`` order, and one who was taken meanwhile, no longer
offers the time, or is found to have advised the other party is passed over for the
next. The rules themselves (the active-booking limit, the cool-down, the conflict check,
the slot engine) are the services' (booking/services/appointments.py), which check them
again under the locks; ``why_not_bookable`` is the same check, for telling the resident
before they choose a time. A lawyer's follow-up (``book_follow_up``), the walk-in queue
(``take_walk_in``) and the demo name their lawyer themselves and call the services, which
build every appointment with ``build_appointment``.

Chapter: docs/booking.md#how-booking-stays-correct.
"""

from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from booking.errors import BookingError, ConflictOfInterest, SlotNotOffered, SlotTaken, TimeGone
from booking.models import Appointment, Lawyer
from booking.offer import preferred_order
from booking.picker import Choice
from booking.services.appointments import (
    book_appointment,
    reschedule_appointment,
    why_not_bookable,
)

__all__ = ["book_any_lawyer", "lawyers_to_try", "move_any_lawyer", "why_not_bookable"]


def lawyers_to_try(
    choice: Choice, *, conflicted: Collection[int] = (), first: int | None = None
) -> list[int]:
    """The lawyers free at ``choice`` in the order to try them: ``first`` ahead when free
    (the lawyer a consultation being moved already has), never those in ``conflicted``."""
    order = preferred_order(choice)
    if first in order:
        order.remove(first)
        order.insert(0, first)
    return [candidate for candidate in order if candidate not in conflicted]


def _first_who_takes(
    order: list[int], attempt: Callable[[int], Appointment], *, conflicted: set[int]
) -> tuple[Appointment | None, BookingError | None]:
    """``attempt(lawyer_id)`` for each lawyer in turn until one succeeds: the appointment,
    or None and the error of the last one tried. A lawyer found to have advised the other
    party meanwhile is added to ``conflicted``; any other refusal is raised."""
    error: BookingError = ConflictOfInterest() if not order else TimeGone()
    for candidate in order:
        try:
            return attempt(candidate), None
        except (SlotTaken, SlotNotOffered) as refused:
            error = refused  # with "any lawyer", another one free then may still do
        except ConflictOfInterest as refused:  # the other party booked them meanwhile
            error = refused
            conflicted.add(candidate)
    return None, error


def book_any_lawyer(
    *,
    order: list[int],
    lawyers: Mapping[int, Lawyer],
    conflicted: set[int],
    resident,
    starts_at: datetime,
    mode: str,
    now: datetime,
    **booking,
) -> tuple[Appointment | None, BookingError | None]:
    """Book the first lawyer of ``order`` who can take the consultation
    (``book_appointment`` with ``booking``'s office, topic and details).

    ``lawyers`` holds those already read; any other is read when its turn comes. The
    active-booking limit and the cool-down are raised (they hold for every lawyer).
    """

    def attempt(candidate: int) -> Appointment:
        lawyer = lawyers.get(candidate) or Lawyer.objects.get(pk=candidate)
        return book_appointment(
            resident=resident, lawyer=lawyer, starts_at=starts_at, mode=mode, now=now, **booking
        )

    return _first_who_takes(order, attempt, conflicted=conflicted)


def move_any_lawyer(
    *,
    appointment: Appointment,
    order: list[int],
    lawyers: Mapping[int, Lawyer],
    conflicted: set[int],
    starts_at: datetime,
    mode: str,
    by,
    now: datetime,
) -> tuple[Appointment | None, BookingError | None]:
    """Move ``appointment`` to the first lawyer of ``order`` who can take it then."""

    def attempt(candidate: int) -> Appointment:
        return reschedule_appointment(
            appointment=appointment,
            starts_at=starts_at,
            mode=mode,
            lawyer=lawyers[candidate],
            by=by,
            now=now,
        )

    return _first_who_takes(order, attempt, conflicted=conflicted)
