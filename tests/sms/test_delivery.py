"""Delivery of the outbox: each due message is sent once, retried, postponed or skipped.

Time is frozen (time-machine) and moved by hand; messages go to the in-memory backend, or
to a scripted one (tests/sms/scripted_backend.py) when a test needs the provider to fail.
``deliver`` is called directly, as the worker's task would call it.
"""

import datetime as dt
import signal

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from booking import services
from booking.models import Mode
from sms import delivery
from sms.backends import PermanentError, TemporaryError
from sms.backends import locmem as locmem_backend
from sms.delivery import deliver, deliver_due, find_lost, recover
from sms.models import Message, MessageStatus
from sms.reports import DeliveryReport, record_delivery_reports
from sms.services import (
    SKIP_CANCELLED,
    SKIP_CHANGED,
    SKIP_OPTED_OUT,
    SKIP_STARTED,
    notify_booked,
    notify_cancelled,
    notify_rescheduled,
    send_login_code,
)
from tests.conftest import NOW, local
from tests.factories import UserFactory
from tests.sms import scripted_backend

pytestmark = pytest.mark.django_db

TUESDAY, WEDNESDAY, THURSDAY = (dt.date(2026, 12, day) for day in (8, 9, 10))
LOCMEM = "sms.backends.locmem.LocmemBackend"
SCRIPTED = "tests.sms.scripted_backend.ScriptedBackend"
SENT, QUEUED, SENDING = MessageStatus.SENT, MessageStatus.QUEUED, MessageStatus.SENDING
FAILED, SKIPPED = MessageStatus.FAILED, MessageStatus.SKIPPED


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after the point where it is raised runs."""


@pytest.fixture(autouse=True)
def _in_memory_backend(settings):
    settings.SMS_BACKEND = LOCMEM
    settings.SMS_OPTIONS = {}
    locmem_backend.outbox.clear()
    scripted_backend.script.clear()
    yield
    locmem_backend.outbox.clear()
    scripted_backend.script.clear()


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def provider(settings):
    """The scripted backend: append outcomes to ``provider`` (the script) before sending."""
    settings.SMS_BACKEND = SCRIPTED
    return scripted_backend.script


def book(resident, lawyer, office, topic, start, now=NOW):
    appointment = services.book_appointment(
        resident=resident, office=office, topic=topic, lawyer=lawyer, starts_at=start,
        mode=Mode.IN_PERSON, now=now,
    )  # fmt: skip
    notify_booked(appointment, now=now)  # a no-op if the service already wrote them
    return appointment


def login_code(resident, now=NOW):
    return send_login_code(phone=str(resident.phone), code="428571", language="zh-hans", now=now)


def row(key: str) -> Message:
    return Message.objects.get(idempotency_key=key)


def sent_keys() -> list[str]:
    return [sms.idempotency_key for sms in locmem_backend.outbox]


def ready_tasks(message: Message) -> list[dt.datetime]:
    """When the deliver tasks of ``message`` that wait in the queue may run."""
    return sorted(
        DBTaskResult.objects.filter(
            status=TaskResultStatus.READY,
            task_path="sms.tasks.deliver_message",
            args_kwargs__args__0=message.pk,
        ).values_list("run_after", flat=True)
    )


def lose_tasks(message: Message) -> None:
    """A worker took the message's tasks and was killed: they stay RUNNING for ever."""
    DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, args_kwargs__args__0=message.pk
    ).update(status=TaskResultStatus.RUNNING)


# Sent once.


def test_a_due_confirmation_is_sent_once(clock, resident, lawyer, office, topic):
    appointment = book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    confirmation = row(f"confirmation:{appointment.pk}:0")

    assert deliver(confirmation.pk) == SENT
    assert deliver(confirmation.pk) is None
    assert deliver_due() == 0  # the reminders are not due yet

    assert sent_keys() == [confirmation.idempotency_key]
    assert appointment.reference in locmem_backend.outbox[0].text
    confirmation.refresh_from_db()
    assert confirmation.status == SENT
    assert confirmation.attempts == 1
    assert confirmation.sent_at == NOW
    assert confirmation.backend == LOCMEM
    assert confirmation.provider_message_id.startswith("locmem-")
    assert confirmation.lease_expires_at is None


def test_deliver_due_sends_every_due_message_and_nothing_early(
    clock, resident, lawyer, office, topic
):
    first = book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    code = login_code(resident)

    assert deliver_due() == 2
    assert sorted(sent_keys()) == sorted([f"confirmation:{first.pk}:0", code.idempotency_key])

    clock.move_to(local(TUESDAY, 10))
    assert deliver_due() == 1
    assert sent_keys()[-1] == f"reminder-24h:{first.pk}:0"
    assert deliver_due() == 0


# Temporary and permanent failures.


def test_a_temporary_failure_is_retried_with_backoff_then_sent(clock, provider, resident):
    provider.append(TemporaryError("isv.BUSINESS_LIMIT_CONTROL", "too many for this number"))
    code = login_code(resident)

    assert deliver(code.pk) == QUEUED
    code.refresh_from_db()
    assert code.status == QUEUED
    assert code.attempts == 1
    assert code.error == "isv.BUSINESS_LIMIT_CONTROL: too many for this number"
    assert NOW + dt.timedelta(seconds=15) <= code.not_before <= NOW + dt.timedelta(seconds=30)
    assert code.not_before in ready_tasks(code)  # its next task is waiting for that time
    assert deliver(code.pk) is None  # not before then
    assert sent_keys() == []

    clock.move_to(code.not_before)
    assert deliver(code.pk) == SENT
    code.refresh_from_db()
    assert (code.status, code.attempts, code.error) == (SENT, 2, "")
    assert sent_keys() == [code.idempotency_key]


def test_retries_back_off_exponentially_and_give_up(clock, provider, settings, resident):
    settings.SMS_MAX_ATTEMPTS = 4
    provider.extend(TemporaryError("server_error", "HTTP 503") for _ in range(4))
    code = login_code(resident)

    delays = []
    for _ in range(3):
        assert deliver(code.pk) == QUEUED
        code.refresh_from_db()
        delays.append(code.not_before - timezone.now())
        clock.move_to(code.not_before)
    assert deliver(code.pk) == FAILED

    for tries, delay in enumerate(delays):
        full = dt.timedelta(seconds=30 * 2**tries)
        assert full / 2 <= delay <= full
    code.refresh_from_db()
    assert code.status == FAILED
    assert code.attempts == 4
    assert code.error == "gave up after 4 attempts: server_error: HTTP 503"
    assert deliver(code.pk) is None
    assert sent_keys() == []


def test_a_timed_out_send_stays_sending_until_its_retry_then_goes_again(clock, provider, resident):
    """The provider may have it: the row keeps saying so, and a report could settle it."""
    provider.append(TemporaryError("timeout", "no answer in 10 s"))
    code = login_code(resident)

    assert deliver(code.pk) == SENDING
    code.refresh_from_db()
    assert (code.status, code.attempts, code.error) == (SENDING, 1, "timeout: no answer in 10 s")
    assert NOW + dt.timedelta(seconds=15) <= code.lease_expires_at <= NOW + dt.timedelta(seconds=30)
    assert code.lease_expires_at in ready_tasks(code)
    assert deliver(code.pk) is None  # not before then
    assert find_lost(now=timezone.now()) == []

    clock.move_to(code.lease_expires_at + dt.timedelta(seconds=1))
    assert find_lost(now=timezone.now()) == []  # its task is ready
    assert deliver(code.pk) == SENT
    code.refresh_from_db()
    assert (code.status, code.attempts, code.error) == (SENT, 2, "")
    assert sent_keys() == [code.idempotency_key]


def test_timeouts_until_the_last_attempt_fail_the_message(clock, provider, settings, resident):
    settings.SMS_MAX_ATTEMPTS = 2
    provider.extend(TemporaryError("timeout", "no answer in 10 s") for _ in range(2))
    code = login_code(resident)

    assert deliver(code.pk) == SENDING
    code.refresh_from_db()
    clock.move_to(code.lease_expires_at + dt.timedelta(seconds=1))
    assert deliver(code.pk) == FAILED
    code.refresh_from_db()
    assert code.error == "gave up after 2 attempts: timeout: no answer in 10 s"


def test_our_id_at_the_provider_is_random_made_before_the_send_and_kept_for_retries(
    clock, provider, resident
):
    seen = []

    def in_flight():
        seen.append(Message.objects.values_list("out_id", "backend").get(pk=code.pk))
        return TemporaryError("timeout", "no answer in 10 s")

    provider.append(in_flight)
    code = login_code(resident)
    other = login_code(UserFactory())
    assert code.out_id == ""  # nothing to guess before the first claim

    deliver(code.pk)
    ((out_id, backend),) = seen
    assert len(out_id) == 32 and int(out_id, 16) >= 0
    assert out_id not in code.idempotency_key
    assert backend == SCRIPTED  # known before the request goes out
    assert locmem_backend.outbox == []
    code.refresh_from_db()
    clock.move_to(code.lease_expires_at + dt.timedelta(seconds=1))
    assert deliver(code.pk) == SENT
    assert deliver_due() == 1  # the other one, through the other claim

    assert [sms.out_id for sms in locmem_backend.outbox] == [out_id, row_out_id(other)]
    assert row_out_id(other) != out_id


def row_out_id(message: Message) -> str:
    return Message.objects.values_list("out_id", flat=True).get(pk=message.pk)


def test_backoff_is_capped_at_an_hour():
    for attempts in (8, 20, 60):
        assert dt.timedelta(minutes=30) <= delivery.retry_delay(attempts) <= dt.timedelta(hours=1)


def test_a_permanent_failure_stops_at_once_with_the_reason(clock, provider, resident):
    provider.append(PermanentError("isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile number"))
    code = login_code(resident)
    tasks_before = DBTaskResult.objects.count()

    assert deliver(code.pk) == FAILED

    code.refresh_from_db()
    assert code.status == FAILED
    assert code.attempts == 1
    assert code.error == "isv.MOBILE_NUMBER_ILLEGAL: invalid mobile number"
    assert DBTaskResult.objects.count() == tasks_before  # no retry is scheduled
    clock.move_to(NOW + dt.timedelta(hours=2))
    assert deliver(code.pk) is None
    assert sent_keys() == []


def test_an_unexpected_backend_error_is_retried_like_a_temporary_one(clock, provider, resident):
    provider.append(ValueError("provider answered garbage"))
    code = login_code(resident)

    assert deliver(code.pk) == QUEUED
    code.refresh_from_db()
    assert code.error == "ValueError: provider answered garbage"
    clock.move_to(code.not_before)
    assert deliver(code.pk) == SENT


# Quiet hours.


def test_a_confirmation_booked_at_night_goes_out_at_eight(clock, resident, lawyer, office, topic):
    night = local(NOW.date(), 22, 30)
    clock.move_to(night)
    appointment = book(resident, lawyer, office, topic, local(WEDNESDAY, 10), now=night)
    confirmation = row(f"confirmation:{appointment.pk}:0")

    assert confirmation.not_before == local(TUESDAY, 8)
    assert deliver(confirmation.pk) is None
    assert deliver_due() == 0
    clock.move_to(local(TUESDAY, 7, 59))
    assert deliver_due() == 0

    clock.move_to(local(TUESDAY, 8))
    assert deliver_due() == 1
    assert sent_keys() == [confirmation.idempotency_key]


def test_a_message_still_waiting_when_quiet_hours_begin_is_postponed_to_eight(
    clock, resident, lawyer, office, topic
):
    evening = local(NOW.date(), 20, 59)
    clock.move_to(evening)
    appointment = book(resident, lawyer, office, topic, local(WEDNESDAY, 10), now=evening)
    confirmation = row(f"confirmation:{appointment.pk}:0")
    clock.move_to(local(NOW.date(), 21, 5))  # the worker was busy, or down

    assert deliver(confirmation.pk) == QUEUED
    confirmation.refresh_from_db()
    assert confirmation.status == QUEUED
    assert confirmation.not_before == local(TUESDAY, 8)
    assert local(TUESDAY, 8) in ready_tasks(confirmation)
    assert sent_keys() == []

    clock.move_to(local(TUESDAY, 8))
    assert deliver(confirmation.pk) == SENT
    assert sent_keys() == [confirmation.idempotency_key]


def test_a_sign_in_code_goes_at_once_at_night(clock, resident):
    night = local(NOW.date(), 22, 30)
    clock.move_to(night)
    code = login_code(resident, now=night)

    assert deliver(code.pk) == SENT
    code.refresh_from_db()
    assert code.sent_at == night
    assert sent_keys() == [code.idempotency_key]


# Skipped, never sent.


def test_a_reminder_of_a_cancelled_appointment_is_skipped(clock, resident, lawyer, office, topic):
    appointment = book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    assert deliver_due() == 1  # the confirmation
    clock.move_to(NOW + dt.timedelta(hours=1))
    cancelled = services.cancel_appointment(appointment=appointment, by=resident)
    notify_cancelled(cancelled, now=timezone.now())

    clock.move_to(local(TUESDAY, 10))
    reminder = row(f"reminder-24h:{appointment.pk}:0")
    assert deliver(reminder.pk) == SKIPPED
    clock.move_to(local(WEDNESDAY, 8))
    deliver_due()

    assert sent_keys() == [f"confirmation:{appointment.pk}:0", f"cancellation:{appointment.pk}:1"]
    reminders = Message.objects.filter(appointment=appointment, kind="reminder")
    assert {(m.status, m.error) for m in reminders} == {(SKIPPED, SKIP_CANCELLED)}


def test_reminders_of_the_old_time_are_skipped_and_the_new_times_are_sent(
    clock, resident, lawyer, office, topic
):
    appointment = book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    deliver_due()
    clock.move_to(NOW + dt.timedelta(hours=1))
    moved = services.reschedule_appointment(
        appointment=appointment, starts_at=local(THURSDAY, 10), mode=Mode.IN_PERSON, by=resident
    )
    notify_rescheduled(moved, now=timezone.now())
    deliver_due()

    for moment in (local(TUESDAY, 10), local(WEDNESDAY, 8), local(WEDNESDAY, 10)):
        clock.move_to(moment)
        deliver_due()
    clock.move_to(local(THURSDAY, 8))
    deliver_due()

    pk = appointment.pk
    assert sent_keys() == [
        f"confirmation:{pk}:0",
        f"reschedule:{pk}:1",
        f"reminder-24h:{pk}:1",
        f"reminder-2h:{pk}:1",
    ]
    assert locmem_backend.outbox[2].params["day"] == "10"  # Thursday 10 December
    for key in (f"reminder-24h:{pk}:0", f"reminder-2h:{pk}:0"):
        old = row(key)
        assert (old.status, old.error, old.sent_at) == (SKIPPED, SKIP_CHANGED, None)
    assert not Message.objects.filter(status=QUEUED).exists()


def test_a_reminder_that_comes_due_after_the_start_is_skipped(
    clock, resident, lawyer, office, topic
):
    appointment = book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    clock.move_to(local(WEDNESDAY, 10, 5))  # the worker was down all along

    reminder = row(f"reminder-2h:{appointment.pk}:0")
    assert deliver(reminder.pk) == SKIPPED
    reminder.refresh_from_db()
    assert reminder.error == SKIP_STARTED
    assert sent_keys() == []


def test_opting_out_skips_reminders_but_not_confirmations(clock, resident, lawyer, office, topic):
    first = book(resident, lawyer, office, topic, local(WEDNESDAY, 10))
    resident.sms_reminders = False
    resident.save(update_fields=["sms_reminders"])

    assert deliver(row(f"confirmation:{first.pk}:0").pk) == SENT
    clock.move_to(local(TUESDAY, 10))
    reminder = row(f"reminder-24h:{first.pk}:0")
    assert deliver(reminder.pk) == SKIPPED
    reminder.refresh_from_db()
    assert reminder.error == SKIP_OPTED_OUT

    second = book(resident, lawyer, office, topic, local(THURSDAY, 11), now=timezone.now())
    assert deliver_due() == 1
    assert sent_keys() == [f"confirmation:{first.pk}:0", f"confirmation:{second.pk}:0"]
    code = login_code(resident, now=timezone.now())
    assert deliver(code.pk) == SENT


# Leases.


def test_a_row_abandoned_mid_send_is_picked_up_once_its_lease_expires(clock, provider, resident):
    provider.append(WorkerKilled())
    code = login_code(resident)
    with pytest.raises(WorkerKilled):
        deliver(code.pk)
    lose_tasks(code)
    code.refresh_from_db()
    assert (code.status, code.attempts) == (SENDING, 1)
    assert code.lease_expires_at == NOW + delivery.lease()

    clock.move_to(code.lease_expires_at + dt.timedelta(seconds=1))
    assert find_lost(now=timezone.now()) == [code.pk]
    assert deliver_due() == 1

    code.refresh_from_db()
    assert (code.status, code.attempts, code.lease_expires_at) == (SENT, 2, None)
    assert sent_keys() == [code.idempotency_key]


def test_a_row_another_worker_is_sending_is_left_alone(clock, provider, resident):
    provider.append(WorkerKilled())
    code = login_code(resident)
    with pytest.raises(WorkerKilled):
        deliver(code.pk)  # as far as anyone can tell, that worker is still sending
    lose_tasks(code)

    clock.move_to(NOW + delivery.lease() - dt.timedelta(seconds=1))
    assert deliver(code.pk) is None
    assert deliver_due() == 0
    assert find_lost(now=timezone.now()) == []

    code.refresh_from_db()
    assert (code.status, code.attempts) == (SENDING, 1)
    assert sent_keys() == []


def test_a_message_whose_workers_keep_dying_is_failed_after_the_last_attempt(
    clock, provider, settings, resident
):
    settings.SMS_MAX_ATTEMPTS = 2
    provider.extend([WorkerKilled(), WorkerKilled()])
    code = login_code(resident)
    for _ in range(2):
        with pytest.raises(WorkerKilled):
            deliver(code.pk)
        clock.shift(delivery.lease() + dt.timedelta(seconds=1))

    assert deliver(code.pk) == FAILED
    code.refresh_from_db()
    assert code.error == "gave up after 2 attempts: no attempt reported back"
    assert sent_keys() == []


def test_a_worker_that_outlived_its_lease_cannot_overwrite_the_next_ones_outcome(
    clock, provider, resident
):
    code = login_code(resident)

    def stall_past_the_lease():
        # Meanwhile the lease expires and another worker sends the message.
        clock.move_to(NOW + delivery.lease() + dt.timedelta(seconds=1))
        assert deliver(code.pk) == SENT
        return PermanentError("late", "this answer arrives after the lease")

    provider.append(stall_past_the_lease)
    assert deliver(code.pk) is None

    code.refresh_from_db()
    assert (code.status, code.attempts, code.error) == (SENT, 2, "")
    assert sent_keys() == [code.idempotency_key]


def test_a_delivery_report_that_settles_the_row_mid_send_stands(clock, provider, resident):
    code = login_code(resident)

    def report_arrives_first():
        report = DeliveryReport(provider_message_id="", delivered=True, out_id=row_out_id(code))
        assert record_delivery_reports(reports=[report], backend=SCRIPTED) == 1

    provider.append(report_arrives_first)
    assert deliver(code.pk) is None

    code.refresh_from_db()
    assert code.status == MessageStatus.DELIVERED
    assert sent_keys() == [code.idempotency_key]


# Recovery of work that Django tasks lose.


def test_recover_enqueues_tasks_only_for_messages_whose_work_was_lost(
    clock, provider, resident, lawyer, office, topic
):
    lost_task = login_code(resident)
    lose_tasks(lost_task)
    # Each for its own number: one number gets one code a minute.
    waiting = login_code(UserFactory())  # its task is ready: the worker will get to it
    provider.extend([WorkerKilled(), WorkerKilled()])
    abandoned = login_code(UserFactory())
    with pytest.raises(WorkerKilled):
        deliver(abandoned.pk)
    lose_tasks(abandoned)
    clock.move_to(NOW + delivery.lease() - dt.timedelta(seconds=30))
    in_flight = login_code(UserFactory(), now=timezone.now())
    with pytest.raises(WorkerKilled):
        deliver(in_flight.pk)
    lose_tasks(in_flight)
    appointment = book(resident, lawyer, office, topic, local(WEDNESDAY, 10))  # future reminders

    clock.move_to(NOW + delivery.lease() + dt.timedelta(seconds=1))
    now = timezone.now()
    assert find_lost(now=now) == [abandoned.pk, lost_task.pk]
    assert recover() == 2

    assert ready_tasks(lost_task) == [now]
    assert ready_tasks(abandoned) == [now]
    assert ready_tasks(in_flight) == []
    assert ready_tasks(waiting) == [NOW]
    assert ready_tasks(row(f"reminder-24h:{appointment.pk}:0")) == [local(TUESDAY, 10)]
    assert recover() == 0  # their tasks are ready now


@pytest.mark.django_db(transaction=True)
def test_the_worker_recovers_lost_messages_when_it_starts(clock, resident):
    code = login_code(resident)
    lose_tasks(code)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("sms_worker", batch=True, verbosity=0)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)

    code.refresh_from_db()
    assert code.status == SENT
    assert sent_keys() == [code.idempotency_key]


def test_old_finished_task_rows_are_pruned_and_others_kept(db):
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from sms.delivery import prune_task_results
    from sms.tasks import deliver_message

    now = timezone.now()
    ages = {
        (TaskResultStatus.SUCCESSFUL, 8): False,
        (TaskResultStatus.SUCCESSFUL, 6): True,
        (TaskResultStatus.FAILED, 8): True,
        (TaskResultStatus.FAILED, 31): False,
        (TaskResultStatus.RUNNING, 40): True,  # left by a killed worker: kept as a record
    }
    rows = {}
    for (status, days), _kept in ages.items():
        result = deliver_message.enqueue(0)
        DBTaskResult.objects.filter(id=result.id).update(
            status=status, finished_at=now - dt.timedelta(days=days)
        )
        rows[status, days] = result.id
    assert prune_task_results(now=now) == 2
    for key, kept in ages.items():
        assert DBTaskResult.objects.filter(id=rows[key]).exists() is kept, key
