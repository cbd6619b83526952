"""A local "provider" that records every request, and the backend that posts to it.

``RecordingProvider`` is an HTTP server on 127.0.0.1, served by a thread of the process
that creates it (a test, a benchmark). It records every POSTed message with its
idempotency key at the moment it accepts it, then answers after ``delay`` seconds: a
worker killed during that delay has had its message accepted without learning so. With
``idempotent=True`` it behaves like a provider that honours the key: a repeated key is
answered with the first message's id and is not delivered again.

Worker subprocesses select the backend by dotted path (``SMS_BACKEND``) and find the
provider through ``SMS_OPTIONS={"url": …}``.
"""

import http.client
import json
import os
import threading
import time
import uuid
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from sms.backends.base import BaseBackend, OutgoingSMS, PermanentError, SendResult, TemporaryError


class RecordingProvider:
    def __init__(self, *, idempotent: bool, delay: float = 0.0):
        self.idempotent = idempotent
        self.delay = delay
        # (idempotency key, pid of the sender, time.monotonic() when accepted)
        self.requests: list[tuple[str, int, float]] = []
        self.delivered: dict[str, list[str]] = {}  # key → the ids of its deliveries
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/messages"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def accept(self, key: str, sender: int) -> str:
        with self._lock:
            self.requests.append((key, sender, time.monotonic()))
            if self.idempotent and key in self.delivered:
                return self.delivered[key][0]
            message_id = uuid.uuid4().hex
            self.delivered.setdefault(key, []).append(message_id)
            return message_id

    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def senders(self) -> set[int]:
        """The process ids of the workers that have sent something."""
        with self._lock:
            return {sender for _, sender, _ in self.requests}

    def repeated_requests(self) -> int:
        """Requests for a key that had been requested before."""
        with self._lock:
            return sum(n - 1 for n in Counter(key for key, _, _ in self.requests).values())

    def duplicate_deliveries(self) -> int:
        """Messages delivered to the phone more than once (extra deliveries)."""
        with self._lock:
            return sum(len(ids) - 1 for ids in self.delivered.values())

    def _handler_class(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                message_id = provider.accept(body["idempotency_key"], body.get("sender", 0))
                if provider.delay:
                    time.sleep(provider.delay)
                answer = json.dumps({"id": message_id}).encode()
                try:
                    self.send_response(HTTPStatus.OK)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the worker was killed while waiting: accepted all the same

            def log_message(self, *args):
                pass

        return Handler


class RecordingBackend(BaseBackend):
    """Posts each message as JSON to ``url``; the provider does not drop repeats."""

    def __init__(self, url: str, timeout: float = 10.0, **options):
        super().__init__(**options)
        self.url = urlsplit(url)
        self.timeout = timeout

    def send(self, sms: OutgoingSMS) -> SendResult:
        body = json.dumps(
            {
                "to": sms.to,
                "template": sms.template,
                "params": sms.params,
                "idempotency_key": sms.idempotency_key,
                "sender": os.getpid(),  # lets a test tell its workers apart
            }
        )
        connection = http.client.HTTPConnection(
            self.url.hostname, self.url.port, timeout=self.timeout
        )
        try:
            connection.request("POST", self.url.path, body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = response.read()
        except OSError as error:
            raise TemporaryError("network", str(error)) from error
        finally:
            connection.close()
        if response.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise TemporaryError(str(response.status), answer.decode(errors="replace"))
        if response.status >= HTTPStatus.BAD_REQUEST:
            raise PermanentError(str(response.status), answer.decode(errors="replace"))
        return SendResult(provider_message_id=json.loads(answer)["id"])


class IdempotentRecordingBackend(RecordingBackend):
    """The same, for a provider that honours the idempotency key."""

    honours_idempotency_key = True
