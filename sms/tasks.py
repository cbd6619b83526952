"""Background tasks of the sms app (django-tasks, run by `manage.py db_worker`)."""

from django_tasks import task


@task(queue_name="sms")
def deliver_message(message_id: int) -> None:
    from sms.delivery import deliver

    deliver(message_id)
