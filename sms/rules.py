"""When a message may go out: quiet hours, and where a reminder lands around them.

Pure functions of aware datetimes and the office's local quiet hours.
"""

from datetime import datetime, time, timedelta, tzinfo

#: A reminder moved before the quiet hours goes out this long before they begin.
BEFORE_QUIET_MARGIN = timedelta(minutes=5)


def in_quiet_hours(at: datetime, *, tz: tzinfo, start: time, end: time) -> bool:
    local = at.astimezone(tz).time()
    if start <= end:  # e.g. 12:00–14:00
        return start <= local < end
    return local >= start or local < end  # e.g. 21:00–08:00, across midnight


def end_of_quiet(at: datetime, *, tz: tzinfo, start: time, end: time) -> datetime:
    """The first moment at or after ``at`` outside the quiet hours."""
    if not in_quiet_hours(at, tz=tz, start=start, end=end):
        return at
    local = at.astimezone(tz)
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    return datetime.combine(day, end, tz)


def start_of_quiet_before(at: datetime, *, tz: tzinfo, start: time, end: time) -> datetime:
    """A moment shortly before the quiet period that contains ``at`` began."""
    local = at.astimezone(tz)
    day = local.date()
    if start > end and local.time() < end:
        day -= timedelta(days=1)
    return datetime.combine(day, start, tz) - BEFORE_QUIET_MARGIN


def reminder_time(
    ideal: datetime, *, starts_at: datetime, now: datetime, tz: tzinfo, start: time, end: time
) -> datetime | None:
    """When a reminder meant for ``ideal`` goes out, or None if it cannot be useful.

    Outside quiet hours: at ``ideal``. Inside: after them if that is still before the
    appointment, else just before them. Never in the past, never after the start.
    """
    at = ideal
    if in_quiet_hours(ideal, tz=tz, start=start, end=end):
        after = end_of_quiet(ideal, tz=tz, start=start, end=end)
        at = (
            after
            if after < starts_at
            else start_of_quiet_before(ideal, tz=tz, start=start, end=end)
        )
    if at < now or at >= starts_at:
        return None
    return at
