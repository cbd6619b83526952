"""What sms is told by the apps that use it, so that it imports none of them.

booking and accounts import sms: their services queue texts through it. sms imports
neither, so the arrow points one way (tests/test_layers.py). An appointment reaches sms
as the instance booking passes in, or through ``Message.appointment`` (a foreign key by
name), and sms reads it as the ``Appointment`` protocol below. The rest the other apps
hand over in their ``AppConfig.ready``:

- booking: the code of a follow-up invitation (booking/follow_up_codes.py), and the
  worker's periodic jobs (the offices' daily summaries, retention);
- accounts: the security log (refused delivery reports), whether a user is an office
  admin (who sees whole numbers in the outbox admin), and the expiry of pending
  residents (a periodic job).
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

# booking.models.Status.BOOKED and Mode.PHONE (tests/test_layers.py checks they agree).
BOOKED = "booked"
PHONE = "phone"


class Appointment(Protocol):
    """What the texts read of an appointment (booking.models.Appointment is one)."""

    pk: Any
    reference: str
    starts_at: dt.datetime
    mode: str
    status: str
    sequence: int
    safe_contact: bool
    topic_id: Any
    office: Any  # its tz, quiet hours, name, sms_name, sms_place, phone
    resident: Any  # its phone, preferred_language, sms_reminders

    def get_mode_display(self) -> str: ...


@dataclass(frozen=True)
class WorkerJob:
    """Run by ``manage.py sms_worker`` with ``now``: at every sweep, or with the daily
    pruning (``every="prune"``). The lines it returns are logged, after ``name``."""

    name: str
    run: Callable[[dt.datetime], Iterable[str] | None]
    every: str = "sweep"


@dataclass
class _Provided:
    follow_up_code: Callable[..., str] | None = None
    record_security_event: Callable[..., None] | None = None
    is_office_admin: Callable[[Any], bool] | None = None


PROVIDED = _Provided()
WORKER_JOBS: list[WorkerJob] = []


def provide(**given: Callable) -> None:
    """Called from another app's ``AppConfig.ready`` with what it provides."""
    for name, value in given.items():
        if not hasattr(PROVIDED, name):
            raise TypeError(name)
        setattr(PROVIDED, name, value)


def add_worker_job(job: WorkerJob) -> None:
    if job.name not in {known.name for known in WORKER_JOBS}:
        WORKER_JOBS.append(job)


def provided(name: str) -> Callable:
    value = getattr(PROVIDED, name)
    if value is None:
        raise RuntimeError(f"sms needs {name!r}, which no app has provided")
    return value
