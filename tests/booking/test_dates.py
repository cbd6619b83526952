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


def test_no_module_formats_with_glibcs_padding_flags():
    """``%-d`` and its kin exist only in glibc's strftime: days go through format_day."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    flags = ("%-d", "%-m", "%-H", "%-I", "%-M")
    found = [
        f"{path.relative_to(root)}: {flag}"
        for package in ("accounts", "booking", "sms", "config")
        for path in (root / package).rglob("*.py")
        for flag in flags
        if flag in path.read_text()
    ]
    assert not found, "\n".join(found)
