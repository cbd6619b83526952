"""Changes made in the admin that alter free time bump the schedule version; residents
shown in accounts' admin go to the access log (accounts/signals.py).

The booking services bump it themselves; offices (with the areas of law each offers),
lawyers, their weekly hours and their time off are edited by office admins through the
admin's forms, areas of law by superusers, so their saves and deletions are caught here,
in the same transaction as the change.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.signals import residents_seen
from booking.access_log import Seen, log_access
from booking.models import (
    AvailabilityRule,
    DutyDay,
    DutyException,
    Lawyer,
    Office,
    TimeOff,
    Topic,
)
from booking.models.version import bump_schedule_version


def _bump(sender, **kwargs) -> None:
    if kwargs.get("action", "post_").startswith("post_"):
        bump_schedule_version()


def _log_residents_seen(sender, *, request, users, place, details, **kwargs) -> None:
    log_access(request, [Seen(None, user.pk, None) for user in users], place=place, details=details)


def connect() -> None:
    # Residents shown in accounts' admin go to the access log (accounts/signals.py).
    residents_seen.connect(_log_residents_seen, dispatch_uid="booking-residents-seen")
    # The duty roster changes no free time, but the home page (cached) shows it.
    for model in (Office, Topic, Lawyer, AvailabilityRule, TimeOff, DutyDay, DutyException):
        post_save.connect(_bump, sender=model, dispatch_uid=f"schedule-{model.__name__}-save")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"schedule-{model.__name__}-delete")
    # An office's areas of law offered (Office.topics) decide its pages as a lawyer's do.
    for through in (Lawyer.offices.through, Lawyer.topics.through, Office.topics.through):
        m2m_changed.connect(_bump, sender=through, dispatch_uid=f"schedule-{through.__name__}")
