"""The outbox: every text message is a row before it is a request to a provider.

A row is written in the same transaction as the booking change that causes it, and its
unique idempotency key makes a second write of the same message a no-op. The delivery
worker (sms/delivery.py) claims due rows under a lease, so a worker killed mid-send
leaves a row that another worker picks up once the lease has expired.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    LOGIN_CODE = "login_code", _("Sign-in code")
    CONFIRMATION = "confirmation", _("Booking confirmation")
    REMINDER = "reminder", _("Reminder")
    CANCELLATION = "cancellation", _("Cancellation")
    RESCHEDULE = "reschedule", _("New time")
    FOLLOW_UP = "follow_up", _("Follow-up invitation")
    SUMMARY = "summary", _("Daily figures for the office")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Message(models.Model):
    recipient = models.CharField(_("mobile number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    template = models.CharField(
        _("message template"),
        max_length=40,
        help_text=_("The message definition (sms/templates/sms/<language>/<template>.txt)."),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=MessageStatus, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    not_before = models.DateTimeField(
        _("not before"), default=timezone.now, help_text=_("When it may be sent.")
    )
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    appointment = models.ForeignKey(
        "booking.Appointment",
        verbose_name=_("appointment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    appointment_sequence = models.PositiveIntegerField(
        _("appointment revision"),
        null=True,
        blank=True,
        help_text=_("A reminder is skipped when the appointment has changed since."),
    )
    backend = models.CharField(_("sent through"), max_length=100, blank=True)
    provider_message_id = models.CharField(_("provider's id"), max_length=100, blank=True)
    # Our id for the provider (Alibaba's OutId, Tencent's SessionContext): random, so a
    # forged delivery report cannot name a message it has not seen.
    out_id = models.CharField(_("our id at the provider"), max_length=40, blank=True)
    error = models.TextField(_("error"), blank=True)
    # The provider's own code for a failure (isv.MOBILE_NUMBER_ILLEGAL, 30003, …), from
    # the send or from its delivery report: what the office's pages put into words.
    error_code = models.CharField(_("error code"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("text message")
        verbose_name_plural = _("text messages")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "not_before"], name="sms_message_due"),
            models.Index(fields=["recipient", "created_at"], name="sms_message_recipient"),
            models.Index(fields=["provider_message_id"], name="sms_message_provider_id"),
            models.Index(fields=["out_id"], name="sms_message_out_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {mask_number(self.recipient)}"


def mask_number(number: str) -> str:
    """``+8613800138000`` → ``138****8000``: enough to recognise, not to dial."""
    digits = number.removeprefix("+86") if number.startswith("+86") else number
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"
