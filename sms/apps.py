from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sms"
    verbose_name = _("Text messages")

    def ready(self):
        from sms import (
            checks,  # noqa: F401  (registers the start-up checks)
            delivery,
            tasks,
        )

        tasks.run_deliveries_with(delivery.deliver)
