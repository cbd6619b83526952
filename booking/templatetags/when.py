"""Days and times on pages, whole and in the reader's order.

``{% load when %}`` then ``{{ moment|day }}``, ``|day_time``, ``|day_year`` or
``|day_year_time``. Chinese puts the weekday after the date ("12月4日 星期五 15:15"),
English before it ("Friday 4 December, 15:15"), which two ``date`` filters side by side
cannot do. Aware times are shown in the current time zone (``{% timezone %}``), as the
``date`` filter shows them. The formats are those of ``booking.dates.format_when``,
which messages written in Python use.
"""

import datetime as dt

from django import template

from booking.dates import format_when

register = template.Library()


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
