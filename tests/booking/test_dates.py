"""booking/dates.py: days as the reader's language writes them, with Django's formats."""

import datetime as dt
from zoneinfo import ZoneInfo

from booking.dates import format_day


def test_a_day_in_english_and_in_chinese():
    day = dt.date(2026, 12, 7)
    assert format_day(day, "en") == "Mon 7 Dec"
    assert format_day(day, "zh-hans") == "12月7日"


def test_a_time_keeps_its_own_zone_and_gives_hours_and_minutes():
    local = dt.datetime(2026, 3, 2, 9, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert format_day(local, "en", with_time=True) == "Mon 2 Mar 09:05"
    assert format_day(local, "zh-hans", with_time=True) == "3月2日 09:05"
