"""Appointments: one resident, one lawyer, one time, and what the resident told us.

Two active appointments of one lawyer never overlap. The database refuses it: on
PostgreSQL an exclusion constraint over the time range, on SQLite a trigger (both added
by migration 0002, because Django's model constraints cannot express them portably).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from booking.reference import format_reference


class Mode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")


class Status(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("Did not come")


class Channel(models.TextChoices):
    """How the appointment came about (the figures count online against desk bookings)."""

    ONLINE = "online", _("Booked online")
    DESK = "desk", _("Booked at the desk")
    WALK_IN = "walk_in", _("Walk-in")
    LAWYER = "lawyer", _("Follow-up booked by the lawyer")


# Appointments in these states hold the lawyer's time.
BLOCKING_STATUSES = (Status.BOOKED, Status.ATTENDED)


class Appointment(models.Model):
    reference = models.CharField(_("reference code"), max_length=8, unique=True, editable=False)
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    lawyer = models.ForeignKey(
        "booking.Lawyer",
        verbose_name=_("lawyer"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    office = models.ForeignKey(
        "booking.Office",
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    topic = models.ForeignKey(
        "booking.Topic",
        verbose_name=_("area of law"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    mode = models.CharField(_("mode"), max_length=20, choices=Mode, default=Mode.IN_PERSON)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.BOOKED)
    summary = models.TextField(_("what it is about"), blank=True)
    opposing_party = models.CharField(
        _("other party"),
        max_length=200,
        blank=True,
        help_text=_("Used only to check that the lawyer has not advised the other side."),
    )
    opposing_party_phone = PhoneNumberField(_("other party's phone"), blank=True)
    # Separate consent (PIPL art. 29) to keeping what the resident wrote about the matter
    # and the other party: sensitive personal information, never bundled with the privacy
    # notice. Empty when nothing of the kind was given.
    matter_consent_at = models.DateTimeField(
        _("agreed to keep the details of the matter"),
        null=True,
        blank=True,
        help_text=_(
            "When the resident agreed, on its own, that what they wrote about the matter "
            "and the other party may be kept."
        ),
    )
    # Normalised forms for the conflict check (booking/conflicts.py), set by the services.
    opposing_party_key = models.CharField(max_length=200, blank=True, editable=False)
    resident_name_key = models.CharField(max_length=200, blank=True, editable=False)
    needs_interpreter = models.BooleanField(_("needs an interpreter"), default=False)
    dialect = models.CharField(_("dialect"), max_length=100, blank=True)
    accessibility_needs = models.CharField(_("accessibility needs"), max_length=300, blank=True)
    safe_contact = models.BooleanField(
        _("contact discreetly"),
        default=False,
        help_text=_("Messages carry only the time and the reference code."),
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The staff member who booked for the resident, if not the resident."),
    )
    channel = models.CharField(
        _("booked through"), max_length=20, choices=Channel, default=Channel.ONLINE
    )
    checked_in_at = models.DateTimeField(
        _("checked in"),
        null=True,
        blank=True,
        help_text=_("When the desk saw the resident arrive."),
    )
    follow_up_of = models.ForeignKey(
        "self",
        verbose_name=_("follow-up of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    sequence = models.PositiveIntegerField(
        _("revision"), default=0, help_text=_("Bumped on every change.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by_resident = models.BooleanField(
        _("cancelled by the resident"),
        default=False,
        help_text=_("Late cancellations by residents count towards the booking cool-down."),
    )
    erased_at = models.DateTimeField(
        _("personal details erased"),
        null=True,
        blank=True,
        help_text=_("After the retention period or at the resident's request; counts stay."),
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["lawyer", "starts_at"], name="appointment_lawyer_start"),
            models.Index(fields=["office", "starts_at"], name="appointment_office_start"),
            models.Index(fields=["office", "created_at"], name="appointment_office_created"),
            models.Index(fields=["resident", "status"], name="appointment_resident_status"),
            models.Index(fields=["lawyer", "opposing_party_key"], name="appointment_opposing_key"),
            models.Index(fields=["lawyer", "resident_name_key"], name="appointment_resident_key"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="appointment_starts_before_end"
            ),
            # Portable first line of defence; the overlap rule itself is in migration 0002.
            models.UniqueConstraint(
                fields=["lawyer", "starts_at"],
                condition=Q(status__in=[s.value for s in BLOCKING_STATUSES]),
                name="appointment_lawyer_start_unique_active",
            ),
        ]

    def __str__(self) -> str:
        return self.display_reference

    @property
    def display_reference(self) -> str:
        return format_reference(self.reference) if self.reference else ""

    @property
    def is_blocking(self) -> bool:
        return self.status in BLOCKING_STATUSES

    def can_change_online(self, now) -> bool:
        """Whether the resident may still cancel or move it on the site (office cut-off)."""
        return self.status == Status.BOOKED and now <= self.starts_at - self.office.cancel_cutoff
