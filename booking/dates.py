"""Days and times as people read them, in the language active or given: Django's date
formats, not ``strftime`` (whose day without a leading zero only glibc has, and whose
names follow the process's locale rather than the reader's language).

English "Fri 4 Dec" and "Fri 4 Dec 09:30"; Chinese "12月4日" and "12月4日 09:30" (texts,
where every character counts). Pages and their messages name the weekday in full and in
each language's order, ``format_when``: "12月4日 星期五 15:15" / "Friday 4 December, 15:15"
(the ``{% load when %}`` filters, booking/templatetags/when.py).
"""

import datetime as dt

from django.utils import dateformat, translation

FORMATS = {"en": ("D j M", "D j M H:i"), "zh-hans": ("n月j日", "n月j日 H:i")}
# Whole dates: Chinese puts the weekday after the date, English before it, which two
# ``date`` filters side by side cannot do.
WHEN_FORMATS = {
    "en": {
        "day": "l j F",
        "day_time": "l j F, H:i",
        "day_year": "l j F Y",
        "day_year_time": "l j F Y, H:i",
    },
    "zh-hans": {
        "day": "n月j日 l",
        "day_time": "n月j日 l H:i",
        "day_year": "Y年n月j日 l",
        "day_year_time": "Y年n月j日 l H:i",
    },
}


def format_day(value: dt.date | dt.datetime, language: str, *, with_time: bool = False) -> str:
    """``value`` (a day, or an aware time already in the office's zone) in ``language``."""
    key = "en" if language.startswith("en") else "zh-hans"
    with translation.override(key):
        return dateformat.format(value, FORMATS[key][with_time])


def format_when(value: dt.date | dt.datetime | None, kind: str, language: str | None = None) -> str:
    """``value`` (a day, or a time already in the reader's zone) as ``kind``, a key of
    ``WHEN_FORMATS``, in ``language`` (the active one by default); "" for None."""
    if value in (None, ""):
        return ""
    language = language or translation.get_language() or "zh-hans"
    key = "en" if language.startswith("en") else "zh-hans"
    with translation.override(key):
        return dateformat.format(value, WHEN_FORMATS[key][kind])
