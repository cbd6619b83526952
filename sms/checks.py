"""Start-up checks: a production site must know how to send its text messages."""

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

NO_BACKEND = "sms.E001"
BAD_BACKEND = "sms.E002"


@register()
def check_sms_backend(app_configs, **kwargs):
    if not settings.SMS_BACKEND:
        return [
            Error(
                "SMS_BACKEND is not set: confirmations, reminders and sign-in codes "
                "could not be sent.",
                hint="Set SMS_BACKEND (and SMS_OPTIONS) to a provider, e.g. "
                "sms.backends.alibaba.AlibabaBackend; see README.md.",
                id=NO_BACKEND,
            )
        ]
    try:
        import_string(settings.SMS_BACKEND)
    except ImportError as error:
        return [Error(f"SMS_BACKEND cannot be imported: {error}", id=BAD_BACKEND)]
    return []
