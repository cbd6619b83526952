"""Background tasks of the sms app, run by ``manage.py sms_worker``.

A task carries only the message's id: the outbox row is the truth, and delivering a row
that is not due, already done or held by another worker does nothing. That is what makes
the spare tasks of recovery (sms.delivery.recover) harmless.
"""

from django_tasks import task


@task(queue_name="sms")
def deliver_message(message_id: int) -> str | None:
    """The row's new status (kept as the task's result), or None if there was nothing to do."""
    from sms.delivery import deliver

    return deliver(message_id)
