import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sms.rules import end_of_quiet, in_quiet_hours, reminder_time

TZ = ZoneInfo("Asia/Shanghai")
QUIET = {"tz": TZ, "start": dt.time(21), "end": dt.time(8)}


def at(day, hour, minute=0):
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [(at(7, 20, 59), False), (at(7, 21), True), (at(8, 3), True), (at(8, 7, 59), True),
     (at(8, 8), False), (at(8, 12), False)],
)  # fmt: skip
def test_quiet_hours_run_across_midnight(moment, quiet):
    assert in_quiet_hours(moment, **QUIET) is quiet


def test_quiet_hours_in_the_evening_end_next_morning():
    assert end_of_quiet(at(7, 22, 30), **QUIET) == at(8, 8)
    assert end_of_quiet(at(8, 6), **QUIET) == at(8, 8)
    assert end_of_quiet(at(8, 10), **QUIET) == at(8, 10)


def test_a_reminder_outside_quiet_hours_goes_when_planned():
    assert reminder_time(at(8, 9), starts_at=at(9, 9), now=at(7, 9), **QUIET) == at(8, 9)


def test_a_reminder_in_quiet_hours_goes_after_them_when_that_is_still_in_time():
    # 2 hours before a 9:30 consultation is 7:30: it goes at 8:00.
    assert reminder_time(at(9, 7, 30), starts_at=at(9, 9, 30), now=at(7, 9), **QUIET) == at(9, 8)


def test_a_reminder_in_quiet_hours_goes_before_them_when_after_is_too_late():
    # 2 hours before an 8:00 consultation is 6:00; 8:00 would be too late: 20:55 before.
    assert reminder_time(at(9, 6), starts_at=at(9, 8), now=at(7, 9), **QUIET) == at(8, 20, 55)


def test_a_reminder_that_would_be_in_the_past_is_not_sent():
    assert reminder_time(at(7, 9), starts_at=at(8, 9), now=at(7, 12), **QUIET) is None
