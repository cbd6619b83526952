from django.conf import settings
from django.utils.module_loading import import_string

from sms.backends.base import (
    BaseBackend,
    OutgoingSMS,
    PermanentError,
    SendResult,
    SmsError,
    TemporaryError,
)

__all__ = [
    "BaseBackend",
    "OutgoingSMS",
    "PermanentError",
    "SendResult",
    "SmsError",
    "TemporaryError",
    "get_backend",
]


def get_backend(path: str | None = None, **options) -> BaseBackend:
    """The backend named by ``settings.SMS_BACKEND`` (or ``path``), like Django's e-mail."""
    backend_class = import_string(path or settings.SMS_BACKEND)
    return backend_class(**{**settings.SMS_OPTIONS, **options})
