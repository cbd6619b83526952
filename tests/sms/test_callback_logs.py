"""The delivery-report token (and a calendar feed's secret) never reaches a log line.

The providers call a URL that holds ``SMS_CALLBACK_TOKEN``; calendar apps one that holds
the feed's secret. What the project's own
logging writes (the handler of ``LOGGING``, config/settings.py) is read back from that
handler's stream; what gunicorn writes, from a real gunicorn started with the project's
``gunicorn.conf.py``, its access log on, answering right and wrong tokens alike.
"""

import http.client
import json
import logging
import os
import socket
import subprocess
import sys
import time
from http import HTTPStatus

import pytest
from django.conf import settings
from django.urls import reverse

from config.log_redaction import REDACTED
from sms.models import Kind, Message, MessageStatus
from tests.project_log import project_log
from tests.sms.test_worker_crash import database_url

TOKEN = "tok-7d1e0c5b9a8f4e2d6c3b1a0f9e8d7c6b"
FEED_SECRET = "feed-secret-3c2b1a0f9e8d7c6b5a4f3e2d1c0b"
WRONG = "tok-0000000000000000000000000000000x"  # an old or mistyped token is a secret too


@pytest.fixture(autouse=True)
def _callback_token(settings):
    settings.SMS_CALLBACK_TOKEN = TOKEN


def callback(token: str, provider: str = "alibaba") -> str:
    return reverse(f"sms:{provider}_reports", kwargs={"token": token})


def sent_message() -> Message:
    return Message.objects.create(
        recipient="+8613800138000",
        kind=Kind.CONFIRMATION,
        template="confirmation",
        idempotency_key="confirmation:1:0",
        status=MessageStatus.SENT,
        provider_message_id="1^0",
        backend="sms.backends.alibaba.AlibabaBackend",
    )


def test_the_projects_log_shows_no_token_for_any_answer(client, db):
    sent_message()
    report = json.dumps([{"biz_id": "1^0", "success": True, "out_id": ""}])

    with project_log() as log:
        answers = [
            client.post(callback(WRONG), report, content_type="application/json", secure=True),
            client.get(callback(WRONG, "tencent"), secure=True),
            client.get(callback(TOKEN), secure=True),
            client.post(callback(TOKEN), "{", content_type="application/json", secure=True),
            client.post(callback(TOKEN), report, content_type="application/json", secure=True),
        ]
        # The development server's request line, as django.core.servers.basehttp logs it.
        logging.getLogger("django.server").info(
            '"%s" %s %s', f"POST {callback(TOKEN)} HTTP/1.1", "200", "30"
        )

    assert [answer.status_code for answer in answers] == [404, 404, 405, 400, 200]
    text = log.getvalue()
    assert TOKEN not in text and WRONG not in text
    assert f"Not Found: /sms/callbacks/{REDACTED}/alibaba/" in text
    assert f"Not Found: /sms/callbacks/{REDACTED}/tencent/" in text
    assert f"Method Not Allowed: /sms/callbacks/{REDACTED}/alibaba/" in text
    assert f"Bad Request: /sms/callbacks/{REDACTED}/alibaba/" in text
    assert f'"POST /sms/callbacks/{REDACTED}/alibaba/ HTTP/1.1" 200 30' in text


def test_a_traceback_through_the_project_log_shows_no_token(db):
    with project_log() as log:
        try:
            raise ValueError(f"while handling /sms/callbacks/{TOKEN}/alibaba/")
        except ValueError:
            logging.getLogger("sms").exception("report for %s failed", TOKEN)

    text = log.getvalue()
    assert TOKEN not in text
    assert f"report for {REDACTED} failed" in text
    assert f"ValueError: while handling /sms/callbacks/{REDACTED}/alibaba/" in text


# gunicorn, as production runs it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port: int, method: str, path: str, body: str = "") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"} if body else {}
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_gunicorn_logs_no_token_in_access_or_error_lines(tmp_path):
    sent_message()
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "DEBUG": "1",  # the 404 page without collected static files; logging as always
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "CACHE_BACKEND": "locmem",
        "SMS_CALLBACK_TOKEN": TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        *(sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"),
        *("--access-logfile", "-", "--error-logfile", "-", "--log-level", "debug"),
        "config.wsgi:application",
    ]
    report = json.dumps([{"biz_id": "1^0", "success": True}])
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log_path.read_text()
            try:
                request(port, "GET", "/healthz-not-a-page/")
                break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
        answers = [
            request(port, "POST", callback(WRONG), report),
            request(port, "GET", callback(TOKEN)),
            request(port, "POST", callback(TOKEN), "["),
            request(port, "POST", callback(TOKEN), report),
            request(port, "GET", f"/calendar/somekey/{FEED_SECRET}.ics"),
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert answers == [
        HTTPStatus.NOT_FOUND,
        HTTPStatus.METHOD_NOT_ALLOWED,
        HTTPStatus.BAD_REQUEST,
        HTTPStatus.OK,
        HTTPStatus.NOT_FOUND,
    ]
    text = log_path.read_text()
    assert TOKEN not in text and WRONG not in text and FEED_SECRET not in text
    assert f'"GET /calendar/somekey/{REDACTED}.ics HTTP/1.1" 404' in text
    assert f'"POST /sms/callbacks/{REDACTED}/alibaba/ HTTP/1.1" 404' in text  # access log
    assert f'"POST /sms/callbacks/{REDACTED}/alibaba/ HTTP/1.1" 200' in text
    assert f"Not Found: /sms/callbacks/{REDACTED}/alibaba/" in text  # Django's own
    assert Message.objects.get().status == MessageStatus.DELIVERED
