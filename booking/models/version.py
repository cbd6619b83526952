"""One number that changes whenever the free time of any lawyer may have changed."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduleVersion(models.Model):
    """A single row; booking/pagecache.py keys cached public pages by its value."""

    value = models.PositiveBigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("schedule version")
        verbose_name_plural = _("schedule versions")

    def __str__(self) -> str:
        return str(self.value)
