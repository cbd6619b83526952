"""Offices with their booking policy, and the areas of law residents choose from."""

import zoneinfo
from datetime import time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

UNKNOWN_TIME_ZONE = _("Unknown time zone.")
BAD_REMINDER_HOURS = _("Enter whole hours separated by commas, for example 24,2.")
BAD_SUMMARY_TIMES = _("Enter times of day separated by commas, for example 11:00,16:00.")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(UNKNOWN_TIME_ZONE, code="unknown_time_zone")


def parse_reminder_hours(value: str) -> list[int]:
    """``"24, 2"`` → ``[24, 2]``; raises ValueError for anything else."""
    hours = [int(part) for part in value.replace("，", ",").split(",") if part.strip()]
    if any(hour <= 0 or hour > 24 * 14 for hour in hours):
        raise ValueError(value)
    return sorted(set(hours), reverse=True)


def validate_reminder_hours(value: str) -> None:
    try:
        parse_reminder_hours(value)
    except ValueError:
        raise ValidationError(BAD_REMINDER_HOURS, code="bad_reminder_hours") from None


def parse_summary_times(value: str) -> list[time]:
    """``"11:00, 16:00"`` → ``[time(11), time(16)]``; raises ValueError for anything else."""
    times = set()
    for part in value.replace("，", ",").replace("：", ":").split(","):
        if part.strip():
            hour, minute = part.strip().split(":")
            times.add(time(int(hour), int(minute)))
    return sorted(times)


def validate_summary_times(value: str) -> None:
    try:
        parse_summary_times(value)
    except ValueError:
        raise ValidationError(BAD_SUMMARY_TIMES, code="bad_summary_times") from None


class SummaryChannel(models.TextChoices):
    OFF = "off", _("Off")
    SMS = "sms", _("By SMS")
    EMAIL = "email", _("By e-mail")


class Office(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name in addresses"), unique=True)
    address = models.CharField(_("address"), max_length=300)
    # Text-message templates take short variables (tens of characters, by provider rule):
    # the office's name and place as the texts say them (sms/registry.py fits them).
    sms_name = models.CharField(
        _("name in text messages"),
        max_length=20,
        blank=True,
        help_text=_("Short, e.g. 青石镇司法所. Empty: the name, when it is short enough."),
    )
    sms_place = models.CharField(
        _("place in text messages"),
        max_length=20,
        blank=True,
        help_text=_("Short, e.g. 青石镇政府一楼. Empty: the name in text messages."),
    )
    phone = models.CharField(_("phone"), max_length=40)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    opening_hours = models.TextField(
        _("opening hours"), blank=True, help_text=_("As shown to residents.")
    )
    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"),
        default=120,
        help_text=_("How long before a consultation it can still be booked online."),
    )
    horizon_days = models.PositiveIntegerField(
        _("booking horizon (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("How many days ahead residents can book."),
    )
    cancel_cutoff_minutes = models.PositiveIntegerField(
        _("cancellation cut-off (minutes)"),
        # Shorter than the minimum notice, so that whoever books can still cancel online.
        default=60,
        help_text=_("Residents can cancel or move a consultation until this long before it."),
    )
    max_active_bookings = models.PositiveIntegerField(
        _("active bookings per resident"),
        default=2,
        validators=[MinValueValidator(1)],
        help_text=_("How many upcoming consultations one resident may hold at this office."),
    )

    conflict_check_years = models.PositiveSmallIntegerField(
        _("conflict check (years)"),
        default=3,
        validators=[MaxValueValidator(30)],
        help_text=_(
            "A lawyer who advised the other party of a booking within this many years is "
            "not offered for it."
        ),
    )

    reminder_hours = models.CharField(
        _("reminders (hours before)"),
        max_length=50,
        default="24,2",
        validators=[validate_reminder_hours],
        help_text=_("When residents get a reminder SMS, e.g. 24,2. Empty: no reminders."),
    )
    quiet_hours_start = models.TimeField(
        _("no messages from"), default=time(21, 0), help_text=_("Office time.")
    )
    quiet_hours_end = models.TimeField(_("no messages until"), default=time(8, 0))
    require_staff_totp = models.BooleanField(
        _("staff must use an authenticator app"),
        default=False,
        help_text=_(
            "Lawyers, desk staff and admins of this office must set up an app that shows "
            "one-time codes (TOTP) before they can use the site."
        ),
    )
    retention_days = models.PositiveIntegerField(
        _("keep personal details (days)"),
        default=730,
        validators=[MinValueValidator(30)],
        help_text=_(
            "Personal details of a resident's consultations are erased this long after "
            "their last contact with the office; the counts stay."
        ),
    )
    cooldown_strikes = models.PositiveSmallIntegerField(
        _("missed or late-cancelled consultations before a pause"),
        default=3,
        help_text=_("0: never pause online booking."),
    )
    cooldown_window_days = models.PositiveSmallIntegerField(
        _("counted over (days)"), default=90, validators=[MinValueValidator(1)]
    )
    cooldown_days = models.PositiveSmallIntegerField(
        _("online booking paused for (days)"), default=30
    )
    late_cancel_hours = models.PositiveSmallIntegerField(
        _("a cancellation is late within (hours)"), default=24
    )
    summary_channel = models.CharField(
        _("daily figures"),
        max_length=10,
        choices=SummaryChannel,
        default=SummaryChannel.SMS,
        help_text=_("How the office admins get the day's counts; off sends nothing."),
    )
    summary_times = models.CharField(
        _("daily figures at"),
        max_length=50,
        default="11:00,16:00",
        validators=[validate_summary_times],
        help_text=_("Office time, e.g. 11:00,16:00."),
    )
    # The office's own switch: which of the shared areas of law it offers. The names are
    # shared by all offices and edited by superusers only.
    topics = models.ManyToManyField(
        "booking.Topic",
        verbose_name=_("areas of law offered"),
        blank=True,
        related_name="offices",
        help_text=_("The areas of law residents can choose at this office."),
    )

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(horizon_days__gte=1), name="office_horizon_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(max_active_bookings__gte=1),
                name="office_max_active_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def min_notice(self) -> timedelta:
        return timedelta(minutes=self.min_notice_minutes)

    @property
    def cancel_cutoff(self) -> timedelta:
        return timedelta(minutes=self.cancel_cutoff_minutes)

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.retention_days)

    @property
    def summary_time_list(self) -> list[time]:
        return parse_summary_times(self.summary_times)

    @property
    def reminder_offsets(self) -> list[timedelta]:
        return [timedelta(hours=hours) for hours in parse_reminder_hours(self.reminder_hours)]


class Topic(models.Model):
    """An area of law. The list is seeded by a migration; offices may add more."""

    code = models.SlugField(_("code"), unique=True)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("area of law")
        verbose_name_plural = _("areas of law")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (Chinese unless English is active)."""
        language = get_language() or "zh-hans"
        return self.name_en if language.startswith("en") else self.name_zh_hans
