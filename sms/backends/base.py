"""The interface every SMS backend implements.

A backend sends one message and either returns the provider's message id or raises:
``TemporaryError`` for what may work later (rate limits, timeouts, server errors) and
``PermanentError`` for what never will (invalid number, blocked, unknown template).
Template providers (Alibaba Cloud, Tencent Cloud) send ``template`` with ``params``;
text providers (Twilio, console, file) send ``text``.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OutgoingSMS:
    to: str  # E.164, e.g. +8613800138000
    template: str  # the message definition's name, e.g. "confirmation"
    params: dict[str, str]
    text: str  # the whole text in `language`, as a text provider sends it
    language: str
    idempotency_key: str
    safe_contact: bool = False  # send under the neutral signature, if the provider has one


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    extra: dict = field(default_factory=dict)


class SmsError(Exception):
    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


class TemporaryError(SmsError):
    """Try again later, with backoff."""


class PermanentError(SmsError):
    """Do not try again: the message is failed with this reason."""


class BaseBackend:
    #: Whether the provider drops a second request with the same idempotency key.
    honours_idempotency_key = False

    def __init__(self, **options):
        self.options = options

    def send(self, sms: OutgoingSMS) -> SendResult:
        raise NotImplementedError
