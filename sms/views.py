"""Delivery-report callbacks of Alibaba Cloud and Tencent Cloud SMS.

The providers POST a JSON array of reports to a URL configured in their console, which
carries ``settings.SMS_CALLBACK_TOKEN`` as a path segment: without it (or with the setting
empty) the URL does not exist (404), so these views answer only the provider. They are
CSRF-exempt because the caller is a server, not a browser with a session.

Each answers in its provider's documented form ("success" also for reports about unknown
messages, so that the provider stops pushing them); a body that is not a report batch gets
HTTP 400 with the provider's failure form. The answers are protocol, read by the provider's
servers only, so they are not translated.
"""

import json
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from config.security import reads_body
from sms.reports import MalformedReport, parse_alibaba, parse_tencent, record_delivery_reports

# Alibaba SmsReport: answer {"code": 0, "msg": "接收成功"}; any other code means "send again".
ALIBABA_RECEIVED = {"code": 0, "msg": "接收成功"}
ALIBABA_MALFORMED = {"code": 1, "msg": "malformed report batch"}
# Tencent status callback: answer {"result": 0, "errmsg": "OK"}.
TENCENT_RECEIVED = {"result": 0, "errmsg": "OK"}
TENCENT_MALFORMED = {"result": 1, "errmsg": "malformed report batch"}


def _receive(
    request: HttpRequest, token: str, *, parse: Callable, received: dict, malformed: dict
) -> HttpResponse:
    expected = settings.SMS_CALLBACK_TOKEN
    if not expected or not constant_time_compare(token, expected):
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        reports = parse(json.loads(request.body))
    # Not JSON, not UTF-8, nested deeper than the parser goes, or not the documented shape.
    except (MalformedReport, ValueError, RecursionError):
        return JsonResponse(malformed, status=400)
    record_delivery_reports(reports=reports)
    return JsonResponse(received, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@reads_body
def alibaba_reports(request: HttpRequest, token: str) -> HttpResponse:
    return _receive(
        request, token, parse=parse_alibaba, received=ALIBABA_RECEIVED, malformed=ALIBABA_MALFORMED
    )


@csrf_exempt
@reads_body
def tencent_reports(request: HttpRequest, token: str) -> HttpResponse:
    return _receive(
        request, token, parse=parse_tencent, received=TENCENT_RECEIVED, malformed=TENCENT_MALFORMED
    )
