import json
import threading

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
    "get_shared_backend",
]

_shared: dict[str, BaseBackend] = {}
_shared_lock = threading.Lock()


def get_backend(path: str | None = None, **options) -> BaseBackend:
    """The backend named by ``settings.SMS_BACKEND`` (or ``path``), like Django's e-mail."""
    backend_class = import_string(path or settings.SMS_BACKEND)
    return backend_class(**{**settings.SMS_OPTIONS, **options})


def get_shared_backend() -> BaseBackend:
    """The configured backend, built once per process and settings: a provider's SDK
    client (and its connection pool) is then reused from one message to the next."""
    key = json.dumps([settings.SMS_BACKEND, settings.SMS_OPTIONS], sort_keys=True, default=str)
    with _shared_lock:
        if key not in _shared:
            _shared.clear()
            _shared[key] = get_backend()
        return _shared[key]
