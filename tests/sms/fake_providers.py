"""A local HTTP server that answers like the SMS providers' APIs, for the real SDKs to call.

Each test scripts the answers (``FakeProvider.answer``) and reads back what the server
received (``FakeProvider.requests``): the SDK builds, signs and sends a real HTTP request to
127.0.0.1, so the backend is tested with nothing of ours or of the SDK replaced.

The answers copy the providers' documented shapes:

- Alibaba Cloud ``SendSms`` (Dysmsapi 2017-05-25): HTTP 200 with ``{"Code": "OK",
  "Message": "OK", "BizId": …, "RequestId": …}``; business errors are HTTP 200 as well,
  with another ``Code`` (help.aliyun.com/document_detail/101346.html).
- Tencent Cloud ``SendSms`` (2021-01-11): ``{"Response": {"SendStatusSet": [{"SerialNo",
  "PhoneNumber", "Fee", "SessionContext", "Code", "Message", "IsoCode"}], "RequestId"}}``
  with a per-number ``Code``; errors about the whole request are ``{"Response": {"Error":
  {"Code", "Message"}, "RequestId"}}``, still HTTP 200 (cloud.tencent.com/document/api/
  382/55981 and 382/38780). The SDK reads an error only with Content-Type exactly
  ``application/json``.
- Status look-ups, answered from what the server accepted (``FakeProvider.accepted``,
  kept even when the client died before reading the answer): Alibaba ``QuerySendDetails``
  (help.aliyun.com/document_detail/419277.html: the number's ``SmsSendDetailDTOs`` of one
  ``SendDate``, ``PageSize`` 1–50, with ``OutId``, ``SendStatus``, ``ErrCode``, no BizId)
  and Tencent ``PullSmsSendStatusByPhoneNumber`` (cloud.tencent.com/document/product/
  1359/55976: ``PullSmsSendStatusSet`` from ``BeginTime``, at most 7 days back, ``Offset``
  0, ``Limit`` ≤ 100; ``SessionContext`` only where Tencent enabled it).
- Twilio ``POST /2010-04-01/Accounts/{sid}/Messages.json``: 201 with the Message resource;
  errors with ``{"code", "message", "more_info", "status"}`` and the HTTP status. Its
  status callbacks (``twilio_status_callback``) are form posts to the ``StatusCallback``
  the message was sent with, signed as Twilio documents (twilio.com/docs/usage/security):
  HMAC-SHA1 with the auth token over the URL followed by each POST field's name and value,
  sorted by name, in base64 as ``X-Twilio-Signature`` (computed here, not with the SDK's
  validator, so that a mistake in one does not hide in the other).
"""

import base64
import datetime as dt
import hashlib
import hmac
import io
import itertools
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0  # seconds before answering, to outlast a client's timeout


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes = field(repr=False)

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


NO_ANSWER_SCRIPTED = Answer(status=599, body=b'{"error": "no answer scripted"}')


class FakeProvider:
    """An HTTP server on 127.0.0.1 and a free port, answering in a thread per connection."""

    def __init__(self):
        self.requests: list[ReceivedRequest] = []
        self._answers: list[Answer] = []
        # Sends answered with success, kept from the moment the answer is chosen: a client
        # killed before it read the answer does not make the provider forget (look-ups).
        self.accepted: list[Accepted] = []
        self._query_answers: list[Answer] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go in two writes: without TCP_NODELAY the client's delayed
            # ACK holds the body back about 40 ms per request.
            disable_nagle_algorithm = True

            def do_POST(self):
                fake._handle(self)

            do_GET = do_POST

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def answer(self, *answers: Answer) -> None:
        """Queue the answers to the next requests, in order."""
        with self._lock:
            self._answers.extend(answers)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> int:
        """How many requests arrived, once ``count`` have or ``timeout`` seconds passed.

        A client that gave up (a timeout test) may return before the server's thread has
        read its request, on a busy machine.
        """
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return len(self.requests)

    @property
    def last(self) -> ReceivedRequest:
        return self.requests[-1]

    def close(self) -> None:
        self._closing.set()  # ends the delays of answers still waiting
        self._server.shutdown()
        self._server.server_close()

    # Status look-ups (QuerySendDetails, PullSmsSendStatusByPhoneNumber) are answered from
    # ``accepted`` unless a test scripts their answers with ``answer_query``.

    #: Tencent's status records carry our SessionContext only where Tencent enabled it for
    #: the application; False answers as an account by default does (empty).
    tencent_context_in_status = True
    #: Alibaba's SendStatus for accepted messages: 1 waiting for the receipt, 2 failed,
    #: 3 delivered.
    alibaba_send_status = 3

    def answer_query(self, *answers: Answer) -> None:
        """Queue the answers to the next status look-ups (an error, a timeout), in order."""
        with self._lock:
            self._query_answers.extend(answers)

    def accepted_count(self, out_id: str) -> int:
        """How many times a message with this OutId / SessionContext was accepted."""
        with self._lock:
            return sum(1 for accepted in self.accepted if accepted.out_id == out_id)

    def _answer_for(self, received: ReceivedRequest) -> Answer:
        """Called under the lock: the scripted answer, or a look-up's from ``accepted``."""
        if action_of(received) in STATUS_QUERIES:
            if self._query_answers:
                return self._query_answers.pop(0)
            return status_answer(received, self)
        return self._answers.pop(0) if self._answers else NO_ANSWER_SCRIPTED

    def _remember(self, received: ReceivedRequest, answer: Answer) -> None:
        accepted = accepted_send(received, answer)
        if accepted is not None:
            self.accepted.append(accepted)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        url = urlsplit(handler.path)
        with self._lock:
            received = ReceivedRequest(
                method=handler.command,
                path=url.path,
                query=dict(parse_qsl(url.query)),
                headers={name.lower(): value for name, value in handler.headers.items()},
                body=body,
            )
            self.requests.append(received)
            answer = self._answer_for(received)
            self._remember(received, answer)
        if answer.delay:
            self._closing.wait(answer.delay)
        try:
            handler.send_response(answer.status)
            handler.send_header("Content-Type", answer.content_type)
            handler.send_header("Content-Length", str(len(answer.body)))
            handler.end_headers()
            handler.wfile.write(answer.body)
        except OSError:
            pass  # the client gave up waiting (a timeout test) and closed the connection


def _json(data, *, status: int = 200, content_type: str = "application/json") -> Answer:
    return Answer(status=status, body=json.dumps(data).encode(), content_type=content_type)


# Alibaba Cloud ----------------------------------------------------------------------------

ALIBABA_CONTENT_TYPE = "application/json;charset=utf-8"


def alibaba_sent(biz_id: str = "900619746936498440^0") -> Answer:
    return _json(
        {
            "Code": "OK",
            "Message": "OK",
            "BizId": biz_id,
            "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
        },
        content_type=ALIBABA_CONTENT_TYPE,
    )


def alibaba_refused(code: str, message: str) -> Answer:
    """A business error: HTTP 200, ``Code`` other than OK, no BizId."""
    return _json(
        {"Code": code, "Message": message, "RequestId": "A3E2A4F1-0C1C-4D8C-9F2B-6E2E0A5C7B11"},
        content_type=ALIBABA_CONTENT_TYPE,
    )


# Tencent Cloud ----------------------------------------------------------------------------


def tencent_status(
    *,
    code: str = "Ok",
    message: str = "send success",
    phone: str = "+8613800138000",
    serial_no: str = "5000:1045710669157053657849499619",
    session_context: str = "",
) -> Answer:
    sent = code == "Ok"
    return _json(
        {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": serial_no if sent else "",
                        "PhoneNumber": phone,
                        "Fee": 1 if sent else 0,
                        "SessionContext": session_context,
                        "Code": code,
                        "Message": message,
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
            }
        }
    )


def tencent_error(code: str, message: str) -> Answer:
    return _json(
        {
            "Response": {
                "Error": {"Code": code, "Message": message},
                "RequestId": "ed93f3cb-f35e-473f-b9f3-0d451b8b79c6",
            }
        }
    )


# Status look-ups: what the provider remembers, and its answers to queries -----------------

PROVIDER_TIME_ZONE = ZoneInfo("Asia/Shanghai")
STATUS_QUERIES = {"QuerySendDetails", "PullSmsSendStatusByPhoneNumber"}
#: Alibaba's ErrCode by SendStatus: none while waiting, a carrier's code when failed.
ALIBABA_ERR_CODES = {1: "", 2: "MK:0001", 3: "DELIVERED"}


@dataclass(frozen=True)
class Accepted:
    """A send the fake provider accepted."""

    provider: str  # "alibaba" or "tencent"
    phone: str  # as the request gave it: 13800138000 (Alibaba), +8613800138000 (Tencent)
    out_id: str  # Alibaba's OutId, Tencent's SessionContext
    provider_message_id: str  # BizId, SerialNo
    template: str
    credential: str  # the AccessKey id / SecretId that signed it: which client sent it
    at: float  # time.time()


def action_of(request: ReceivedRequest) -> str:
    """The API action: Alibaba's ``x-acs-action`` header, Tencent's ``X-TC-Action``."""
    return request.headers.get("x-acs-action") or request.headers.get("x-tc-action") or ""


def credential_of(request: ReceivedRequest) -> str:
    """``Credential=<id>`` of the signature (ACS3-HMAC-SHA256 and TC3-HMAC-SHA256 alike)."""
    found = re.search(r"Credential=([^,/\s]+)", request.headers.get("authorization", ""))
    return found.group(1) if found else ""


def accepted_send(request: ReceivedRequest, answer: Answer) -> Accepted | None:
    """The send that ``answer`` accepts, or None (another action, or a refusal)."""
    if action_of(request) != "SendSms" or answer.status != 200:
        return None
    try:
        body = json.loads(answer.body)
    except ValueError:  # an empty or broken answer (a timeout test): nothing accepted
        return None
    if "Response" in body:
        statuses = body["Response"].get("SendStatusSet") or []
        if not statuses or statuses[0].get("Code") != "Ok":
            return None
        sent = request.json()
        return Accepted(
            provider="tencent",
            phone=sent["PhoneNumberSet"][0],
            out_id=sent.get("SessionContext", ""),
            provider_message_id=statuses[0]["SerialNo"],
            template=sent.get("TemplateId", ""),
            credential=credential_of(request),
            at=time.time(),
        )
    if body.get("Code") != "OK":
        return None
    return Accepted(
        provider="alibaba",
        phone=request.query["PhoneNumbers"],
        out_id=request.query.get("OutId", ""),
        provider_message_id=body.get("BizId", ""),
        template=request.query.get("TemplateCode", ""),
        credential=credential_of(request),
        at=time.time(),
    )


def status_answer(request: ReceivedRequest, fake: FakeProvider) -> Answer:
    if action_of(request) == "QuerySendDetails":
        return alibaba_details(request, fake)
    return tencent_pull_status(request, fake)


def _china_time(at: float) -> str:
    return dt.datetime.fromtimestamp(at, PROVIDER_TIME_ZONE).strftime("%Y-%m-%d %H:%M:%S")


def alibaba_details(request: ReceivedRequest, fake: FakeProvider) -> Answer:
    """QuerySendDetails: the number's records of ``SendDate``, a page of ``PageSize``."""
    query = request.query
    size, page = int(query["PageSize"]), int(query.get("CurrentPage") or 1)
    if not 1 <= size <= 50 or not re.fullmatch(r"\d{8}", query.get("SendDate", "")):
        return alibaba_refused("isv.INVALID_PARAMETERS", "参数异常")
    records = [
        accepted
        for accepted in fake.accepted
        if accepted.provider == "alibaba"
        and accepted.phone == query["PhoneNumber"]
        and dt.datetime.fromtimestamp(accepted.at, PROVIDER_TIME_ZONE).strftime("%Y%m%d")
        == query["SendDate"]
        and query.get("BizId", accepted.provider_message_id) == accepted.provider_message_id
    ]
    delivered = fake.alibaba_send_status == 3
    dtos = [
        {
            "PhoneNum": accepted.phone,
            "SendStatus": fake.alibaba_send_status,
            "ErrCode": ALIBABA_ERR_CODES[fake.alibaba_send_status],
            "TemplateCode": accepted.template,
            "SendDate": _china_time(accepted.at),
            "ReceiveDate": _china_time(accepted.at + 1) if delivered else "",
            "OutId": accepted.out_id,
        }
        for accepted in records[(page - 1) * size : page * size]
    ]
    return _json(
        {
            "Code": "OK",
            "Message": "OK",
            "RequestId": "819BE656-D2E0-4858-8B21-B2E4770851F2",
            "TotalCount": len(records),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": dtos},
        },
        content_type=ALIBABA_CONTENT_TYPE,
    )


def tencent_pull_status(request: ReceivedRequest, fake: FakeProvider) -> Answer:
    """PullSmsSendStatusByPhoneNumber: the number's receipts from BeginTime to EndTime."""
    asked = request.json()
    if asked.get("Offset") != 0 or not 1 <= asked.get("Limit", 0) <= 100:
        return tencent_error("InvalidParameterValue", "Offset must be 0, Limit 1 to 100")
    if asked["BeginTime"] < time.time() - 7 * 86_400:
        return tencent_error("InvalidParameterValue.InvalidStartTime", "at most 7 days back")
    end = asked.get("EndTime") or float("inf")
    records = [
        {
            "UserReceiveTime": int(accepted.at),
            "CountryCode": "86",
            "SubscriberNumber": accepted.phone.removeprefix("+86"),
            "PhoneNumber": accepted.phone,
            "SerialNo": accepted.provider_message_id,
            "ReportStatus": "SUCCESS",
            "Description": "DELIVRD",
            "SessionContext": accepted.out_id if fake.tencent_context_in_status else "",
        }
        for accepted in fake.accepted
        if accepted.provider == "tencent"
        and accepted.phone == asked["PhoneNumber"]
        and asked["BeginTime"] <= int(accepted.at) <= end
    ]
    return _json(
        {
            "Response": {
                "PullSmsSendStatusSet": records[: asked["Limit"]],
                "RequestId": "b5b8f8e0-2e2b-4c55-9f4a-1d4c9a0e8f11",
            }
        }
    )


class AcceptingProvider(FakeProvider):
    """Accepts every send as Alibaba or Tencent would (the request's own API), each with a
    new id, answering ``delay`` seconds after accepting it; look-ups as ``FakeProvider``.

    For many workers at once (tests/sms/test_worker_crash.py, bench/crash.py): a worker
    killed during ``delay`` has had its message accepted without learning so.
    """

    def __init__(self, *, delay: float = 0.0):
        super().__init__()
        self.delay = delay
        self._serials = itertools.count(1)
        # A killed worker's connection resets mid-request: expected here, not worth a
        # traceback on stderr.
        self._server.handle_error = lambda request, client_address: None

    def _answer_for(self, received: ReceivedRequest) -> Answer:
        if action_of(received) != "SendSms" or self._answers:
            return super()._answer_for(received)
        serial = next(self._serials)
        if received.headers.get("x-tc-action"):
            sent = received.json()
            answer = tencent_status(
                phone=sent["PhoneNumberSet"][0],
                serial_no=f"5000:{serial:030d}",
                session_context=sent.get("SessionContext", ""),
            )
        else:
            answer = alibaba_sent(biz_id=f"{serial:018d}^0")
        return replace(answer, delay=self.delay)

    def accepted_by(self, credential: str) -> int:
        """How many sends signed with ``credential`` were accepted."""
        with self._lock:
            return sum(1 for accepted in self.accepted if accepted.credential == credential)

    def duplicates(self) -> int:
        """Messages accepted more than once: the extra copies that reach the phone."""
        with self._lock:
            counts = Counter(accepted.out_id for accepted in self.accepted)
        return sum(count - 1 for count in counts.values())


# Twilio -----------------------------------------------------------------------------------


def twilio_created(
    *, account_sid: str, to: str, from_: str, body: str, sid: str = "SM" + "a" * 32
) -> Answer:
    return _json(
        {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": "Mon, 07 Dec 2026 00:00:00 +0000",
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "num_segments": "1",
            "price": None,
            "sid": sid,
            "status": "queued",
            "to": to,
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
        },
        status=201,
    )


def twilio_error(*, status: int, code: int, message: str) -> Answer:
    return _json(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )


@dataclass(frozen=True)
class TwilioCallback:
    """A status callback as Twilio would post it: to ``url``, ``form``, signed."""

    url: str
    form: dict[str, str]
    signature: str

    def post(self, client, *, behind_proxy: bool = False, **headers):
        """Post it with a Django test client, to the site at the URL's host.

        ``behind_proxy``: as a TLS-terminating reverse proxy passes it on: over plain
        HTTP, with the scheme Twilio used in ``X-Forwarded-Proto`` (and the host kept).
        """
        url = urlsplit(self.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        if behind_proxy:
            headers.setdefault("HTTP_X_FORWARDED_PROTO", url.scheme)
        headers.setdefault("HTTP_HOST", url.netloc)
        return client.post(
            path,
            data=urlencode(self.form),
            content_type="application/x-www-form-urlencoded",
            secure=url.scheme == "https" and not behind_proxy,
            HTTP_X_TWILIO_SIGNATURE=self.signature,
            **headers,
        )


def twilio_signature(url: str, form: dict[str, str | list[str]], auth_token: str) -> str:
    """A field posted more than once (a list) is signed with each of its distinct values,
    sorted, as Twilio's helper libraries check it."""
    signed = url
    for name in sorted(form):
        values = form[name] if isinstance(form[name], list) else [form[name]]
        signed += "".join(name + value for value in sorted(set(values)))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_status_callback(
    created: ReceivedRequest,
    *,
    sid: str,
    status: str,
    auth_token: str,
    error_code: int | None = None,
    url: str = "",
) -> TwilioCallback:
    """Twilio's callback about the message ``created`` asked for (its ``StatusCallback``,
    or ``url`` for one configured in Twilio's console), with the documented fields."""
    sent = created.form()
    url = url or sent["StatusCallback"]
    form = {
        "AccountSid": created.path.split("/")[3],  # /2010-04-01/Accounts/<sid>/Messages.json
        "ApiVersion": "2010-04-01",
        "From": sent["From"],
        "To": sent["To"],
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
    }
    if error_code is not None:
        form["ErrorCode"] = str(error_code)
    return TwilioCallback(url=url, form=form, signature=twilio_signature(url, form, auth_token))


# Registered templates: sends judged as each provider judges them -------------------------

#: Aliyun's documented forms of a "time" variable (help.aliyun.com/document_detail/2806243).
ALIBABA_TIMES = re.compile(
    r"\d{8}|\d{4}-\d{2}-\d{2}|\d{4}/\d{2}/\d{2}|\d{2}:\d{2}(:\d{2})?|\d{1,2}点\d{1,2}分?"
)
LINK = re.compile(r"https?://|www\.|[a-z0-9-]+\.(?:com|cn|net|org|gov|edu|top|xyz)\b", re.I)
PHONE_NUMBER = re.compile(r"1\d{10}|0\d{2,3}-?\d{7,8}|\d{7,8}")
TWILIO_BODY_LIMIT = 1600


def _aliyun_type_refuses(rule: str, value: str) -> bool:
    """Whether Aliyun's variable attribute ``rule`` refuses ``value`` (its TemplateRule)."""
    if rule == "numberCaptcha":
        return not re.fullmatch(r"\d{4,6}", value)
    if rule == "phone_number2":
        fixed = re.fullmatch(r"\d[\d-]*\d", value) and 5 <= len(value.replace("-", "")) <= 13
        return not (fixed or re.fullmatch(r"1\d{10}", value)) or len(value) > 15
    if rule == "time":
        return not ALIBABA_TIMES.fullmatch(value)
    if rule == "other_number2":
        return not re.fullmatch(r"[A-Za-z0-9]+", value)
    return bool(re.search("[【】]", value) or PHONE_NUMBER.search(value))


class RegisteredProvider(FakeProvider):
    """An account where the operator registered what ``manage.py sms_templates`` printed
    (sms/registry.py: texts, variable types and lengths), under ``template_ids``
    (SMS_TEMPLATE_IDS). Sends are judged as the provider judges them — unknown template,
    wrong number of values, a link, too long, a value its type refuses — with its own
    codes; what it accepts is kept in ``delivered`` as the phone shows it (signature and
    text). ``provider``: "alibaba", "tencent" or "twilio" (text: at most 1600 characters,
    sent as given). Answers scripted with ``answer`` still come first.
    """

    def __init__(self, *, provider: str, template_ids: dict[str, str] | None = None):
        super().__init__()
        self.provider = provider
        self.registered = {str(value): key for key, value in (template_ids or {}).items()}
        self.delivered: list[str] = []
        self._serials = itertools.count(1)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        """Judge a send and queue the answer for ``FakeProvider._handle`` to give."""
        connection = handler.rfile
        body = connection.read(int(handler.headers.get("Content-Length") or 0))
        url = urlsplit(handler.path)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        received = ReceivedRequest(
            handler.command, url.path, dict(parse_qsl(url.query)), headers, body
        )
        judged = None
        if headers.get("x-tc-action") == "SendSms":
            judged = self._tencent(received.json())
        elif headers.get("x-acs-action") == "SendSms":
            judged = self._alibaba(received.query)
        elif received.path.endswith("/Messages.json") and received.method == "POST":
            judged = self._twilio(received)
        with self._lock:
            if judged is not None and not self._answers:
                self._answers.append(judged)
        handler.rfile = io.BytesIO(body)  # read again by FakeProvider._handle
        try:
            super()._handle(handler)
        finally:
            handler.rfile = connection  # the connection's next request

    def _registered(self, template_id: str):
        from sms import registry

        key = self.registered.get(template_id)
        if key is None:
            return None
        name, _sep, language = key.partition(":")
        return registry.template(name), language or registry.DEFAULT_LANGUAGE

    def _deliver(self, sign_name: str, text: str) -> None:
        self.delivered.append(f"【{sign_name}】{text}")

    def _alibaba(self, query: dict[str, str]) -> Answer:
        from sms import registry

        found = self._registered(query.get("TemplateCode", ""))
        if found is None:
            return alibaba_refused("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法(不存在或被拉黑)")
        template, language = found
        try:
            values = json.loads(query.get("TemplateParam") or "{}")
        except ValueError:
            values = None
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            return alibaba_refused("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        for variable in template.variables:
            value = values.get(variable.name)
            if not value:
                return alibaba_refused("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量")
            if LINK.search(value):
                return alibaba_refused("isv.PARAM_NOT_SUPPORT_URL", "不支持URL")
            if len(value) > variable.max_length:
                return alibaba_refused("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制")
            if _aliyun_type_refuses(registry.ALIBABA_RULE_CODES[variable.type], value):
                return alibaba_refused("isv.TEMPLATE_PARAMS_ILLEGAL", "模板变量里包含非法关键字")
        text = registry.provider_text(template.name, language, "alibaba")
        for name, value in values.items():
            text = text.replace("${" + name + "}", value)
        self._deliver(query["SignName"], text)
        return alibaba_sent(biz_id=f"{next(self._serials):018d}^0")

    def _tencent(self, sent: dict) -> Answer:
        from sms import registry

        found = self._registered(sent.get("TemplateId", ""))
        if found is None:
            return tencent_error("FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批")
        template, language = found
        values = sent.get("TemplateParamSet") or []
        order = registry.order(template.name, language)
        if len(values) != len(order):
            return tencent_error(
                "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                "请求内容与审核通过的模板内容不匹配",
            )
        for name, value in zip(order, values, strict=True):
            variable = template.variable(name)
            if LINK.search(value):
                return tencent_error(
                    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter", "禁止使用 URL"
                )
            if len(value) > variable.max_length:
                return tencent_error(
                    "InvalidParameterValue.TemplateParameterLengthLimit", "变量字符数超过限制"
                )
            if template.type == registry.TemplateType.VERIFICATION and not re.fullmatch(
                r"\d{0,6}", value
            ):
                return tencent_error(
                    "InvalidParameterValue.TemplateParameterFormatError", "验证码模板参数格式错误"
                )
        text = registry.provider_text(template.name, language, "tencent")
        for number, value in enumerate(values, 1):
            text = text.replace("{" + str(number) + "}", value)
        if len(sent["SignName"]) + 2 + len(text) > 500:
            return tencent_error("InvalidParameterValue.ContentLengthLimit", "请求的短信内容太长")
        self._deliver(sent["SignName"], text)
        return tencent_status(
            phone=sent["PhoneNumberSet"][0],
            serial_no=f"5000:{next(self._serials):030d}",
            session_context=sent.get("SessionContext", ""),
        )

    def _twilio(self, received: ReceivedRequest) -> Answer:
        sent = received.form()
        body = sent.get("Body", "")
        if len(body) > TWILIO_BODY_LIMIT:
            return twilio_error(
                status=400,
                code=21617,
                message="The concatenated message body exceeds the 1600 character limit.",
            )
        self.delivered.append(body)
        return twilio_created(
            account_sid=received.path.split("/")[3],
            to=sent["To"],
            from_=sent["From"],
            body=body,
            sid=f"SM{next(self._serials):032d}",
        )
