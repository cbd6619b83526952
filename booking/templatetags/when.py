"""Days and times on pages, whole and in the reader's order.

``{% load when %}`` then ``{{ moment|day }}``, ``|day_time``, ``|day_year`` or
``|day_year_time``. Chinese puts the weekday after the date ("12月4日 星期五 15:15"),
English before it ("Friday 4 December, 15:15"), which two ``date`` filters side by side
cannot do. Aware times are shown in the current time zone (``{% timezone %}``), as the
``date`` filter shows them.
"""

import datetime as dt

from django import template
from django.utils import dateformat, translation

register = template.Library()

FORMATS = {
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


def format_when(value: dt.date | dt.datetime | None, kind: str) -> str:
    """``value`` in the active language as ``kind`` (a key of ``FORMATS``); "" for None."""
    if value in (None, ""):
        return ""
    language = translation.get_language() or "zh-hans"
    key = "en" if language.startswith("en") else "zh-hans"
    return dateformat.format(value, FORMATS[key][kind])


@register.filter(expects_localtime=True)
def day(value: dt.date | dt.datetime | None) -> str:
    return format_when(value, "day")


@register.filter(expects_localtime=True)
def day_time(value: dt.datetime | None) -> str:
    return format_when(value, "day_time")


@register.filter(expects_localtime=True)
def day_year(value: dt.date | dt.datetime | None) -> str:
    return format_when(value, "day_year")


@register.filter(expects_localtime=True)
def day_year_time(value: dt.datetime | None) -> str:
    return format_when(value, "day_year_time")
