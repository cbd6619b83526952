"""One number that changes whenever the free time of any lawyer may have changed.

The booking services and the admin's signals (booking/signals.py) bump it; the page
cache (booking/pagecache.py, on the web side) reads it.
"""

from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class ScheduleVersion(models.Model):
    """A single row; booking/pagecache.py keys cached public pages by its value."""

    value = models.PositiveBigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("schedule version")
        verbose_name_plural = _("schedule versions")

    def __str__(self) -> str:
        return str(self.value)


def bump_schedule_version() -> None:
    """Call inside the transaction that changes free time, so both commit together."""
    if not ScheduleVersion.objects.filter(pk=1).update(value=F("value") + 1):
        # The row is made by migration 0005; a flushed test database has none.
        ScheduleVersion.objects.get_or_create(pk=1, defaults={"value": 1})
