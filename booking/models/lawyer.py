"""Lawyers, their weekly hours (availability rules) and their time off."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from booking.models.appointment import Mode


class Weekday(models.IntegerChoices):
    # Python's date.weekday() numbering.
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Lawyer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="lawyer",
    )
    offices = models.ManyToManyField(
        "booking.Office", verbose_name=_("offices"), related_name="lawyers"
    )
    topics = models.ManyToManyField(
        "booking.Topic", verbose_name=_("areas of law"), related_name="lawyers", blank=True
    )
    languages = models.CharField(
        _("languages and dialects"),
        max_length=200,
        blank=True,
        help_text=_("For example: Mandarin, Xiang dialect."),
    )
    is_active = models.BooleanField(_("taking bookings"), default=True)

    class Meta:
        verbose_name = _("lawyer")
        verbose_name_plural = _("lawyers")
        ordering = ["user__display_name"]

    def __str__(self) -> str:
        return str(self.user)


class AvailabilityRule(models.Model):
    """Weekly hours: on `weekday`, from `start_time` to `end_time` local office time."""

    lawyer = models.ForeignKey(
        Lawyer, verbose_name=_("lawyer"), on_delete=models.CASCADE, related_name="rules"
    )
    office = models.ForeignKey(
        "booking.Office",
        verbose_name=_("office"),
        on_delete=models.CASCADE,
        related_name="availability_rules",
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("length of a consultation (minutes)"), default=30
    )
    mode = models.CharField(_("mode"), max_length=20, choices=Mode, default=Mode.IN_PERSON)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("weekly hours")
        verbose_name_plural = _("weekly hours")
        ordering = ["lawyer", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="rule_weekday_range"),
            models.CheckConstraint(
                condition=Q(start_time__lt=F("end_time")), name="rule_starts_before_end"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=480),
                name="rule_slot_length_range",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_from__lte=F("valid_until")),
                name="rule_valid_range",
            ),
        ]

    def __str__(self) -> str:
        hours = f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"
        return f"{self.lawyer} {self.get_weekday_display()} {hours}"


class TimeOff(models.Model):
    lawyer = models.ForeignKey(
        Lawyer, verbose_name=_("lawyer"), on_delete=models.CASCADE, related_name="time_off"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(
        _("reason"), max_length=200, blank=True, help_text=_("Private to the lawyer.")
    )

    class Meta:
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="time_off_starts_before_end"
            ),
        ]

    def __str__(self) -> str:
        first, last = (
            date_format(timezone.localtime(moment), "DATETIME_FORMAT")
            for moment in (self.starts_at, self.ends_at)
        )
        return f"{self.lawyer} {first}–{last}"
