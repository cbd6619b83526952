"""What booking hands sms when it starts (sms/hooks.py): sms imports no other app."""

from booking.follow_up_codes import follow_up_code
from booking.services.retention import run_retention
from booking.services.summary import send_due_summaries
from sms import hooks


def _send_due_summaries(now) -> None:
    send_due_summaries(now=now)


def _run_retention(now) -> list[str]:
    return run_retention(now=now).lines()


def connect() -> None:
    hooks.provide(follow_up_code=follow_up_code)
    # The office heads' daily figures: each due one once, by whichever worker.
    hooks.add_worker_job(hooks.WorkerJob(name="Daily summaries", run=_send_due_summaries))
    hooks.add_worker_job(hooks.WorkerJob(name="Retention", run=_run_retention, every="prune"))
