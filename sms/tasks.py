"""Background tasks of the sms app, run by ``manage.py sms_worker``.

A task carries only the message's id: the outbox row is the truth, and delivering a row
that is not due, already done or held by another worker does nothing. That is what makes
the spare tasks of recovery (sms.delivery.recover) harmless.

The outbox's writers (sms/services.py, sms/delivery.py) enqueue the task from here, and
the task runs sms.delivery's ``deliver``, handed over by ``SmsConfig.ready``
(``run_deliveries_with``): so the task, the delivery and the services do not import
each other in a circle.
"""

from collections.abc import Callable

from django_tasks import task

_deliver: Callable[[int], str | None] | None = None


def run_deliveries_with(deliver: Callable[[int], str | None]) -> None:
    """What ``deliver_message`` runs: ``sms.delivery.deliver``, set when the app is ready."""
    global _deliver
    _deliver = deliver


@task(queue_name="sms")
def deliver_message(message_id: int) -> str | None:
    """The row's new status (kept as the task's result), or None if there was nothing to do."""
    if _deliver is None:
        raise RuntimeError("sms.tasks.deliver_message runs before the sms app is ready")
    return _deliver(message_id)
