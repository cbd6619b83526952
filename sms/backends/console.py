"""Prints each message to standard output: the `make run` default."""

import sys
import threading
import uuid

from sms.backends.base import BaseBackend, OutgoingSMS, SendResult


class ConsoleBackend(BaseBackend):
    honours_idempotency_key = True
    _lock = threading.Lock()

    def __init__(self, stream=None, **options):
        super().__init__(**options)
        self.stream = stream or sys.stdout

    def send(self, sms: OutgoingSMS) -> SendResult:
        with self._lock:
            self.stream.write(f"SMS to {sms.to} [{sms.template}]\n{sms.text}\n{'-' * 40}\n")
            self.stream.flush()
        return SendResult(provider_message_id=f"console-{uuid.uuid4().hex[:12]}")
