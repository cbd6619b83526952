"""Delivery-report callbacks of Alibaba Cloud, Tencent Cloud and Twilio.

Alibaba and Tencent POST a JSON array of reports to a URL configured in their console,
Twilio a form per status change to the ``StatusCallback`` sent with each message
(sms/backends/twilio.py); each URL carries ``settings.SMS_CALLBACK_TOKEN`` as a path
segment: without it (or with the setting empty) the URL does not exist (404), so these
views answer only the provider. Neither Chinese provider signs its reports
(sms/reports.py), so the token is their credential: it is kept out of every log line
(config/log_redaction.py, gunicorn.conf.py). Twilio signs its requests: the
``X-Twilio-Signature`` is checked with the account's auth token against the URL Twilio
was given (``SITE_URL`` and the path, whatever the reverse proxy in front made of the
scheme and host), and a request it does not fit is refused (403). With
``SMS_CALLBACK_ALLOWED_NETWORKS`` set, a request from any other address also gets the
404, token or not. A refused request writes a ``callback_refused`` security event and
changes nothing. They are CSRF-exempt because the caller is a server, not a browser with
a session.

Each answers in its provider's documented form ("success" also for reports about unknown
messages, so that the provider stops pushing them); a body that is not a report batch gets
HTTP 400 with the provider's failure form. Twilio reads only the status code of an answer
(an empty 200). The answers are protocol, read by the provider's servers only, so they
are not translated.
"""

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotAllowed,
    JsonResponse,
    QueryDict,
)
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from config.security import reads_body
from sms.backends.twilio import report_auth_token, signed_by_twilio
from sms.reports import (
    ADDRESS_NOT_ALLOWED,
    NO_TWILIO_ACCOUNT,
    WRONG_SIGNATURE,
    WRONG_TOKEN,
    MalformedReport,
    parse_alibaba,
    parse_tencent,
    parse_twilio,
    record_delivery_reports,
    record_refused_callback,
)

TWILIO_BACKEND = "sms.backends.twilio.TwilioBackend"
FORM = "application/x-www-form-urlencoded"


def client_ip(request) -> str | None:
    """The client's address as allauth sees it (booking.access_log.client_ip's rule: a
    malformed forwarded header gives no address); sms does not import booking."""
    try:
        return get_adapter(request).get_client_ip(request)
    except Exception:  # allauth refuses a malformed forwarded header: log no address
        return None


@dataclass(frozen=True)
class Provider:
    name: str
    backend: str  # as Message.backend records the messages sent through it
    parse: Callable
    received: dict
    malformed: dict


# Alibaba SmsReport: answer {"code": 0, "msg": "接收成功"}; any other code means "send again".
ALIBABA = Provider(
    name="alibaba",
    backend="sms.backends.alibaba.AlibabaBackend",
    parse=parse_alibaba,
    received={"code": 0, "msg": "接收成功"},
    malformed={"code": 1, "msg": "malformed report batch"},
)
# Tencent status callback: answer {"result": 0, "errmsg": "OK"}.
TENCENT = Provider(
    name="tencent",
    backend="sms.backends.tencent.TencentBackend",
    parse=parse_tencent,
    received={"result": 0, "errmsg": "OK"},
    malformed={"result": 1, "errmsg": "malformed report batch"},
)


def address_allowed(ip: str | None) -> bool:
    """Whether ``ip`` is in ``SMS_CALLBACK_ALLOWED_NETWORKS`` (any address when empty)."""
    networks = settings.SMS_CALLBACK_ALLOWED_NETWORKS
    if not networks:
        return True
    if ip is None:  # a forwarded header the adapter refused
        return False
    address = ipaddress.ip_address(ip)
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(network) for network in networks)


def _admit(request: HttpRequest, token: str, *, provider: str) -> str | None:
    """The caller's address, once the token and the address are right; 404 otherwise."""
    expected = settings.SMS_CALLBACK_TOKEN
    if not expected:
        raise Http404
    ip = client_ip(request)
    if not constant_time_compare(token, expected):
        record_refused_callback(provider=provider, reason=WRONG_TOKEN, ip=ip)
        raise Http404
    if not address_allowed(ip):
        record_refused_callback(provider=provider, reason=ADDRESS_NOT_ALLOWED, ip=ip)
        raise Http404
    return ip


def _receive(request: HttpRequest, token: str, *, provider: Provider) -> HttpResponse:
    ip = _admit(request, token, provider=provider.name)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        reports = provider.parse(json.loads(request.body))
    # Not JSON, not UTF-8, nested deeper than the parser goes, or not the documented shape.
    except (MalformedReport, ValueError, RecursionError):
        return JsonResponse(provider.malformed, status=400)
    record_delivery_reports(reports=reports, backend=provider.backend, ip=ip)
    return JsonResponse(provider.received, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@reads_body
def alibaba_reports(request: HttpRequest, token: str) -> HttpResponse:
    return _receive(request, token, provider=ALIBABA)


@csrf_exempt
@reads_body
def tencent_reports(request: HttpRequest, token: str) -> HttpResponse:
    return _receive(request, token, provider=TENCENT)


def url_twilio_requested(request: HttpRequest) -> str:
    """The URL Twilio signed: the one it was given, ``SITE_URL`` and this path.

    Behind a reverse proxy the request arrives over plain HTTP, perhaps under an inner
    host name, while Twilio called (and signed) the public https address. Without
    ``SITE_URL`` (a status callback configured in Twilio's console instead) the URL is
    rebuilt from the request: https only when ``SECURE_PROXY_SSL_HEADER`` (set by
    ``BEHIND_TLS_PROXY``) says the proxy took it over TLS.
    """
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


@csrf_exempt
@reads_body
def twilio_reports(request: HttpRequest, token: str) -> HttpResponse:
    ip = _admit(request, token, provider="twilio")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    auth_token = report_auth_token()
    if not auth_token:
        record_refused_callback(provider="twilio", reason=NO_TWILIO_ACCOUNT, ip=ip)
        raise Http404
    # Twilio posts a form; anything else is signed over no fields, and fails below.
    params = request.POST if request.content_type == FORM else QueryDict()
    url, signature = url_twilio_requested(request), request.headers.get("X-Twilio-Signature", "")
    if not signed_by_twilio(url=url, params=params, signature=signature, auth_token=auth_token):
        record_refused_callback(provider="twilio", reason=WRONG_SIGNATURE, ip=ip)
        return HttpResponseForbidden()
    try:
        report = parse_twilio(params, out_id=request.GET.get("out_id", ""))
    except MalformedReport:
        return HttpResponseBadRequest()
    if report is not None:
        record_delivery_reports(
            reports=[report], backend=TWILIO_BACKEND, ip=ip, unknown_refused=True
        )
    return HttpResponse()
