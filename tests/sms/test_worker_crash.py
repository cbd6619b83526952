"""The real worker, SIGKILLed at random moments and restarted, loses no message.

Two ``manage.py sms_worker`` subprocesses deliver a batch of due messages to a recording
provider (an HTTP server in this process, tests/sms/recording_backend.py) that answers
after a short delay, so that a kill often falls between the provider accepting a message
and the worker marking it SENT. The test kills a worker that has been sending, at a random
moment, several times, and restarts it each time. At the end every message must be SENT
and recorded by the provider. With a provider that honours the idempotency key nothing is
delivered twice; with one that does not, a message accepted just before a kill is sent
again after its lease expires, at most once per kill — the test prints how many.

The lease is shortened to a few seconds (SMS_LEASE_SECONDS) and the recovery
sweep runs twice a second, so that abandoned rows come back within the test. Runs on
SQLite and PostgreSQL (`make test` runs the suite on both); ``pytest -s`` shows figures.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from sms.models import Kind, Message, MessageStatus
from sms.services import queue_message
from tests.sms.recording_backend import RecordingProvider

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

MESSAGES = 300
WORKERS = 2
KILLS = 6
LEASE_SECONDS = 3
RECOVER_EVERY = 0.5
PROVIDER_DELAY = 0.01  # seconds between accepting a message and answering
TIME_LIMIT = 50  # seconds for one scenario, start to finish
BACKENDS = {
    True: "tests.sms.recording_backend.IdempotentRecordingBackend",
    False: "tests.sms.recording_backend.RecordingBackend",
}


def database_url() -> str:
    """The test database, as DATABASE_URL tells a subprocess."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        user += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "", safe="") + (f":{db['PORT']}" if db["PORT"] else "")
    return f"postgres://{user}@{host}/{quote(db['NAME'], safe='')}"


class Workers:
    """The worker subprocesses, each logging to its own file."""

    def __init__(self, *, provider: RecordingProvider, idempotent: bool, logs: Path):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,
            "SMS_BACKEND": BACKENDS[idempotent],
            "SMS_OPTIONS": json.dumps({"url": provider.url, "timeout": 10}),
            "SMS_LEASE_SECONDS": str(LEASE_SECONDS),
            "PYTHONUNBUFFERED": "1",
        }
        self.logs = logs
        self.processes: list[subprocess.Popen] = []
        self.started = 0

    def start(self) -> subprocess.Popen:
        self.started += 1
        log = (self.logs / f"worker-{self.started}.log").open("w")
        process = subprocess.Popen(
            [
                sys.executable, "manage.py", "sms_worker",
                "--interval", "0.05", "--recover-every", str(RECOVER_EVERY),
            ],
            cwd=settings.BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.processes.append(process)
        return process

    def alive(self) -> list[subprocess.Popen]:
        return [p for p in self.processes if p.poll() is None]

    def stop(self) -> None:
        for process in self.alive():
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def tail(self) -> str:
        return "\n".join(
            f"--- {path.name}\n" + "\n".join(path.read_text().splitlines()[-15:])
            for path in sorted(self.logs.glob("worker-*.log"))
        )


def queue_batch() -> list[str]:
    keys = [f"crash-test:{i}" for i in range(MESSAGES)]
    now = timezone.now()
    with transaction.atomic():
        for i, key in enumerate(keys):
            queue_message(
                kind=Kind.LOGIN_CODE,
                template="login_code",
                recipient=f"+86139{i:08d}",
                params={"code": f"{i:06d}", "minutes": "10"},
                language="zh-hans",
                idempotency_key=key,
                not_before=now,
            )
    return keys


def wait_until(predicate, *, deadline: float, what: str, workers: Workers) -> None:
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting until {what}.\n{workers.tail()}")
        time.sleep(0.01)


def sent_count() -> int:
    return Message.objects.filter(status=MessageStatus.SENT).count()


@pytest.mark.parametrize("idempotent", [True, False], ids=["idempotent", "not-idempotent"])
def test_killed_workers_lose_no_message(idempotent, tmp_path):
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    began = time.monotonic()
    deadline = began + TIME_LIMIT
    kills = 0
    with RecordingProvider(idempotent=idempotent, delay=PROVIDER_DELAY) as provider:
        keys = queue_batch()
        workers = Workers(provider=provider, idempotent=idempotent, logs=tmp_path)
        running = [workers.start() for _ in range(WORKERS)]
        try:
            while kills < KILLS:
                # A victim that has been sending since it started, killed at a random moment.
                wait_until(
                    lambda: {p.pid for p in running} & provider.senders(),
                    deadline=deadline,
                    what="a worker is sending",
                    workers=workers,
                )
                if sent_count() > MESSAGES - 50:
                    pytest.fail(f"Messages ran out after {kills} kills; queue more.")
                time.sleep(rng.uniform(0, 0.3))
                victims = [p for p in running if p.pid in provider.senders()]
                victim = rng.choice(victims)
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                kills += 1
                running[running.index(victim)] = workers.start()
            wait_until(
                lambda: sent_count() == MESSAGES,
                deadline=deadline,
                what=f"all {MESSAGES} messages are sent",
                workers=workers,
            )
        finally:
            workers.stop()
        elapsed = time.monotonic() - began

        messages = {m.idempotency_key: m for m in Message.objects.all()}
        repeated = provider.repeated_requests()
        duplicates = provider.duplicate_deliveries()
        delivered = provider.delivered
    abandoned_tasks = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count()
    reclaimed = sum(m.attempts - 1 for m in messages.values())
    print(
        f"\nworker crash test ({connection.vendor}, provider "
        f"{'honours' if idempotent else 'ignores'} idempotency keys, seed {seed}): "
        f"{MESSAGES} messages, {WORKERS} workers, {kills} SIGKILLs, {workers.started} "
        f"worker starts, {elapsed:.1f} s; {reclaimed} rows claimed again after a lost lease; "
        f"{repeated} repeated requests to the provider, {duplicates} duplicate deliveries; "
        f"{abandoned_tasks} task rows left RUNNING by killed workers"
    )

    assert kills >= 5
    assert set(messages) == set(keys)
    assert {m.status for m in messages.values()} == {MessageStatus.SENT}
    assert set(delivered) == set(keys), "every message reached the provider"
    for key, message in messages.items():
        assert message.provider_message_id in delivered[key]
    # A killed worker held at most one row: at most one repeat per kill.
    assert repeated <= kills
    if idempotent:
        assert duplicates == 0
    else:
        assert duplicates == repeated
