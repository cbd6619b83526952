"""The office head's figures: a page of tables and bar charts, and the same counts as CSV.

Office admins only, of their own office (desk staff, lawyers and residents get the 403
page). Only counts, rates and medians leave here, with the small-number rule of
``booking.figures``; the charts are drawn on the server as inline SVG, whose text
alternative is the table beside each chart. A chart of counts with no bar to draw (all
of them 0 or hidden) is a sentence saying why instead.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from booking.figures import (
    DIMENSIONS,
    MONTH,
    SMALL,
    WEEK,
    Figures,
    PeriodFigures,
    get_figures,
    list_next_free,
    suppress,
)
from booking.spreadsheet import csv_writer
from booking.web.access import office_admin_required

PERIOD_KINDS = {WEEK: gettext_lazy("week"), MONTH: gettext_lazy("month")}
# Chart geometry, in the SVG's own units: the charts scale to the width of the page.
CHART_WIDTH = 320
ROW_HEIGHT = 38
LABEL_CHARS = 22  # longer labels are cut in the chart; the table has them whole
VALUE_ROOM = 44  # right of the longest bar, for its number
COLUMN_CHART_HEIGHT = 150

CHART_ALL_HIDDEN = gettext_lazy(
    "No bars to draw: every count here is below 5, and counts below 5 are hidden to "
    "protect residents."
)
CHART_ALL_ZERO = gettext_lazy("No bars to draw: every count here is 0.")


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    # The bar (no rectangle when its width or height is 0) and where the texts go.
    x: str
    y: str
    width: str
    height: str
    label_x: str
    label_y: str
    text_x: str
    text_y: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    width: int
    height: int
    anchor: str  # text-anchor of the labels
    bars: list[Bar]
    # Said instead of drawing a chart of counts that would have no bar; "" otherwise.
    none_drawn: str = ""


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _drawn(count: int | None, *, counts: bool) -> int:
    """How long a bar may be drawn: counts of 1–4 get none, which would show their size."""
    if count is None or (counts and count < SMALL):
        return 0
    return count


def _none_drawn(counts: Sequence[int | None]) -> str:
    """Why a chart of counts has no bar at all, or "" when it has one."""
    if any(_drawn(count, counts=True) for count in counts):
        return ""
    if any(count for count in counts):
        return str(CHART_ALL_HIDDEN)
    return str(CHART_ALL_ZERO)


def row_chart(
    chart_id: str, title: str, rows: list[tuple[str, int | None, str]], *, counts: bool = True
) -> Chart:
    """Horizontal bars, one per ``(label, number or None, text)``, the label above its bar.

    ``counts`` false draws any number (days, not people).
    """
    largest = max((_drawn(number, counts=counts) for _label, number, _text in rows), default=0)
    room = CHART_WIDTH - VALUE_ROOM
    bars = []
    for index, (label, number, text) in enumerate(rows):
        top = index * ROW_HEIGHT
        drawn = _drawn(number, counts=counts)
        length = room * drawn / largest if largest else 0
        if len(label) > LABEL_CHARS:
            label = label[: LABEL_CHARS - 1] + "…"
        bars.append(
            Bar(
                label=label,
                text=text,
                x="0",
                y=_n(top + 18),
                width=_n(length),
                height="14",
                label_x="0",
                label_y=_n(top + 13),
                text_x=_n(length + 4),
                text_y=_n(top + 30),
            )
        )
    numbers = [number for _label, number, _text in rows]
    return Chart(
        chart_id,
        title,
        CHART_WIDTH,
        len(rows) * ROW_HEIGHT,
        "start",
        bars,
        _none_drawn(numbers) if counts else "",
    )


def column_chart(chart_id: str, title: str, columns: list[tuple[str, int]]) -> Chart:
    """Vertical bars over time, one per ``(label, count)``, the count shown above."""
    largest = max((_drawn(count, counts=True) for _label, count in columns), default=0)
    step = CHART_WIDTH / max(len(columns), 1)
    bottom = COLUMN_CHART_HEIGHT - 18
    room = bottom - 18
    bars = []
    for index, (label, count) in enumerate(columns):
        middle = step * index + step / 2
        height = room * _drawn(count, counts=True) / largest if largest else 0
        bars.append(
            Bar(
                label=label,
                text=suppress(count),
                x=_n(middle - step * 0.3),
                y=_n(bottom - height),
                width=_n(step * 0.6),
                height=_n(height),
                label_x=_n(middle),
                label_y=_n(COLUMN_CHART_HEIGHT - 4),
                text_x=_n(middle),
                text_y=_n(bottom - height - 4),
            )
        )
    counts = [count for _label, count in columns]
    return Chart(
        chart_id, title, CHART_WIDTH, COLUMN_CHART_HEIGHT, "middle", bars, _none_drawn(counts)
    )


def _selected(request, periods: list[PeriodFigures]) -> PeriodFigures:
    """The period asked for by its first day, or the current one."""
    wanted = request.GET.get("period")
    return next((item for item in periods if item.period.key == wanted), periods[-1])


@office_admin_required
def figures(request):
    now = timezone.now()
    kind = MONTH if request.GET.get("by") == MONTH else WEEK
    report = get_figures(office=request.office, now=now)
    periods = report.periods(kind)
    selected = _selected(request, periods)
    next_free, free_days = list_next_free(office=request.office, now=now)
    tables = []
    for dimension, name in DIMENSIONS.items():
        cells = report.cells(selected, dimension)
        chart = row_chart(
            f"chart-{dimension}",
            _("%(what)s, %(period)s: bar chart of the table above")
            % {"what": name, "period": selected.period.label},
            [(cell.label, cell.count, cell.shown) for cell in cells],
        )
        tables.append({"dimension": dimension, "name": name, "cells": cells, "chart": chart})
    trend_title = (
        _("Consultations per week: bar chart of the table above")
        if kind == WEEK
        else _("Consultations per month: bar chart of the table above")
    )
    context = {
        "kind": kind,
        "periods": periods,
        "selected": selected,
        "tables": tables,
        "trend_chart": column_chart(
            "chart-trend",
            trend_title,
            [(item.period.chart_label, item.consultations) for item in periods],
        ),
        "next_free": next_free,
        "free_days": free_days,
        "office_time_zone": request.office.time_zone,
        "free_chart": row_chart(
            "chart-free",
            _("Days to the next free time: bar chart of the table above"),
            [
                (
                    item.topic.name,
                    item.days,
                    str(item.days) if item.days is not None else _("none"),
                )
                for item in next_free
            ],
            counts=False,
        ),
    }
    return render(request, "booking/desk/figures.html", context)


def csv_rows(report: Figures):
    """Header, then one row per period, dimension and value: the counts as on the page."""
    yield [_("period"), _("first day"), _("last day"), _("figure"), _("value"), _("count")]
    for kind in (WEEK, MONTH):
        for item in report.periods(kind):
            period = [str(PERIOD_KINDS[kind]), item.period.first_day, item.period.last_day]
            yield [*period, _("Consultations"), "", item.consultations_shown]
            for dimension, name in DIMENSIONS.items():
                for cell in report.cells(item, dimension):
                    yield [*period, str(name), cell.label, cell.shown]


@office_admin_required
def figures_csv(request):
    """The counts of every week and month on the page, for a spreadsheet."""
    now = timezone.now()
    report = get_figures(office=request.office, now=now)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"figures-{request.office.slug}-{now.astimezone(request.office.tz):%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # the byte order mark makes Excel read UTF-8 (Chinese) right
    writer = csv_writer(response)  # names of areas of law never start a formula
    writer.writerows(csv_rows(report))
    return response


urlpatterns = [
    path("desk/figures/", figures, name="desk_figures"),
    path("desk/figures.csv", figures_csv, name="desk_figures_csv"),
]
