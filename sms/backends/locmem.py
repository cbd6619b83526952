"""Keeps messages in memory, in ``sms.backends.locmem.outbox``: for tests."""

import uuid

from sms.backends.base import BaseBackend, OutgoingSMS, SendResult

outbox: list[OutgoingSMS] = []


class LocmemBackend(BaseBackend):
    honours_idempotency_key = True

    def send(self, sms: OutgoingSMS) -> SendResult:
        outbox.append(sms)
        return SendResult(provider_message_id=f"locmem-{uuid.uuid4().hex[:12]}")
