"""``manage.py sms_worker``: the background worker, with the recovery that Django tasks lack.

It runs ``sms.delivery.recover()`` once at start, then again every ``--recover-every``
seconds in a daemon thread (which also runs the jobs other apps hand it, sms/hooks.py:
the offices' daily summaries when due, booking/services/summary.py), while the main
thread runs django-tasks-db's ``db_worker`` loop on the "sms" and "default" queues.
Recovery lives exactly as long as a worker process does: every running worker sweeps
(several workers sweeping at once may enqueue a spare task for the same row, which does
nothing), and a worker that starts after a crash sweeps first. The thread uses its own
database connection and closes it after each sweep.

Stop it with SIGINT or SIGTERM: the current task finishes first (a second signal cuts
it short; its row is then recovered after its lease). ``--batch`` processes what is
ready and exits (tests, cron).
"""

import logging
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections
from django.utils import timezone

from sms.delivery import prune_task_results, recover
from sms.hooks import WORKER_JOBS

logger = logging.getLogger("sms.worker")

# About once an hour: old finished task rows are deleted (sms.delivery.prune_task_results),
# then the other apps' pruning jobs run (sms/hooks.py: accounts started for a number whose
# code was never entered, personal details past their office's retention period).
PRUNE_EVERY_SECONDS = 3600


def _run_jobs(every: str) -> None:
    for job in WORKER_JOBS:
        if job.every == every:
            for line in job.run(timezone.now()) or ():
                logger.info("%s: %s", job.name, line)


def recover_periodically(every: float, stop: threading.Event) -> None:
    last_prune = 0.0
    while not stop.wait(every):
        try:
            recover()
            # The office heads' daily figures: each due one once, by whichever worker.
            _run_jobs("sweep")
            if time.monotonic() - last_prune > PRUNE_EVERY_SECONDS:
                prune_task_results()
                _run_jobs("prune")
                last_prune = time.monotonic()
        except Exception:
            logger.exception("Recovery sweep failed; next one in %s s.", every)
        finally:
            connections.close_all()  # this thread's connections only


class Command(BaseCommand):
    help = "Deliver text messages and run other background tasks; recover lost deliveries."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue-name",
            default="sms,default",
            help="Comma-separated queues to process (default: %(default)s).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait when no task is ready (default: %(default)s).",
        )
        parser.add_argument(
            "--recover-every",
            type=float,
            default=None,
            help="Seconds between recovery sweeps (default: settings.SMS_RECOVER_SECONDS).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Recover, process every ready task, then exit.",
        )

    def handle(self, *, queue_name, interval, recover_every, batch, verbosity, **options):
        if recover_every is None:
            recover_every = settings.SMS_RECOVER_SECONDS
        recovered = recover()
        if verbosity:
            self.stdout.write(f"sms_worker: {recovered} lost message(s) recovered at start.")
        stop = threading.Event()
        if not batch:
            threading.Thread(
                target=recover_periodically,
                args=(recover_every, stop),
                name="sms-recovery",
                daemon=True,
            ).start()
        try:
            call_command(
                "db_worker",
                queue_name=queue_name,
                interval=interval,
                batch=batch,
                reload=False,
                startup_delay=False,
                verbosity=verbosity,
            )
        finally:
            stop.set()
