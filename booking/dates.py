"""Days and times as people read them, in the language active or given: Django's date
formats, not ``strftime`` (whose day without a leading zero only glibc has, and whose
names follow the process's locale rather than the reader's language).

English "Fri 4 Dec" and "Fri 4 Dec 09:30"; Chinese "12月4日" and "12月4日 09:30".
"""

import datetime as dt

from django.utils import dateformat, translation

FORMATS = {"en": ("D j M", "D j M H:i"), "zh-hans": ("n月j日", "n月j日 H:i")}


def format_day(value: dt.date | dt.datetime, language: str, *, with_time: bool = False) -> str:
    """``value`` (a day, or an aware time already in the office's zone) in ``language``."""
    key = "en" if language.startswith("en") else "zh-hans"
    with translation.override(key):
        return dateformat.format(value, FORMATS[key][with_time])
