"""What the resident chooses from: the free slots of the engine, as times and days.

The engine returns one slot per lawyer. A resident who does not mind which lawyer sees
one time for all lawyers free at it (in the same mode), and the lawyer is settled when
they book. A chosen time travels between pages as three plain values (local start,
mode, lawyer or none), so that every step is an ordinary link or form without
JavaScript and without state on the server.

Pure: no database here.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from urllib.parse import urlencode

from booking.slots import Slot

START_FORMAT = "%Y-%m-%dT%H:%M"
NEAREST_COUNT = 6


@dataclass(frozen=True, slots=True)
class Choice:
    """One time a resident can pick: a start, a mode, and the lawyers free then."""

    start: datetime
    mode: str
    lawyer_ids: tuple[int, ...]

    def local_start(self, tz: tzinfo) -> datetime:
        return self.start.astimezone(tz)

    def query(self, *, tz: tzinfo, lawyer_id: int | None = None) -> str:
        """The query string that names this choice (``lawyer_id`` when one was asked for)."""
        params = {"start": format_start(self.start, tz), "mode": self.mode}
        if lawyer_id is not None:
            params["lawyer"] = str(lawyer_id)
        return urlencode(params)


def format_start(start: datetime, tz: tzinfo) -> str:
    return start.astimezone(tz).strftime(START_FORMAT)


def parse_start(value: str, tz: tzinfo) -> datetime | None:
    """The instant of a local ``YYYY-MM-DDTHH:MM``; None for anything else.

    A wall time that happens twice means its first occurrence, as in the engine.
    """
    try:
        naive = datetime.strptime(value, START_FORMAT)
    except (TypeError, ValueError):
        return None
    return naive.replace(tzinfo=tz, fold=0)


def merge_lawyers(slots: list[Slot]) -> list[Choice]:
    """One choice per start and mode, with every lawyer free then, in time order."""
    lawyers: dict[tuple[datetime, str], list[int]] = {}
    for slot in slots:
        lawyers.setdefault((slot.start, slot.mode), []).append(slot.lawyer_id)
    return [
        Choice(start=start, mode=mode, lawyer_ids=tuple(sorted(ids)))
        for (start, mode), ids in sorted(lawyers.items())
    ]


def count_by_day(choices: list[Choice], tz: tzinfo) -> list[tuple[date, int]]:
    """The local days that have choices, with how many, in order."""
    counts = Counter(choice.local_start(tz).date() for choice in choices)
    return sorted(counts.items())


def on_day(choices: list[Choice], day: date, tz: tzinfo) -> list[Choice]:
    return [choice for choice in choices if choice.local_start(tz).date() == day]


def nearest(choices: list[Choice], wanted: datetime, count: int = NEAREST_COUNT) -> list[Choice]:
    """The ``count`` choices closest in time to ``wanted``, in time order."""
    closest = sorted(choices, key=lambda choice: (abs(choice.start - wanted), choice.start))
    return sorted(closest[:count], key=lambda choice: (choice.start, choice.mode))


def find(choices: list[Choice], *, start: datetime, mode: str) -> Choice | None:
    for choice in choices:
        if choice.start == start and choice.mode == mode:
            return choice
    return None
