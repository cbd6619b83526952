"""The interface every SMS backend implements.

A backend sends one message and either returns the provider's message id or raises:
``TemporaryError`` for what may work later (rate limits, timeouts, server errors) and
``PermanentError`` for what never will (invalid number, blocked, unknown template).
Template providers (Alibaba Cloud, Tencent Cloud) send ``template`` with ``params``;
text providers (Twilio, console, file) send ``text``.

A backend whose provider lists what it has sent implements ``find_sent``: the worker
asks it before sending again a message whose earlier attempt may have reached the
provider (docs/sms-delivery.md).
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TEMPLATE_ID_MISSING = "template_id_missing"
SIGN_NAME_SAFE_MISSING = "sign_name_safe_missing"


@dataclass(frozen=True)
class OutgoingSMS:
    to: str  # E.164, e.g. +8613800138000
    template: str  # the message definition's name, e.g. "confirmation"
    params: dict[str, str]
    text: str  # the whole text in `language`, as a text provider sends it
    language: str
    idempotency_key: str
    safe_contact: bool = False  # send under the neutral signature, if the provider has one
    # Our random id for this message at the provider (``Message.out_id``): Alibaba's
    # OutId, Tencent's SessionContext. Never the idempotency key, which can be guessed.
    out_id: str = ""


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    extra: dict = field(default_factory=dict)


#: What the provider says became of a message it has (``Found.status``).
FOUND_SENT = "sent"  # accepted, no receipt from the carrier yet
FOUND_DELIVERED = "delivered"
FOUND_FAILED = "failed"  # accepted, then refused by the carrier (the number, the phone)


@dataclass(frozen=True)
class Found:
    """The provider's record of an earlier request for a message (``find_sent``)."""

    status: str  # FOUND_SENT, FOUND_DELIVERED or FOUND_FAILED
    provider_message_id: str = ""  # when the record carries it
    error_code: str = ""  # the carrier's code for a failed delivery
    error: str = ""  # the code with the provider's description
    sent_at: dt.datetime | None = None
    received_at: dt.datetime | None = None


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
    #: ``SMS_OPTIONS`` keys without which the backend cannot work.
    required_options: tuple[str, ...] = ()

    def __init__(self, **options):
        self.options = options
        missing = [name for name in self.required_options if not options.get(name)]
        if missing:
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs SMS_OPTIONS {', '.join(missing)}."
            )

    def send(self, sms: OutgoingSMS) -> SendResult:
        raise NotImplementedError

    def find_sent(self, sms: OutgoingSMS, *, since: dt.datetime) -> Found | None:
        """The provider's record of a request for ``sms`` made since ``since``, matched on
        ``sms.out_id``; None when it has none, or cannot tell.

        Raises ``TemporaryError`` or ``PermanentError`` like ``send`` when the provider
        cannot be asked. This default asks nothing: None, so the message is sent again
        (at least once).
        """
        return None


class TemplateBackend(BaseBackend):
    """What the providers that send a registered template under a signature share."""

    #: Provider codes that condemn this very message; any other code is temporary.
    permanent_codes: frozenset[str] = frozenset()

    def error_for(self, code: str, detail: str = "") -> SmsError:
        error_class = PermanentError if code in self.permanent_codes else TemporaryError
        return error_class(code, detail)

    def sign_name(self, sms: OutgoingSMS) -> str:
        """The office's signature, or the neutral one for discreet messages (never the
        office's name in their 【…】)."""
        if not sms.safe_contact:
            return self.options["sign_name"]
        if not self.options.get("sign_name_safe"):
            raise PermanentError(
                SIGN_NAME_SAFE_MISSING,
                "safe contact requested but SMS_OPTIONS has no sign_name_safe",
            )
        return self.options["sign_name_safe"]

    @staticmethod
    def template_id(template: str) -> str:
        value = settings.SMS_TEMPLATE_IDS.get(template)
        if not value:
            raise PermanentError(TEMPLATE_ID_MISSING, f"SMS_TEMPLATE_IDS has no {template!r}")
        return str(value)


def fit_key(key: str, limit_bytes: int) -> str:
    """The idempotency key, or its SHA-256 when the provider's field is shorter."""
    if len(key.encode()) < limit_bytes:
        return key
    return hashlib.sha256(key.encode()).hexdigest()
