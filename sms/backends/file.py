"""Appends each message as one JSON line to a file (``SMS_OPTIONS["path"]``)."""

import fcntl
import json
import uuid
from pathlib import Path

from django.conf import settings

from sms.backends.base import BaseBackend, OutgoingSMS, SendResult


class FileBackend(BaseBackend):
    def __init__(self, path=None, **options):
        super().__init__(**options)
        self.path = Path(path or settings.VAR_DIR / "sms.jsonl")

    def send(self, sms: OutgoingSMS) -> SendResult:
        message_id = f"file-{uuid.uuid4().hex[:12]}"
        line = json.dumps(
            {
                "id": message_id,
                "to": sms.to,
                "template": sms.template,
                "params": sms.params,
                "text": sms.text,
                "language": sms.language,
                "idempotency_key": sms.idempotency_key,
            },
            ensure_ascii=False,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as stream:
            fcntl.flock(stream, fcntl.LOCK_EX)  # whole lines, even with several workers
            stream.write(line + "\n")
        return SendResult(provider_message_id=message_id)
