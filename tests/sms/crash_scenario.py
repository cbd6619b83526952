"""Real workers, SIGKILLed mid-send and restarted, against a fake provider: what is lost
and what is sent twice. Run by tests/sms/test_worker_crash.py and bench/crash.py.

``manage.py sms_worker`` subprocesses deliver a batch of due sign-in codes through the
real Alibaba or Tencent backend (official SDK) to an ``AcceptingProvider`` in this
process (tests/sms/fake_providers.py), which accepts each send at once, answers
``delay`` seconds later, and answers status look-ups from what it accepted. Each worker
signs with its own AccessKey id / SecretId, so the provider tells which worker sent
what. The runner waits until a worker has had a send accepted, kills that worker at a
random moment within about one ``delay`` (mostly before it has read the answer, so the
provider has the message and the row says SENDING), and starts another; several times.
At the end every message must be SENT or DELIVERED; the provider's acceptances per
``out_id`` say what reached the phone once, twice, or never.

The lease is shortened to a few seconds and the recovery sweep runs twice a second, so
that abandoned rows come back within the run.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sms.models import Kind, Message, MessageStatus
from sms.services import queue_message
from tests.sms.fake_providers import STATUS_QUERIES, AcceptingProvider, action_of

ALIBABA = "sms.backends.alibaba.AlibabaBackend"
TENCENT = "sms.backends.tencent.TencentBackend"
KEY_PREFIX = "crash:"


@dataclass(frozen=True)
class Scenario:
    """A provider as the workers meet it."""

    name: str
    backend: str
    description: str
    #: Whether the provider's status records name our message (Tencent: SessionContext
    #: enabled for the application; Alibaba: always, OutId).
    context_in_status: bool = True

    def options(self, provider: AcceptingProvider, worker: int) -> dict:
        if self.backend == ALIBABA:
            return {
                "access_key_id": f"LTAI-crash-worker-{worker}",
                "access_key_secret": "crash-secret",
                "sign_name": "某某镇司法所",
                "endpoint": provider.address,
                "protocol": "HTTP",
                "timeout": 10,
            }
        return {
            "secret_id": f"AKID-crash-worker-{worker}",
            "secret_key": "crash-secret",
            "sdk_app_id": "1400006666",
            "sign_name": "某某镇司法所",
            "endpoint": provider.address,
            "protocol": "http",
            "timeout": 10,
        }


SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario("alibaba", ALIBABA, "Alibaba Cloud, QuerySendDetails matched on OutId"),
        Scenario(
            "tencent",
            TENCENT,
            "Tencent Cloud, PullSmsSendStatusByPhoneNumber with SessionContext enabled",
        ),
        Scenario(
            "tencent-no-context",
            TENCENT,
            "Tencent Cloud, status records without SessionContext (the default): "
            "nothing to match, at least once",
            context_in_status=False,
        ),
    )
}


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    database: str
    seed: int
    messages: int
    workers: int
    kills: int
    kills_mid_request: int  # the victim's last send was accepted less than `delay` ago
    worker_starts: int
    seconds: float
    reclaimed: int  # claims after a lost lease (attempts beyond the first)
    look_ups: int  # status queries the provider answered
    accepted: int  # sends the provider accepted
    duplicates: int  # extra copies that reached the phone
    lost: int  # messages not SENT/DELIVERED, or never accepted by the provider
    statuses: dict[str, int]
    sending_seconds: float  # from the provider's first acceptance to its last

    def line(self) -> str:
        return (
            f"{self.scenario.name} ({self.database}, seed {self.seed}): {self.messages} "
            f"messages, {self.workers} workers, {self.kills} SIGKILLs "
            f"({self.kills_mid_request} mid-request), {self.worker_starts} worker starts, "
            f"{self.seconds:.1f} s ({self.sending_seconds:.1f} s sending); "
            f"{self.reclaimed} rows claimed again, {self.look_ups} look-ups, "
            f"{self.accepted} sends accepted; {self.duplicates} duplicates, "
            f"{self.lost} lost; statuses {dict(sorted(self.statuses.items()))}"
        )


class ScenarioFailed(RuntimeError):
    """The run did not finish in time; the message ends with the workers' last lines."""


def database_url() -> str:
    """The current database, as DATABASE_URL tells a subprocess."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        user += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "", safe="") + (f":{db['PORT']}" if db["PORT"] else "")
    return f"postgres://{user}@{host}/{quote(db['NAME'], safe='')}"


class Workers:
    """The worker subprocesses, each with its own credential and log file."""

    def __init__(
        self,
        *,
        scenario: Scenario,
        provider: AcceptingProvider,
        logs: Path,
        lease_seconds: int,
        recover_every: float,
    ):
        self.scenario = scenario
        self.provider = provider
        self.logs = logs
        self.recover_every = recover_every
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,
            "SMS_BACKEND": scenario.backend,
            # The one message sent here (the workers skip the check that wants them all).
            "SMS_TEMPLATE_IDS": json.dumps({"login_code": "SMS_900001"}),
            "SMS_LEASE_SECONDS": str(lease_seconds),
            "SITE_URL": "https://yuyue.example.gov.cn",
            "PYTHONUNBUFFERED": "1",
        }
        self.processes: list[subprocess.Popen] = []
        self.credentials: dict[int, str] = {}  # pid → the credential it signs with

    def start(self) -> subprocess.Popen:
        number = len(self.processes) + 1
        options = self.scenario.options(self.provider, number)
        log = (self.logs / f"worker-{number}.log").open("w")
        # Without the system checks a restart takes half the time (they are not what is
        # measured here, and the test process has run them).
        process = subprocess.Popen(
            [
                sys.executable, "manage.py", "sms_worker", "--skip-checks",
                "--interval", "0.05", "--recover-every", str(self.recover_every),
            ],
            cwd=settings.BASE_DIR, env={**self.env, "SMS_OPTIONS": json.dumps(options)},
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.processes.append(process)
        self.credentials[process.pid] = options.get("access_key_id") or options["secret_id"]
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


def queue_batch(messages: int) -> None:
    now = timezone.now()
    with transaction.atomic():
        for i in range(messages):
            queue_message(
                kind=Kind.LOGIN_CODE,
                template="login_code",
                recipient=f"+86139{i:08d}",
                params={"code": f"{i:06d}", "minutes": "10"},
                language="zh-hans",
                idempotency_key=f"{KEY_PREFIX}{i}",
                not_before=now,
            )


def run(
    scenario: Scenario,
    *,
    logs: Path,
    messages: int = 300,
    kills: int = 6,
    workers: int = 2,
    delay: float = 0.05,
    lease_seconds: int = 3,
    recover_every: float = 0.5,
    pause: float = 0.3,
    time_limit: float = 60,
    seed: int | None = None,
) -> Outcome:
    """Run ``scenario``; its messages and every task row are deleted afterwards.

    The workers send whatever else is due as well: the outbox should hold nothing due."""
    seed = random.randrange(2**32) if seed is None else seed
    rng = random.Random(seed)
    began = time.monotonic()
    deadline = began + time_limit
    batch = Message.objects.filter(idempotency_key__startswith=KEY_PREFIX)
    done = batch.filter(status__in=[MessageStatus.SENT, MessageStatus.DELIVERED])
    killed = mid_request = 0
    provider = AcceptingProvider(delay=delay)
    provider.tencent_context_in_status = scenario.context_in_status
    team = Workers(
        scenario=scenario,
        provider=provider,
        logs=logs,
        lease_seconds=lease_seconds,
        recover_every=recover_every,
    )

    running: list[subprocess.Popen] = []

    def wait_until(predicate, what: str) -> None:
        while not predicate():
            if time.monotonic() > deadline:
                raise ScenarioFailed(f"Timed out waiting until {what}.\n{team.tail()}")
            if any(process.poll() is not None for process in running):
                raise ScenarioFailed(f"A worker exited by itself.\n{team.tail()}")
            time.sleep(0.005)

    try:
        queue_batch(messages)
        running.extend(team.start() for _ in range(workers))
        while killed < kills:
            time.sleep(rng.uniform(0, pause))
            if done.count() > messages * 0.9:
                break  # too few left to kill for: the outcome says how many kills there were
            seen = len(provider.accepted)
            credentials = {team.credentials[p.pid]: p for p in running}
            wait_until(
                lambda seen=seen, credentials=credentials: any(
                    a.credential in credentials for a in provider.accepted[seen:]
                ),
                "a worker is sending",
            )
            last = next(a for a in reversed(provider.accepted) if a.credential in credentials)
            victim = credentials[last.credential]
            time.sleep(rng.uniform(0, delay * 1.2))
            mid_request += time.time() - last.at < delay
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed += 1
            running[running.index(victim)] = team.start()
        wait_until(lambda: done.count() == messages, f"all {messages} messages are done")
    finally:
        team.stop()
        provider.close()
    seconds = time.monotonic() - began

    rows = list(batch.values_list("out_id", "status", "attempts"))
    accepted = Counter(a.out_id for a in provider.accepted)
    outcome = Outcome(
        scenario=scenario,
        database=connection.vendor,
        seed=seed,
        messages=len(rows),
        workers=workers,
        kills=killed,
        kills_mid_request=mid_request,
        worker_starts=len(team.processes),
        seconds=seconds,
        reclaimed=sum(attempts - 1 for _, _, attempts in rows),
        look_ups=sum(1 for r in provider.requests if action_of(r) in STATUS_QUERIES),
        accepted=sum(accepted.values()),
        duplicates=provider.duplicates(),
        lost=sum(
            1
            for out_id, status, _ in rows
            if status not in {MessageStatus.SENT, MessageStatus.DELIVERED} or not accepted[out_id]
        ),
        statuses=dict(Counter(status for _, status, _ in rows)),
        sending_seconds=(
            provider.accepted[-1].at - provider.accepted[0].at if provider.accepted else 0.0
        ),
    )
    batch.delete()
    DBTaskResult.objects.all().delete()
    return outcome
