"""What the desk keeps: the walk-in queue of the day, and the daily figures already sent.

A walk-in gets the next number of the office's day; when a lawyer takes them, the visit
becomes an ``Appointment`` (attended, channel walk-in) like any other consultation.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class WalkInStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    SEEN = "seen", _("With a lawyer")
    LEFT = "left", _("Left without being seen")


class WalkIn(models.Model):
    office = models.ForeignKey(
        "booking.Office", verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField(_("day"))
    number = models.PositiveSmallIntegerField(_("number"))
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="walk_ins",
    )
    topic = models.ForeignKey(
        "booking.Topic", verbose_name=_("area of law"), on_delete=models.PROTECT, related_name="+"
    )
    # For the conflict check when a lawyer takes them (booking/conflicts.py).
    opposing_party = models.CharField(_("other party"), max_length=200, blank=True)
    opposing_party_phone = PhoneNumberField(_("other party's phone"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=WalkInStatus, default=WalkInStatus.WAITING
    )
    arrived_at = models.DateTimeField(_("arrived"))
    seen_at = models.DateTimeField(_("taken in"), null=True, blank=True)
    appointment = models.OneToOneField(
        "booking.Appointment",
        verbose_name=_("consultation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="walk_in",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who marked them as gone, and when; cleared again when the mark is undone.
    left_at = models.DateTimeField(_("marked as left"), null=True, blank=True)
    left_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked as left by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("walk-in")
        verbose_name_plural = _("walk-ins")
        ordering = ["office", "day", "number"]
        constraints = [
            models.UniqueConstraint(fields=["office", "day", "number"], name="walk_in_number"),
            models.CheckConstraint(
                condition=Q(status="seen", appointment__isnull=False) | ~Q(status="seen"),
                name="walk_in_seen_has_appointment",
            ),
        ]

    def __str__(self) -> str:
        return f"{date_format(self.day)} #{self.number}"

    @property
    def display_number(self) -> str:
        return f"{self.number:03d}"


class SentSummary(models.Model):
    """One daily summary of an office's figures, written once per office, date and time."""

    office = models.ForeignKey(
        "booking.Office", verbose_name=_("office"), on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField(_("date"))
    at = models.TimeField(_("time"))
    channel = models.CharField(_("sent by"), max_length=10)
    recipients = models.PositiveSmallIntegerField(_("recipients"), default=0)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("daily figures sent")
        verbose_name_plural = _("daily figures sent")
        ordering = ["-date", "-at"]
        constraints = [
            models.UniqueConstraint(fields=["office", "date", "at"], name="sent_summary_once")
        ]

    def __str__(self) -> str:
        return f"{self.office} {date_format(self.date)} {self.at:%H:%M}"
