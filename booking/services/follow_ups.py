"""The desk's side of follow-ups that lawyers ask for: invite the resident, record the end.

An invitation is a text message with the site's address and a code that leads to the
booking of the same area of law at the same office (``sms.services.notify_follow_up``,
booking/follow_up_codes.py; providers refuse links in variables), queued in the
transaction that marks the follow-up invited. A resident without a mobile number cannot
be texted, and an office whose name or phone cannot go into a text is told so: the desk
calls or writes and records the outcome instead.

Chapter: docs/lawyer.md#the-lawyers-agenda.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.text import clean_text
from booking.errors import FollowUpNotOpen, NoMobileNumber, TextDoesNotFit
from booking.models import FollowUp, FollowUpStatus
from booking.services.appointments import cleaned
from sms.models import MessageStatus
from sms.registry import DOES_NOT_FIT
from sms.services import notify_follow_up


def _locked(follow_up: FollowUp) -> FollowUp:
    return (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("appointment__resident", "appointment__office")
        .get(pk=follow_up.pk)
    )


def invite_follow_up(*, follow_up: FollowUp, by: User, now: datetime | None = None) -> FollowUp:
    """Text the resident the invitation to book by the date the lawyer set."""
    now = now or timezone.now()
    with transaction.atomic():
        follow_up = _locked(follow_up)
        if follow_up.status not in (FollowUpStatus.OPEN, FollowUpStatus.INVITED):
            raise FollowUpNotOpen()
        if not follow_up.appointment.resident.phone:
            raise NoMobileNumber()
        message = notify_follow_up(
            appointment=follow_up.appointment, by_date=follow_up.invite_by, now=now
        )
        # None only for a resident without a phone, refused above.
        if (
            message is not None
            and message.status == MessageStatus.FAILED
            and message.error_code == DOES_NOT_FIT
        ):
            raise TextDoesNotFit()  # rolls the failed row back with the rest
        follow_up.status = FollowUpStatus.INVITED
        follow_up.invited_at = now
        follow_up.invited_by = by
        follow_up.save(update_fields=["status", "invited_at", "invited_by", "updated_at"])
    return follow_up


def close_follow_up(*, follow_up: FollowUp, booked: bool, outcome: str = "") -> FollowUp:
    """Record how it ended: booked again, or closed (declined, unreachable, not needed)."""
    with transaction.atomic():
        follow_up = _locked(follow_up)
        if follow_up.status not in (FollowUpStatus.OPEN, FollowUpStatus.INVITED):
            raise FollowUpNotOpen()
        follow_up.status = FollowUpStatus.BOOKED if booked else FollowUpStatus.CLOSED
        follow_up.outcome = cleaned(clean_text, outcome, multiline=False)
        follow_up.full_clean()
        follow_up.save(update_fields=["status", "outcome", "updated_at"])
    return follow_up
