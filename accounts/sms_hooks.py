"""What accounts hands sms when it starts (sms/hooks.py): sms imports no other app."""

from accounts.models import Role, SecurityEvent
from accounts.services import delete_expired_pending_residents
from sms import hooks


def write_security_event(**fields) -> None:
    """One row of the security log, as sms gives it (its identifier already masked)."""
    event = SecurityEvent(**fields)
    event.full_clean()
    event.save()


def _delete_expired_pending_residents(now) -> None:
    delete_expired_pending_residents(now=now)


def connect() -> None:
    hooks.provide(
        record_security_event=write_security_event,
        is_office_admin=lambda user: user.role == Role.OFFICE_ADMIN,
    )
    hooks.add_worker_job(
        hooks.WorkerJob(
            name="Pending residents",
            run=_delete_expired_pending_residents,
            every="prune",
        )
    )
