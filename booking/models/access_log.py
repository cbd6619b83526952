"""The access log: which member of staff saw a resident's personal details, and when.

One row per person, appointment, page and day (the first view of the day is kept, with
its time and address): a lawyer's phone that polls the calendar feed every quarter of
an hour, or a desk that reloads the day sheet, does not write a row each time. The
office admin reads the log in the admin; a resident reads their own rows on "my data".
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


class AccessPlace(models.TextChoices):
    AGENDA = "agenda", _("Lawyer's agenda")
    APPOINTMENT = "appointment", _("Lawyer's page of the consultation")
    FEED = "feed", _("Lawyer's calendar app")
    DAY_SHEET = "day_sheet", _("Desk: day sheet")
    DESK = "desk", _("Desk: booking, queue and follow-ups")
    ADMIN = "admin", _("Admin site")


class AccessLog(models.Model):
    # Kept for the security log's period even when the resident's account is deleted:
    # the row then holds the consultation's reference, not the person.
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_log",
    )
    appointment = models.ForeignKey(
        "booking.Appointment",
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    office = models.ForeignKey(
        "booking.Office",
        verbose_name=_("office"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("seen by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # Kept if the staff account is deleted, so that the resident still reads who it was.
    viewer_name = models.CharField(_("name"), max_length=200)
    viewer_role = models.CharField(_("role"), max_length=20)
    place = models.CharField(_("where"), max_length=20, choices=AccessPlace)
    details = models.CharField(
        _("what was shown"), max_length=200, help_text=_("The personal fields on the page.")
    )
    day = models.DateField(_("day"))
    at = models.DateTimeField(_("first seen at"))
    ip = models.GenericIPAddressField(_("from address"), null=True, blank=True)

    class Meta:
        verbose_name = _("access to personal details")
        verbose_name_plural = _("access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["resident", "-at"], name="access_log_resident")]
        constraints = [
            models.UniqueConstraint(
                fields=["viewer", "appointment", "place", "day"], name="access_log_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{date_format(timezone.localtime(self.at), 'DATETIME_FORMAT')} {self.viewer_name}"
