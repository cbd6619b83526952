"""Benchmark "text-message delivery": worker throughput, and finding due messages.

Throughput: one ``manage.py sms_worker`` subprocess (DEBUG off, as in production; tasks
of both queues) works off a backlog of due sign-in codes, sending them to a recording
provider that answers at once (an HTTP server in this process,
tests/sms/recording_backend.py; one new HTTP connection per message). The rate is taken
from the provider's first to its last request, so the worker's start-up is left out; the
wall time from start to "all SENT" is given too. Acceptance: at least 100 messages/s.

Finding due rows: 100,000 appointments, every half hour around the clock for 100
lawyers, from 10 days before ``NOW`` to 10 days after, each with its confirmation and two
reminders (300,000 messages: SENT before ``NOW``, QUEUED after) and a task row each
(SUCCESSFUL or READY), as a database that is never pruned holds them. Due at ``NOW``:
100 QUEUED rows (half with a ready task, half whose task a killed worker left RUNNING),
20 SENDING rows whose lease has expired and 20 still leased. Timed: the queries with
which ``deliver_due`` claims the next row (locking, in a transaction rolled back), and
the whole search of the recovery sweep (``find_lost``). Acceptance: each under 100 ms.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.models import Role, User
from bench import measure
from bench.slots import unique_references
from booking.models import Appointment, Lawyer, Mode, Office, Status, Topic
from sms import delivery
from sms.models import Kind, Message, MessageStatus
from sms.services import queue_message
from sms.tasks import deliver_message
from tests.sms.recording_backend import RecordingProvider

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 3, 10, 0, tzinfo=TZ)
BACKLOG = 2_000
MIN_RATE = 100  # messages per second, one worker
LAWYERS = 100
SLOTS_PER_LAWYER = 1_000  # half-hour slots, around the clock: 20.8 days
RESIDENTS = 2_000
DUE_QUEUED, EXPIRED_LEASES, LIVE_LEASES = 100, 20, 20
MAX_MS = 100
BATCH = 5_000


def throughput() -> str:
    print(f"bench: the worker sends a backlog of {BACKLOG:,} messages…", file=sys.stderr)
    with RecordingProvider(idempotent=True) as provider:
        now = timezone.now()
        with transaction.atomic():
            for i in range(BACKLOG):
                queue_message(
                    kind=Kind.LOGIN_CODE,
                    template="login_code",
                    recipient=f"+86137{i:08d}",
                    params={"code": f"{i:06d}", "minutes": "10"},
                    language="zh-hans",
                    idempotency_key=f"bench-throughput:{i}",
                    not_before=now,
                )
        env = {
            **os.environ,
            "SMS_BACKEND": "tests.sms.recording_backend.IdempotentRecordingBackend",
            "SMS_OPTIONS": json.dumps({"url": provider.url}),
        }
        sent = Message.objects.filter(status=MessageStatus.SENT)
        with tempfile.TemporaryFile() as log:
            started = time.monotonic()
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "sms_worker", "--interval", "0.1"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            try:
                while sent.count() < BACKLOG:
                    if time.monotonic() - started > 300 or worker.poll() is not None:
                        log.seek(0)
                        raise RuntimeError(f"The worker did not finish:\n{log.read().decode()}")
                    time.sleep(0.05)
                wall = time.monotonic() - started
            finally:
                worker.terminate()
                worker.wait(timeout=30)
        times = sorted(at for _, _, at in provider.requests)
        repeats = provider.repeated_requests()
    sending = times[-1] - times[0]
    rate = (len(times) - 1) / sending
    Message.objects.all().delete()
    DBTaskResult.objects.all().delete()
    ok = "yes" if rate >= MIN_RATE else "**NO**"
    return "\n".join(
        [
            "### Text messages: worker throughput",
            "",
            f"One `manage.py sms_worker` (DEBUG off), a backlog of {BACKLOG:,} due sign-in "
            "codes, a local provider that answers at once (one HTTP connection per message).",
            "",
            "| measure | value |",
            "|---|---:|",
            f"| messages delivered (provider requests) | {len(times):,} |",
            f"| first to last provider request | {sending:.2f} s |",
            f"| **rate** | **{rate:.0f} messages/s** |",
            f"| wall time, worker start to all SENT | {wall:.2f} s |",
            f"| repeated requests | {repeats} |",
            "",
            f"Acceptance: at least {MIN_RATE} messages/s with one worker: {ok}.",
        ]
    )


def build() -> int:
    """The 100,000-appointment data set; the number of messages written."""
    topic = Topic.objects.get(code="family")
    office = Office.objects.create(
        name="Bench office (messages)",
        slug="bench-messages",
        address="Bench",
        phone="0731-00000000",
        time_zone=str(TZ),
    )
    references = unique_references()
    password = make_password(None)
    with transaction.atomic():
        residents = User.objects.bulk_create(
            User(display_name=f"Resident {i}", phone=f"+86136{i:08d}", password=password)
            for i in range(RESIDENTS)
        )
        lawyers = Lawyer.objects.bulk_create(
            Lawyer(user=user)
            for user in User.objects.bulk_create(
                User(
                    email=f"lawyer{i}@messages.bench.invalid",
                    display_name=f"Lawyer {i}",
                    role=Role.LAWYER,
                    password=password,
                )
                for i in range(LAWYERS)
            )
        )
        first = NOW - timedelta(minutes=30 * SLOTS_PER_LAWYER // 2)
        appointments = Appointment.objects.bulk_create(
            (
                Appointment(
                    reference=next(references),
                    resident=residents[(i * SLOTS_PER_LAWYER + j) % RESIDENTS],
                    lawyer=lawyer,
                    office=office,
                    topic=topic,
                    starts_at=first + timedelta(minutes=30 * j),
                    ends_at=first + timedelta(minutes=30 * j + 30),
                    mode=Mode.IN_PERSON,
                    status=Status.BOOKED,
                )
                for i, lawyer in enumerate(lawyers)
                for j in range(SLOTS_PER_LAWYER)
            ),
            batch_size=BATCH,
        )
        messages = []
        for appointment in appointments:
            starts_at = appointment.starts_at
            booked_at = min(NOW - timedelta(hours=1), starts_at - timedelta(days=3))
            for kind, key, at in (
                (Kind.CONFIRMATION, "confirmation", booked_at),
                (Kind.REMINDER, "reminder-24h", starts_at - timedelta(hours=24)),
                (Kind.REMINDER, "reminder-2h", starts_at - timedelta(hours=2)),
            ):
                done = at <= NOW
                messages.append(
                    Message(
                        recipient=str(appointment.resident.phone),
                        kind=kind,
                        template=str(kind),
                        params={"reference": appointment.reference},
                        idempotency_key=f"{key}:{appointment.pk}:0",
                        status=MessageStatus.SENT if done else MessageStatus.QUEUED,
                        attempts=1 if done else 0,
                        not_before=at,
                        sent_at=at if done else None,
                        provider_message_id=f"bench-{appointment.pk}-{key}" if done else "",
                        appointment=appointment,
                        appointment_sequence=0,
                    )
                )
        for i in range(DUE_QUEUED):
            messages.append(
                due_message(f"due:{i}", MessageStatus.QUEUED, NOW - timedelta(seconds=i))
            )
        for i in range(EXPIRED_LEASES + LIVE_LEASES):
            lease = NOW + timedelta(minutes=-1 if i < EXPIRED_LEASES else 1)
            messages.append(due_message(f"sending:{i}", MessageStatus.SENDING, lease))
        messages = Message.objects.bulk_create(messages, batch_size=BATCH)
        tasks = []
        due_seen = 0
        for message in messages:
            if message.status == MessageStatus.SENT:
                status = TaskResultStatus.SUCCESSFUL
            elif message.status == MessageStatus.SENDING:
                status = TaskResultStatus.RUNNING
            elif message.idempotency_key.startswith("due:"):
                due_seen += 1
                lost = due_seen > DUE_QUEUED // 2
                status = TaskResultStatus.RUNNING if lost else TaskResultStatus.READY
            else:
                status = TaskResultStatus.READY
            tasks.append(task_row(message, status))
        DBTaskResult.objects.bulk_create(tasks, batch_size=BATCH)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return len(messages)


def due_message(key: str, status: str, at: datetime) -> Message:
    return Message(
        recipient="+8613500000000",
        kind=Kind.LOGIN_CODE,
        template="login_code",
        params={"code": "000000", "minutes": "10"},
        idempotency_key=key,
        status=status,
        attempts=1 if status == MessageStatus.SENDING else 0,
        not_before=at if status == MessageStatus.QUEUED else NOW - timedelta(minutes=5),
        lease_expires_at=at if status == MessageStatus.SENDING else None,
    )


def task_row(message: Message, status: str) -> DBTaskResult:
    finished = status == TaskResultStatus.SUCCESSFUL
    return DBTaskResult(
        status=status,
        args_kwargs={"args": [message.pk], "kwargs": {}},
        task_path=deliver_message.module_path,
        queue_name=deliver_message.queue_name,
        backend_name="default",
        run_after=message.not_before,
        started_at=message.not_before if status != TaskResultStatus.READY else None,
        finished_at=message.not_before if finished else None,
        exception_class_path="",
        traceback="",
    )


def next_due_row():
    """What ``deliver_due`` reads to claim a row, rolled back instead of updated."""
    with transaction.atomic():
        message = (
            delivery.locked(delivery.lease_expired(NOW)).first()
            or delivery.locked(delivery.due(NOW)).first()
        )
        transaction.set_rollback(True)
    return message


def plan(queryset) -> str:
    lines = [line.strip() for line in queryset.explain().splitlines() if line.strip()]
    return " / ".join(lines)


def finding() -> str:
    print("bench: building 100,000 appointments with 300,000 messages…", file=sys.stderr)
    total = build()
    lost = delivery.find_lost(now=NOW)
    expected = EXPIRED_LEASES + DUE_QUEUED // 2
    if len(lost) != expected:
        raise RuntimeError(f"find_lost found {len(lost)} rows, {expected} expected.")
    claim = measure(next_due_row)
    search = measure(partial(delivery.find_lost, now=NOW))
    ok = "yes" if max(claim.median, search.median) < MAX_MS else "**NO**"
    return "\n".join(
        [
            "### Text messages: finding due rows",
            "",
            f"{LAWYERS * SLOTS_PER_LAWYER:,} appointments, {total:,} messages and as many task "
            f"rows; due at {NOW:%Y-%m-%d %H:%M}: {DUE_QUEUED} QUEUED ({DUE_QUEUED // 2} of "
            f"them with their task lost), {EXPIRED_LEASES} SENDING with an expired lease, "
            f"{LIVE_LEASES} SENDING still leased. 5 warm-up calls, then 50 timed.",
            "",
            "| call | rows | min ms | median ms | p95 ms |",
            "|---|---:|---:|---:|---:|",
            f"| claim the next due row (`deliver_due`, locking read) | 1 | {claim.row()} |",
            f"| recovery search `find_lost(now=)` | {len(lost)} | {search.row()} |",
            "",
            f"Plan of the due-row query: `{plan(delivery.due(NOW)[:1])}`.",
            "",
            f"Plan of the expired-lease query: `{plan(delivery.lease_expired(NOW)[:1])}`.",
            "",
            f"Acceptance: medians under {MAX_MS} ms: {ok}.",
        ]
    )


def run() -> str:
    return "\n\n".join([throughput(), finding()])
