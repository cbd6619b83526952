"""Follow-ups: a lawyer asks the office to invite a resident back."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("To invite")
    INVITED = "invited", _("Invited")
    BOOKED = "booked", _("Booked")
    CLOSED = "closed", _("Closed")


class FollowUp(models.Model):
    """A lawyer asks the office to invite a resident back, by a date.

    The desk works through these (invitation SMS, then the outcome); a follow-up that the
    lawyer books directly is an appointment with ``follow_up_of`` instead.
    """

    appointment = models.ForeignKey(
        "booking.Appointment",
        verbose_name=_("after the consultation"),
        on_delete=models.CASCADE,
        related_name="follow_up_requests",
    )
    requested_by = models.ForeignKey(
        "booking.Lawyer",
        verbose_name=_("asked by"),
        on_delete=models.PROTECT,
        related_name="follow_up_requests",
    )
    invite_by = models.DateField(_("invite by"))
    note_for_office = models.CharField(
        _("note for the office"),
        max_length=300,
        blank=True,
        help_text=_("For the desk, e.g. what the resident should bring. Not the matter."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=FollowUpStatus, default=FollowUpStatus.OPEN
    )
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    booked_appointment = models.ForeignKey(
        "booking.Appointment",
        verbose_name=_("booked as"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["invite_by", "pk"]
        indexes = [models.Index(fields=["status", "invite_by"], name="follow_up_status_due")]
        constraints = [
            # One open request per consultation: asking again changes the date instead.
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(status="open"),
                name="follow_up_one_open_per_appointment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.appointment} → {date_format(self.invite_by)}"
