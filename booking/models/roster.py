"""The duty roster: which lawyers are on duty at an office on which day.

A weekly pattern (Mondays: 周律师) plus exceptions for single dates, either way (on duty
that day after all, or not). The home page shows it as "on duty today"; an office
without any roster entry shows the lawyers who hold consultation hours that day instead.
"""

from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from booking.models.lawyer import Weekday


def _colon() -> str:
    """A label's colon in the active language: "：" in Chinese, ": " in English."""
    return pgettext("between a label and its value", ": ")


class DutyDay(models.Model):
    """A lawyer on duty at an office every week on ``weekday``."""

    office = models.ForeignKey(
        "booking.Office", verbose_name=_("office"), on_delete=models.CASCADE, related_name="+"
    )
    lawyer = models.ForeignKey(
        "booking.Lawyer", verbose_name=_("lawyer"), on_delete=models.CASCADE, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday)

    class Meta:
        verbose_name = _("weekly duty")
        verbose_name_plural = _("duty roster: weekly pattern")
        ordering = ["office", "weekday", "lawyer"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "lawyer", "weekday"], name="duty_day_once_per_weekday"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="duty_day_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()}{_colon()}{self.lawyer}"


class DutyException(models.Model):
    """One date that differs from the weekly pattern, for one lawyer at one office."""

    office = models.ForeignKey(
        "booking.Office", verbose_name=_("office"), on_delete=models.CASCADE, related_name="+"
    )
    lawyer = models.ForeignKey(
        "booking.Lawyer", verbose_name=_("lawyer"), on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField(_("date"))
    on_duty = models.BooleanField(
        _("on duty"), default=False, help_text=_("Ticked: on duty that day; not ticked: not.")
    )

    class Meta:
        verbose_name = _("duty exception")
        verbose_name_plural = _("duty roster: exceptions")
        ordering = ["office", "-date", "lawyer"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "lawyer", "date"], name="duty_exception_once_per_date"
            )
        ]

    def __str__(self) -> str:
        return f"{date_format(self.date)}{_colon()}{self.lawyer}"
