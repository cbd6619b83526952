"""What the resident's booking pages say when their address asks for what they cannot show.

Links live on: in a text message, a bookmark, a page left open overnight, a typed or
shared address. The pages never fail on one, and never silently show something else:
a day outside the booking horizon, a lawyer who does not take this area of law here, a
way of meeting or an area of law that is not known, a time that has passed — each gets
one short sentence saying what is shown instead and why (the sentences below; the pages
show them above what they show). The slot pages (booking/offer.py ``picker_context``)
and the pages of a chosen time (``why_unavailable``) call these.

Pure: values in, sentences out; no database here.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from booking.dates import format_when

# The day asked for (``?day=``).
DAY_NOT_A_DATE = _(
    "The day in this link is not a date. Shown instead: %(shown)s, the first day with free times."
)
DAY_PASSED = _("%(day)s has passed. Shown instead: %(shown)s, the first day with free times.")
DAY_TOO_FAR = _(
    "%(day)s is further ahead than this office takes bookings (%(days)d days). Shown "
    "instead: %(shown)s, the last day with free times."
)
DAY_NO_TIMES = _(
    "There are no free times on %(day)s for this choice. Shown instead: %(shown)s, the "
    "nearest day with free times."
)
# The lawyer asked for (``?lawyer=``).
LAWYER_UNKNOWN = _(
    "The lawyer in this link is not known here. Shown instead: the times of every lawyer "
    "for this area of law."
)
LAWYER_OTHER_OFFICE = _(
    "%(name)s does not take consultations at %(office)s. Shown instead: the times of every "
    "lawyer here for this area of law."
)
LAWYER_OTHER_AREA = _(
    "%(name)s does not take consultations on %(topic)s here. Shown instead: the times of "
    "every lawyer for it."
)
LAWYER_NOT_BOOKING = _(
    "%(name)s is not taking bookings at the moment. Shown instead: the times of every "
    "lawyer for this area of law."
)
# The lawyer of a consultation being moved, when they no longer offer its area of law.
OWN_LAWYER_GONE = _(
    "%(name)s no longer offers times for this area of law. Shown: the times of every lawyer for it."
)
# The way of meeting asked for (``?mode=``).
MODE_UNKNOWN = _(
    "The way of meeting in this link is not known. Shown instead: times in person and by phone."
)
# The office or the area of law of the address.
OFFICE_UNKNOWN = _("The office in this link is not known. Please choose one below.")
TOPIC_NOT_OFFERED = _(
    "This area of law is not offered online at this office any more. Please choose "
    "another one below, or call the office."
)
# A chosen time (``?start=``) that cannot be had, other than taken.
TIME_NOT_A_TIME = _(
    "The time in this link is not a time of this office. Please choose one of the free times."
)
TIME_PASSED = _("This time has passed. Please choose one of the nearest free times.")
TIME_TOO_SOON = _(
    "This time is too soon to book online: the office needs %(notice)s notice. Please "
    "choose one of the nearest free times, or call the office."
)
TIME_TOO_FAR = _(
    "This time is further ahead than this office takes bookings (%(days)d days). Please "
    "choose one of the nearest free times."
)
TIME_IS_CURRENT = _(
    "This is the time your consultation has now. Please choose another one to move it to."
)
TIME_NOT_OFFERED = _(
    "There is no consultation at this time. Please choose one of the nearest free times."
)
HOURS = ngettext_lazy("%(hours)d hour", "%(hours)d hours", "hours")
MINUTES = ngettext_lazy("%(minutes)d minute", "%(minutes)d minutes", "minutes")


@dataclass(frozen=True)
class Explained:
    """Why a chosen time cannot be had, for the page of the nearest free times (which
    shows ``message`` as it shows a booking error's)."""

    message: str


@dataclass(frozen=True)
class LawyerFacts:
    """What is known of a lawyer asked for who is not among those shown."""

    name: str
    is_active: bool
    at_office: bool


def day_notice(
    *,
    raw: str | None,
    asked: date | None,
    shown: date | None,
    days_with_times: Collection[date],
    today: date,
    horizon: date,
    horizon_days: int,
) -> str:
    """The sentence for a ``?day=`` that is not shown as asked ("" when it is, or when
    nothing is asked or nothing can be shown instead)."""
    if not raw or shown is None or asked == shown:
        return ""
    words = {"shown": format_when(shown, "day")}
    if asked is None:
        return DAY_NOT_A_DATE % words
    words["day"] = format_when(asked, "day")
    if asked < today:
        return DAY_PASSED % words
    if asked > horizon:
        return DAY_TOO_FAR % {**words, "days": horizon_days}
    if asked not in days_with_times:
        return DAY_NO_TIMES % words
    return ""


def nearest_day(asked: date | None, days: list[date]) -> date | None:
    """The day to show for ``asked``: itself if it has times, else the nearest that has
    (the later one of two as near); the first day for none or one before them all."""
    if not days:
        return None
    if asked is None or asked in days:
        return asked if asked in days else days[0]
    return min(days, key=lambda day: (abs((day - asked).days), day < asked))


def lawyer_notice(*, facts: LawyerFacts | None, office_name: str, topic_name: str) -> str:
    """The sentence for a ``?lawyer=`` who is not among the lawyers of this area here."""
    if facts is None:
        return str(LAWYER_UNKNOWN)
    if not facts.is_active:
        return LAWYER_NOT_BOOKING % {"name": facts.name}
    if not facts.at_office:
        return LAWYER_OTHER_OFFICE % {"name": facts.name, "office": office_name}
    return LAWYER_OTHER_AREA % {"name": facts.name, "topic": topic_name}


def notice_words(notice: timedelta) -> str:
    """A minimum notice as "2 hours" or "90 minutes"."""
    minutes = int(notice.total_seconds() // 60)
    if minutes % 60 == 0:
        return HOURS % {"hours": minutes // 60}
    return MINUTES % {"minutes": minutes}


def time_explained(
    *,
    start: datetime,
    now: datetime,
    min_notice: timedelta,
    local_day: date,
    horizon: date,
    horizon_days: int,
) -> Explained | None:
    """Why ``start`` cannot be booked whoever asks: passed, too soon, too far (None when
    it could be, were it free)."""
    if start <= now:
        return Explained(str(TIME_PASSED))
    if start < now + min_notice:
        return Explained(TIME_TOO_SOON % {"notice": notice_words(min_notice)})
    if local_day > horizon:
        return Explained(TIME_TOO_FAR % {"days": horizon_days})
    return None
