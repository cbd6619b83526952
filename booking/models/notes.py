"""A lawyer's private note on an appointment."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppointmentNote(models.Model):
    """A lawyer's private note on an appointment: only its author ever sees it.

    Kept per author, so that a lawyer who takes over a moved appointment does not read
    the notes of the one who had it before.
    """

    appointment = models.ForeignKey(
        "booking.Appointment",
        verbose_name=_("appointment"),
        on_delete=models.CASCADE,
        related_name="notes",
    )
    author = models.ForeignKey(
        "booking.Lawyer", verbose_name=_("author"), on_delete=models.CASCADE, related_name="notes"
    )
    text = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("private note")
        verbose_name_plural = _("private notes")
        constraints = [
            models.UniqueConstraint(fields=["appointment", "author"], name="note_one_per_author")
        ]

    def __str__(self) -> str:
        return f"{self.appointment} ({self.author})"
