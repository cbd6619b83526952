"""Delivery of the outbox: claim a due row under a lease, send it, record the outcome.

How no message is lost:

- Every row has a deliver task from the moment it is written (``queue_message`` enqueues
  it in the same transaction). The task only carries the row's id; the row is the truth.
- A worker claims a row if it is QUEUED and due, or SENDING with an expired lease (its
  worker died mid-send): SENDING, ``attempts + 1``, ``lease_expires_at = now + lease``,
  the backend it goes through and, on the first claim, ``out_id`` (random, our id at the
  provider), committed before the provider is called. ``deliver_due`` picks rows in a
  short transaction with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL; on SQLite the
  ``IMMEDIATE`` transaction serialises writers); ``deliver(id)``, which names its row,
  claims it with a conditional UPDATE (two fewer round trips per message).
- A row claimed SENDING past its lease may have reached the provider on an earlier
  attempt (its worker was killed after the provider accepted it, or the send timed
  out). Before sending it again the worker asks the backend (``find_sent``: Alibaba's
  QuerySendDetails, Tencent's PullSmsSendStatusByPhoneNumber, matched on ``out_id``) and,
  if the provider has it, records what the provider says (SENT, DELIVERED, FAILED)
  without sending. Backends without a look-up (Twilio, console, file) send again.
- A delivery report is matched on ``out_id`` or the provider's own id (sms/reports.py),
  and only for a row handed to that provider, so a message the provider accepted while
  its worker died or timed out is still settled by its report.
- The outcome is written by one UPDATE filtered on ``(pk, status=SENDING, attempts=n)``.
  ``attempts`` only grows, so that pair is a fencing token: a worker that outlived its
  lease finds the row claimed again (``attempts`` is higher) and writes nothing.
- A retry (temporary error with exponential backoff and jitter, or quiet hours) writes the
  row back to QUEUED with a later ``not_before`` and enqueues the next task in the same
  transaction. After ``SMS_MAX_ATTEMPTS`` claims the row is FAILED, with the last error.
- A timeout is different: the provider may have the message. The row stays SENDING (it
  was handed to the provider; only such rows take reports) with its lease running to the
  retry time, and the next task is enqueued for then. A report arriving meanwhile settles
  it and the retry finds nothing to claim; without one it is claimed, looked up at the
  provider, and sent again unless found.
- Django tasks have no lease: a worker killed during a task leaves the task RUNNING for
  ever and the row QUEUED (killed before the claim) or SENDING (after it). ``recover``
  finds both — QUEUED and due without a ready task, SENDING with an expired lease — and
  enqueues a deliver task for each. ``manage.py sms_worker`` runs it when the worker
  starts and then periodically beside the task loop (sms/management/commands/sms_worker.py).
  A spare task is harmless: ``deliver`` of a row that is not claimable does nothing.

Settings, read when used: ``SMS_LEASE_SECONDS`` (120; longer than any backend's timeout),
``SMS_MAX_ATTEMPTS`` (8), ``SMS_BACKEND``.

Known limits:

- At least once, not exactly once. A worker killed after the provider accepted a message
  and before the row was marked SENT leaves a SENDING row that is sent again once its
  lease has expired, unless its delivery report arrived first or the look-up finds it.
  The look-up misses what the provider does not list yet (Tencent lists a message once
  the carrier has reported on it, and names it only where Tencent enabled
  ``SessionContext`` in its status records), and a look-up that the provider refuses is
  not waited for; then the message is sent again, at most once per lost attempt
  (tests/sms/test_worker_crash.py and bench/crash.py measure it; docs/sms-delivery.md).
- A backend call slower than the lease lets a second worker send the same row while the
  first is still waiting; the first worker's outcome is then discarded (logged).
- A message reclaimed after an expired lease waits for the lease and the next recovery
  sweep: up to lease + sweep interval (about three minutes with the defaults).
- Task rows of killed workers stay RUNNING; they are records, nothing reads them.
"""

import datetime as dt
import logging
import random
import secrets

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from sms.backends import PermanentError, TemporaryError, get_shared_backend
from sms.backends.base import FOUND_DELIVERED, FOUND_FAILED, Found
from sms.messages import build_sms
from sms.models import Message, MessageStatus
from sms.services import next_allowed_time, skip_reason
from sms.tasks import deliver_message

logger = logging.getLogger(__name__)

RETRY_BASE = dt.timedelta(seconds=30)
RETRY_CAP = dt.timedelta(hours=1)
# At most this many rows are recovered per sweep; the next sweep takes the rest.
RECOVER_BATCH = 1_000
GAVE_UP = "gave up after {attempts} attempts"
#: Temporary error codes after which the provider may have accepted the message.
OUTCOME_UNKNOWN = frozenset({"timeout"})
#: Error codes of a look-up (``find_sent``) that did not reach the provider.
UNREACHABLE = frozenset({"timeout", "network_error", "server_error"})
LOOKUP_FAILED = "look-up failed"
#: The look-up starts this long before ``not_before``: our clock and the provider's differ.
LOOKUP_MARGIN = dt.timedelta(minutes=5)

QUEUED, SENDING, SENT = MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT
FAILED, SKIPPED = MessageStatus.FAILED, MessageStatus.SKIPPED


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.SMS_LEASE_SECONDS)


def max_attempts() -> int:
    return settings.SMS_MAX_ATTEMPTS


def retry_delay(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, … up to 1 h after the ``attempts``-th try; each between half
    and all of that, so that messages failed together do not come back together."""
    doublings = min(max(attempts - 1, 0), 20)  # past the cap long before; no overflow
    delay = min(RETRY_CAP, RETRY_BASE * 2**doublings)
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 (spreading load, not a secret)


def due(now: dt.datetime) -> QuerySet[Message]:
    """QUEUED rows whose time has come, oldest first (index ``sms_message_due``)."""
    return Message.objects.filter(status=QUEUED, not_before__lte=now).order_by("not_before")


def lease_expired(now: dt.datetime) -> QuerySet[Message]:
    """SENDING rows whose worker has not reported back within its lease."""
    return Message.objects.filter(status=SENDING, lease_expires_at__lt=now).order_by(
        "lease_expires_at"
    )


def locked(queryset: QuerySet[Message]) -> QuerySet[Message]:
    """``queryset`` as a claim reads it: rows that other workers hold are skipped."""
    return queryset.select_for_update(skip_locked=True)


def new_out_id() -> str:
    """Our id for a message at the provider: random, so that no one can name it unseen."""
    return secrets.token_hex(16)


def backend_name() -> str:
    """The configured backend as ``Message.backend`` records it (module and class)."""
    try:
        backend = type(get_shared_backend())
    except Exception:  # a misconfigured backend: the send itself reports the error
        return settings.SMS_BACKEND[:100]
    return f"{backend.__module__}.{backend.__qualname__}"[:100]


def _claim_next() -> tuple[Message, bool] | None:
    """Claim the next row for ``deliver_due``: abandoned ones first, then the oldest due.

    With the row, whether it was abandoned (SENDING past its lease)."""
    now = timezone.now()
    backend = backend_name()
    with transaction.atomic():
        message = locked(lease_expired(now)).first()
        abandoned = message is not None
        message = message or locked(due(now)).first()
        if message is None:
            return None
        message.status = SENDING
        message.attempts += 1
        message.lease_expires_at = now + lease()
        message.backend = backend
        message.out_id = message.out_id or new_out_id()
        message.save(
            update_fields=[
                "status", "attempts", "lease_expires_at", "backend", "out_id", "updated_at"
            ]
        )  # fmt: skip
    return message, abandoned


def _record(message: Message, **fields) -> bool:
    """Write the outcome if the row is still ours (same claim); False if it is not.

    It is not when the lease expired and another worker claimed the row, or when a
    delivery report (sms/reports.py) settled it first; either outcome stands.
    """
    fields = {"lease_expires_at": None, "updated_at": timezone.now(), **fields}
    written = Message.objects.filter(
        pk=message.pk, status=SENDING, attempts=message.attempts
    ).update(**fields)
    if not written:
        logger.warning(
            "SMS %s changed during attempt %s (lease expired, or a delivery report came "
            "first): outcome %s not written.",
            message.pk,
            message.attempts,
            fields.get("status"),
        )
    return bool(written)


def _enqueue(message_id: int, run_after: dt.datetime) -> None:
    deliver_message.using(run_after=run_after).enqueue(message_id)


def _requeue(message: Message, *, at: dt.datetime, **fields) -> str | None:
    with transaction.atomic():
        if not _record(message, status=QUEUED, not_before=at, **fields):
            return None
        _enqueue(message.pk, at)
    return QUEUED


def _await_report(message: Message, *, at: dt.datetime, error: str) -> str | None:
    """Keep the row SENDING, its lease running to ``at``, and try again then.

    ``not_before`` stays as it was: no attempt of the row since it was claimed from QUEUED
    is older, so the look-up of the retry (``_look_up``) starts there."""
    with transaction.atomic():
        if not _record(message, status=SENDING, lease_expires_at=at, error=error):
            return None
        _enqueue(message.pk, at)
    return SENDING


def _retry_or_fail(
    message: Message, *, error: str, now: dt.datetime, unknown: bool = False
) -> str | None:
    if message.attempts >= max_attempts():
        error = f"{GAVE_UP.format(attempts=message.attempts)}: {error}"
        return FAILED if _record(message, status=FAILED, error=error) else None
    at = now + retry_delay(message.attempts)
    if unknown:
        return _await_report(message, at=at, error=error)
    return _requeue(message, at=at, error=error)


#: ``_look_up`` found nothing, or could not tell: the message is to be sent.
SEND = "send"


def _look_up(message: Message) -> str | None:
    """Ask the provider whether an earlier attempt reached it; SEND, or the row's new status.

    Found: the row takes the provider's word (SENT, DELIVERED or FAILED), nothing is sent.
    A look-up that does not reach the provider (timeout, no connection, HTTP error) is
    retried with the next attempt, the row kept SENDING as after a timeout: a send now
    would most likely not get through either, and one that half gets through is what
    makes a duplicate. A provider that answers but will not tell (an error, no permission
    for the query) does not hold the message up: SEND, at least once.
    """
    try:
        sms = build_sms(message)
        found = get_shared_backend().find_sent(sms, since=message.not_before - LOOKUP_MARGIN)
    except TemporaryError as error:
        if error.code not in UNREACHABLE:
            logger.warning("SMS %s: look-up refused (%s); sending again.", message.pk, error)
            return SEND
        error_text = f"{LOOKUP_FAILED}: {error}"
        return _retry_or_fail(message, error=error_text, now=timezone.now(), unknown=True)
    except Exception as error:  # the send below meets it again and classifies it
        logger.warning("SMS %s: look-up failed (%s); sending again.", message.pk, error)
        return SEND
    if found is None:
        return SEND
    return _settle_found(message, found)


def _settle_found(message: Message, found: Found) -> str | None:
    now = timezone.now()
    fields = {
        "sent_at": found.sent_at or now,
        "provider_message_id": found.provider_message_id or message.provider_message_id,
        "error": "",
        "error_code": "",
    }
    if found.status == FOUND_DELIVERED:
        status = MessageStatus.DELIVERED
        fields["delivered_at"] = found.received_at or now
    elif found.status == FOUND_FAILED:
        status = FAILED
        fields["error"] = found.error or found.error_code or "failed"
        fields["error_code"] = found.error_code[:100]
    else:
        status = SENT
    logger.info("SMS %s: found at the provider (%s); not sent again.", message.pk, status)
    return status if _record(message, status=status, **fields) else None


def _send(message: Message, *, abandoned: bool = False) -> str | None:
    """Everything after the claim; the row's new status, or None if the lease was lost.

    ``abandoned``: claimed SENDING past its lease, so an earlier attempt (a worker killed
    mid-send, or a timeout) may have reached the provider, which is asked first.
    """
    if abandoned:
        looked_up = _look_up(message)
        if looked_up != SEND:
            return looked_up
    if message.appointment_id is not None:
        # One query for what skip_reason and quiet hours read (None if deleted since).
        # booking's model; the stubs' related_model also allows the unresolved "self".
        appointments = Message.appointment.field.related_model.objects  # type: ignore[union-attr]
        message.appointment = (
            appointments.select_related("office", "resident")
            .filter(pk=message.appointment_id)
            .first()
        )
    now = timezone.now()
    reason = skip_reason(message, now=now)
    if reason:
        return SKIPPED if _record(message, status=SKIPPED, error=reason) else None
    allowed = next_allowed_time(message, now=now)
    if allowed > now:
        return _requeue(message, at=allowed)
    if message.attempts > max_attempts():
        # Earlier claims all ended without an outcome (workers killed mid-send).
        last = message.error or "no attempt reported back"
        error = f"{GAVE_UP.format(attempts=message.attempts - 1)}: {last}"
        return FAILED if _record(message, status=FAILED, error=error) else None

    try:
        sms = build_sms(message)
        backend = get_shared_backend()
        result = backend.send(sms)
    except PermanentError as error:
        # The provider's code alone is what the office's pages put into words.
        failed = _record(message, status=FAILED, error=str(error), error_code=error.code[:100])
        return FAILED if failed else None
    except TemporaryError as error:
        unknown = error.code in OUTCOME_UNKNOWN
        return _retry_or_fail(message, error=str(error), now=timezone.now(), unknown=unknown)
    except Exception as error:
        # A bug or an error the backend did not classify: retried like a temporary one,
        # so that a fix deployed within the retries still delivers the message.
        logger.exception("SMS %s: attempt %s failed unexpectedly.", message.pk, message.attempts)
        return _retry_or_fail(message, error=f"{type(error).__name__}: {error}", now=timezone.now())

    sent = _record(
        message,
        status=SENT,
        provider_message_id=result.provider_message_id,
        sent_at=timezone.now(),
        error="",
    )
    return SENT if sent else None


# What a worker may claim: QUEUED and due, or SENDING past its lease (two statements, so
# that the worker knows which). ``out_id`` is made on the first claim and kept: a report
# or a look-up of an earlier attempt still finds the row.
_CLAIM_SQL = f"""
    UPDATE {Message._meta.db_table}
    SET status = %s, attempts = attempts + 1, lease_expires_at = %s, updated_at = %s,
        backend = %s, out_id = CASE WHEN out_id = '' THEN %s ELSE out_id END
    WHERE id = %s AND status = %s AND {{condition}}
    RETURNING *
"""  # noqa: S608  (no user input: the table and column names are the model's)
_CLAIM_DUE_SQL = _CLAIM_SQL.format(condition="not_before <= %s")
_CLAIM_ABANDONED_SQL = _CLAIM_SQL.format(condition="lease_expires_at < %s")


def deliver(message_id: int) -> str | None:
    """Deliver one message if it is due and no live worker holds it.

    Returns its new status (SENT, QUEUED for a retry, SENDING when a timeout left it
    waiting for a report until its retry, SKIPPED, FAILED), or None when there
    was nothing to do: not due yet, already done, held by another worker, or the lease
    was lost before the outcome could be written.
    """
    # The row is named, so there is nothing to skip: a conditional UPDATE claims it and
    # returns it (UPDATE … RETURNING: one round trip, on PostgreSQL and SQLite ≥ 3.35) —
    # first as due, else as abandoned (one more round trip, for retries after a timeout
    # and spare tasks). PostgreSQL re-evaluates the WHERE after waiting for a concurrent
    # claim to commit, and SQLite runs one writer at a time, so of two workers exactly one
    # gets the row.
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    claim = [SENDING, adapt(now + lease()), adapt(now), backend_name(), new_out_id(), message_id]
    for sql, status, abandoned in (
        (_CLAIM_DUE_SQL, QUEUED, False),
        (_CLAIM_ABANDONED_SQL, SENDING, True),
    ):
        claimed = list(Message.objects.raw(sql, [*claim, status, adapt(now)]))
        if claimed:
            return _send(claimed[0], abandoned=abandoned)
    return None


def deliver_due(*, limit: int = 100) -> int:
    """Deliver up to ``limit`` due rows one by one, abandoned ones first; how many."""
    count = 0
    while count < limit:
        claimed = _claim_next()
        if claimed is None:
            break
        message, abandoned = claimed
        _send(message, abandoned=abandoned)
        count += 1
    return count


def _pending_ids(message_ids: list[int], *, now: dt.datetime) -> set[int]:
    """Those of ``message_ids`` that have a deliver task ready to run at ``now``.

    Deliver tasks are always enqueued with a ``run_after`` and the task's own priority;
    saying so lets the database walk django-tasks-db's index of ready tasks from
    (READY, priority) up to ``now`` instead of reading every future reminder's task. A
    task enqueued otherwise is not seen, and the row gets a spare task (which does
    nothing once the row is sent).
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    tasks = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        priority=deliver_message.priority,
        run_after__lte=now,
        task_path=deliver_message.module_path,
        queue_name=deliver_message.queue_name,
        args_kwargs__args__0__in=message_ids,
    ).order_by()
    return {args_kwargs["args"][0] for args_kwargs in tasks.values_list("args_kwargs", flat=True)}


def find_lost(*, now: dt.datetime, limit: int = RECOVER_BATCH) -> list[int]:
    """Rows whose work was lost: SENDING past their lease, or QUEUED and due with no task
    ready to run (its task died with a worker). Oldest first."""
    candidates = list(lease_expired(now).values_list("pk", flat=True)[:limit])
    candidates += due(now).values_list("pk", flat=True)[:limit]
    if not candidates:
        return []
    pending = _pending_ids(candidates, now=now)
    return [pk for pk in candidates if pk not in pending]


def recover(*, now: dt.datetime | None = None, limit: int = RECOVER_BATCH) -> int:
    """Enqueue a deliver task for every row whose work was lost; how many."""
    now = now or timezone.now()
    lost = find_lost(now=now, limit=limit)
    with transaction.atomic():
        for message_id in lost:
            _enqueue(message_id, now)
    if lost:
        logger.info("Recovered %s text message(s) whose delivery was lost.", len(lost))
    return len(lost)


#: How long finished task rows are kept: successful ones are only a record, failed ones
#: help to find a bug.
KEEP_SUCCESSFUL_TASKS = dt.timedelta(days=7)
KEEP_FAILED_TASKS = dt.timedelta(days=30)


def prune_task_results(*, now: dt.datetime | None = None) -> int:
    """Delete old finished task rows (every message leaves one); how many went.

    The outbox keeps what matters about each message; without this the task table grows
    by a few rows per booking for ever. Rows that killed workers left RUNNING are kept.
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    deleted, _ = DBTaskResult.objects.filter(
        Q(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - KEEP_SUCCESSFUL_TASKS)
        | Q(status=TaskResultStatus.FAILED, finished_at__lt=now - KEEP_FAILED_TASKS)
    ).delete()
    return deleted
