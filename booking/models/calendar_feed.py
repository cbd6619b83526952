"""A lawyer's calendar feed: the secret subscription address and what it shows."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FeedPrivacy(models.TextChoices):
    DEFAULT = "default", _("Reference, area of law, mode and place only")
    FULL = "full", _("Also the resident's name and phone number")


class CalendarFeed(models.Model):
    """A lawyer's secret calendar subscription: ``/calendar/<key>/<secret>.ics``.

    ``key`` finds the row; ``secret`` is then compared in constant time. Rotating
    replaces both, so the old address answers 404 like any unknown one.
    """

    lawyer = models.OneToOneField(
        "booking.Lawyer",
        verbose_name=_("lawyer"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    key = models.CharField(_("key"), max_length=32, unique=True, editable=False)
    secret = models.CharField(_("secret"), max_length=64, editable=False)
    privacy = models.CharField(
        _("what events show"), max_length=20, choices=FeedPrivacy, default=FeedPrivacy.DEFAULT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("address changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.lawyer)
