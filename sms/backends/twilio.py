"""Twilio Programmable Messaging through the official SDK: sends the whole text.

Options (``settings.SMS_OPTIONS`` merged with keyword arguments):

``account_sid``, ``auth_token``
    The account's credentials. Required.
``from_number``
    The sending number (E.164) or sender id. Required.
``from_number_safe``
    The sender used when ``sms.safe_contact`` is set, for an account whose ``from_number``
    is an alphanumeric sender id naming the office. Twilio adds no signature of its own and
    sends ``sms.text`` as it is, so with a plain number as sender nothing else is needed;
    without this option safe-contact messages go from ``from_number``.
``endpoint``
    Base URL of the API (default ``https://api.twilio.com``); tests use a local server.
``edge``, ``region``
    Twilio's edge and region, unset by default. They come from these options only: the
    SDK's ``TWILIO_EDGE``/``TWILIO_REGION`` environment variables are not consulted, so
    that settings stay the one place that decides where messages go.
``timeout``
    Seconds allowed for connecting and again for the answer (default 10).

Delivery reports: with ``SITE_URL`` and ``SMS_CALLBACK_TOKEN`` set, every message is sent
with a ``StatusCallback`` of ``<SITE_URL>/sms/callbacks/<token>/twilio/?out_id=<out_id>``
(``status_callback_url``); Twilio posts the message's later statuses there, signed with
the account's auth token (``X-Twilio-Signature``, checked in sms/views.py), and
sms/reports.py settles the row. ``out_id`` in the URL finds a message whose send timed
out before Twilio's answer gave its sid. Without either setting no reports come and
Twilio messages stay "sent" (a system check warns).

Twilio stores and processes messages outside mainland China (``outside_mainland_china``):
sms/checks.py refuses it for offices there unless ``SMS_ALLOW_PROVIDER_ABROAD`` is set.

Known limits:

- The Messages API takes no idempotency key, hence ``honours_idempotency_key = False``;
  a timeout is a ``TemporaryError`` although Twilio may have accepted the message, so a
  retry can send it twice.
- No look-up before a message is sent again after a crash or a timeout (``find_sent`` is
  the base class's): a Message resource as the API lists it carries nothing of ours, and
  matching on number and body could take an earlier text of the same words for this one
  and lose it. At least once: such a message goes again unless its status callback
  settled it first (docs/sms-delivery.md).
- Error codes (https://www.twilio.com/docs/api/errors): the ones below condemn this very
  message (number, opt-out, body, destination) and are permanent; 429/20429, 5xx,
  credentials and any other code are temporary, because a reminder lost to a transient
  condition costs more than a few bounded retries of a request Twilio rejected.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from requests import RequestException
from requests.exceptions import Timeout
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from sms.backends.base import BaseBackend, OutgoingSMS, PermanentError, SendResult, TemporaryError

DEFAULT_TIMEOUT = 10.0

PERMANENT_CODES = frozenset(
    {
        21211,  # Invalid 'To' phone number
        21408,  # Permission to send an SMS has not been enabled for the region
        21602,  # Message body is required
        21606,  # The 'From' number is not a valid message-capable number for this destination
        21610,  # Attempt to send to an unsubscribed recipient (replied STOP)
        21612,  # The 'To' number cannot be reached from this 'From' number
        21614,  # 'To' number is not a valid mobile number
        21617,  # The concatenated message body exceeds the 1600 character limit
    }
)


def status_callback_url(out_id: str = "") -> str:
    """Where Twilio is to post a message's statuses; empty without ``SITE_URL`` or
    ``SMS_CALLBACK_TOKEN``. Twilio signs its reports for exactly this URL."""
    site, token = settings.SITE_URL, settings.SMS_CALLBACK_TOKEN
    if not site or not token:
        return ""
    url = site.rstrip("/") + reverse("sms:twilio_reports", kwargs={"token": token})
    return f"{url}?{urlencode({'out_id': out_id})}" if out_id else url


def report_auth_token() -> str:
    """The auth token Twilio signs its reports with: the account's, from ``SMS_OPTIONS``."""
    return str(settings.SMS_OPTIONS.get("auth_token") or "")


def signed_by_twilio(*, url: str, params, signature: str, auth_token: str) -> bool:
    """Whether ``signature`` (``X-Twilio-Signature``) is Twilio's for a POST of the form
    ``params`` to ``url``, checked by the SDK's validator (HMAC-SHA1 of the URL and the
    sorted fields with the auth token)."""
    return RequestValidator(auth_token).validate(url, params, signature)


class TwilioBackend(BaseBackend):
    honours_idempotency_key = False
    #: The resident's number and the text are processed by Twilio, outside mainland China.
    outside_mainland_china = True
    required_options = ("account_sid", "auth_token", "from_number")

    def __init__(self, **options):
        super().__init__(**options)
        self.timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
        self.client = Client(
            options["account_sid"],
            options["auth_token"],
            http_client=TwilioHttpClient(timeout=self.timeout),
        )
        self.client.edge = options.get("edge")
        self.client.region = options.get("region")
        if options.get("endpoint"):
            self.client.api.base_url = options["endpoint"]

    def send(self, sms: OutgoingSMS) -> SendResult:
        sender = self.options["from_number"]
        if sms.safe_contact and self.options.get("from_number_safe"):
            sender = self.options["from_number_safe"]
        extra = {}
        callback = status_callback_url(sms.out_id)
        if callback:
            extra["status_callback"] = callback
        try:
            message = self.client.messages.create(to=sms.to, from_=sender, body=sms.text, **extra)
        except (TwilioRestException, TwilioServiceException) as exc:
            code = exc.code or exc.status
            detail = f"HTTP {exc.status}: {getattr(exc, 'msg', '') or getattr(exc, 'detail', '')}"
            if code in PERMANENT_CODES:
                raise PermanentError(str(code), detail) from exc
            raise TemporaryError(str(code), detail) from exc
        except Timeout as exc:
            raise TemporaryError("timeout", f"no answer within {self.timeout:g}s") from exc
        except RequestException as exc:
            # Its message quotes the URL; the kind of failure is enough for the outbox.
            raise TemporaryError("network_error", type(exc).__name__) from exc
        return SendResult(provider_message_id=message.sid or "", extra={"status": message.status})
