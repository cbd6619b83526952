"""Tencent Cloud SMS (API 2021-01-11, ``SendSms``) through the official SDK.

Options (``settings.SMS_OPTIONS`` merged with keyword arguments):

``secret_id``, ``secret_key``
    A CAM API key allowed ``sms:SendSms``. Required.
``sdk_app_id``
    The SMS application's SdkAppId (e.g. ``1400006666``). Required.
``sign_name``
    The approved signature. Tencent puts it in front of every text as 【sign_name】, so it is
    the first thing the recipient, or anyone else holding the phone, reads. Required.
``sign_name_safe``
    A neutral approved signature used when ``sms.safe_contact`` is set: the office's own
    name in 【…】 would reveal that the owner of the phone is in touch with a legal-aid
    office. Without it such a message fails permanently (``sign_name_safe_missing``) rather
    than go out under the office's name.
``param_order``
    Optional. Message name → the names of its parameters in the order of the provider
    template's ``{1}``, ``{2}`` …, e.g. ``{"confirmation": ["date", "time", "place"]}``.
    Without an entry the order of ``sms.params`` is used: ``sms.messages.build_sms`` builds
    it in the order in which the registry (sms/registry.py) numbers each language's
    variables, which is what ``manage.py sms_templates --provider tencent`` prints. (The
    order of ``Message.params`` itself means nothing: PostgreSQL's ``jsonb`` does not keep
    key order.) Parameters not named in an entry are not sent.
``endpoint`` (default ``sms.tencentcloudapi.com``), ``protocol`` (``https``), ``region``
    (``ap-guangzhou``). Tests point ``endpoint`` at a local server with ``protocol="http"``;
    the SDK then builds ``http://<endpoint>/`` and signs that host.
``timeout``
    Seconds allowed for connecting and again for the answer (default 10).

The template id is ``settings.SMS_TEMPLATE_IDS[sms.template]``, read at each send; the
number goes as E.164 (``+86…``); our random id for the message (``sms.out_id``) goes as
``SessionContext``, which Tencent only echoes in its answer: its delivery report
(tencentcloud.com/document/api/382/43547) carries ``sid``, the ``SerialNo`` of the
answer, and no context, so a report finds its row by ``sid`` alone. The idempotency key
is never sent.

Known limits:

- Tencent does not drop a repeated ``SessionContext``, hence ``honours_idempotency_key =
  False``; a timeout is a ``TemporaryError`` although Tencent may have accepted the
  message, and without a ``SerialNo`` no report can settle it: the retry asks
  ``find_sent`` first and sends again unless that finds it (below).
- The result for the number is ``SendStatusSet[0].Code`` in a successful answer ("Ok" or
  an error code); errors about the whole request raise in the SDK. Both are classified
  alike: the codes below condemn this very message (number, template, signature,
  parameters, content) and are permanent; rate limits, balance, credentials, Tencent's own
  faults and any code not listed are temporary, because a reminder lost to a transient
  condition costs more than a few bounded retries of a request Tencent rejected.
- The SDK reads an error body only when the answer's Content-Type is exactly
  ``application/json`` (as Tencent sends it).

``find_sent`` asks ``PullSmsSendStatusByPhoneNumber`` (the CAM key also needs
``sms:PullSmsSendStatusByPhoneNumber``; at most 7 days back, 100 records, ``Offset``
fixed at 0) for the number's status records since ``since`` and takes the one whose
``SessionContext`` is ours. What it can and cannot match:

- A record carries ``SerialNo``, the number, ``ReportStatus`` (SUCCESS / FAIL), the
  carrier's ``Description`` and the receive time, and ``SessionContext`` only where
  Tencent has enabled it for the application: it is empty by default ("如需开通请联系腾讯云
  短信小助手", data type ``PullSmsSendStatus``). Without it nothing in a record is ours —
  the ``SerialNo`` of a send whose answer was lost is unknown — and the number and time
  alone could take another message to the same phone for this one and lose it. So
  without ``SessionContext`` nothing matches and the message is sent again.
- Records exist only once the carrier has reported ("仅当运营商有返回短信接收状态时回包中
  才会有状态数据"). A message Tencent accepted but whose receipt has not come when the
  worker asks (a phone switched off) is not found and is sent again.
"""

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111.models import (
    PullSmsSendStatusByPhoneNumberRequest,
    SendSmsRequest,
)
from tencentcloud.sms.v20210111.sms_client import SmsClient

from sms.backends.base import (
    FOUND_DELIVERED,
    FOUND_FAILED,
    Found,
    OutgoingSMS,
    PermanentError,
    SendResult,
    TemplateBackend,
    TemporaryError,
)

DEFAULT_ENDPOINT = "sms.tencentcloudapi.com"
DEFAULT_REGION = "ap-guangzhou"
DEFAULT_TIMEOUT = 10.0
#: PullSmsSendStatusByPhoneNumber: records of the last 7 days, at most 100 an answer.
PULL_DAYS = 7
PULL_LIMIT = 100

#: Codes after which the same request can never succeed (Tencent SMS error codes,
#: https://cloud.tencent.com/document/api/382/59177, and the SDK's errorcodes.py).
PERMANENT_CODES = frozenset(
    {
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberParseFail",
        "FailedOperation.PhoneNumberInBlacklist",  # the recipient unsubscribed
        "MissingParameter.EmptyPhoneNumberSet",
        "LimitExceeded.PhoneNumberCountLimit",
        "LimitExceeded.AppCountryOrRegionInBlacklist",  # destination country not allowed
        "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone",
        "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone",
        "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
        "UnsupportedOperation.UnsupportedRegion",
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "FailedOperation.MissingSignatureList",
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.TemplateIdNotExist",
        "FailedOperation.TemplateUnapprovedOrNotExist",
        "FailedOperation.MissingTemplateList",
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        "FailedOperation.ContainSensitiveWord",
        "InvalidParameter.DirtyWordFound",
        "InvalidParameterValue.ContentLengthLimit",
        "InvalidParameterValue.TemplateParameterFormatError",
        "InvalidParameterValue.TemplateParameterLengthLimit",
        "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
        "InvalidParameterValue.SdkAppIdNotExist",
    }
)
PARAM_MISSING = "param_missing"


class TencentBackend(TemplateBackend):
    permanent_codes = PERMANENT_CODES
    honours_idempotency_key = False
    required_options = ("secret_id", "secret_key", "sdk_app_id", "sign_name")

    def __init__(self, **options):
        super().__init__(**options)
        self.timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
        try:
            credential = Credential(options["secret_id"], options["secret_key"])
        except TencentCloudSDKException as exc:
            raise ImproperlyConfigured(f"TencentBackend: {exc.get_message()}") from exc
        profile = ClientProfile(
            httpProfile=HttpProfile(
                protocol=options.get("protocol", "https"),
                endpoint=options.get("endpoint", DEFAULT_ENDPOINT),
                reqTimeout=self.timeout,
            )
        )
        self.client = SmsClient(credential, options.get("region", DEFAULT_REGION), profile)

    def send(self, sms: OutgoingSMS) -> SendResult:
        request = SendSmsRequest()
        request.PhoneNumberSet = [sms.to]
        request.SmsSdkAppId = str(self.options["sdk_app_id"])
        request.TemplateId = self.template_id(sms.template)
        request.SignName = self.sign_name(sms)
        request.TemplateParamSet = self.template_params(sms)
        if sms.out_id:
            request.SessionContext = sms.out_id
        with self.provider_errors():
            response = self.client.SendSms(request)

        statuses = response.SendStatusSet or []
        if not statuses:
            raise TemporaryError(
                "bad_response", f"no SendStatusSet (RequestId {response.RequestId})"
            )
        status = statuses[0]
        if status.Code != "Ok":
            raise self.error_for(status.Code or "bad_response", status.Message or "")
        return SendResult(
            provider_message_id=status.SerialNo or "",
            extra={"request_id": response.RequestId, "fee": status.Fee},
        )

    def find_sent(self, sms: OutgoingSMS, *, since: dt.datetime) -> Found | None:
        if not sms.out_id:
            return None
        now = int(time.time())
        request = PullSmsSendStatusByPhoneNumberRequest()
        request.PhoneNumber = sms.to
        request.SmsSdkAppId = str(self.options["sdk_app_id"])
        request.BeginTime = max(int(since.timestamp()), now - PULL_DAYS * 86_400 + 60)
        request.EndTime = now
        request.Offset = 0
        request.Limit = PULL_LIMIT
        with self.provider_errors():
            response = self.client.PullSmsSendStatusByPhoneNumber(request)
        for record in response.PullSmsSendStatusSet or []:
            if record.SessionContext and record.SessionContext == sms.out_id:
                delivered = record.ReportStatus == "SUCCESS"
                code = "" if delivered else (record.Description or record.ReportStatus or "")
                received = record.UserReceiveTime
                return Found(
                    status=FOUND_DELIVERED if delivered else FOUND_FAILED,
                    provider_message_id=record.SerialNo or "",
                    error_code=code,
                    error=code,
                    received_at=(
                        dt.datetime.fromtimestamp(received, dt.UTC)
                        if delivered and isinstance(received, int)
                        else None
                    ),
                )
        return None

    @contextmanager
    def provider_errors(self) -> Iterator[None]:
        """The SDK's exceptions as ``TemporaryError`` or ``PermanentError``."""
        try:
            yield
        except TencentCloudSDKException as exc:
            code = exc.get_code() or "sdk_error"
            # The message of these two may quote the URL or the raw answer: only the kind
            # of failure goes into the outbox.
            if code == "ServerNetworkError":  # an HTTP status other than 200
                raise TemporaryError("server_error", code) from exc
            if code == "ClientNetworkError":  # no answer at all
                if "timed out" in str(exc.get_message()):
                    raise TemporaryError("timeout", f"no answer within {self.timeout:g}s") from exc
                raise TemporaryError("network_error", code) from exc
            detail = exc.get_message() or ""
            if exc.get_request_id():
                detail = f"{detail} (RequestId {exc.get_request_id()})"
            raise self.error_for(code, detail) from exc

    def template_params(self, sms: OutgoingSMS) -> list[str]:
        order = self.options.get("param_order", {}).get(sms.template, list(sms.params))
        missing = [name for name in order if name not in sms.params]
        if missing:
            raise PermanentError(PARAM_MISSING, f"no value for {', '.join(missing)}")
        return [str(sms.params[name]) for name in order]
