"""Where an office admin's reach ends: people who also work for another office.

An office admin (not a superuser) manages the staff and lawyers of their own office in
the admin. Someone who also works elsewhere — a lawyer shared with another office,
staff of another office, a superuser — is not theirs alone: their account (password,
e-mail address, mobile number, authenticator app) is changed only by a superuser or by
the person, and their shared records (a lawyer's areas of law, time off, whether they
take bookings) likewise. What the office admin tried is kept in the security log.
"""

from django.db.models import Q

from accounts.models import SecurityEvent, SecurityEventKind, User
from accounts.security import CREDENTIALS_REFUSED_DETAILS, record_event


def works_for_another_office(*, user_id: int, office_id: int | None) -> bool:
    """Whether the user is a superuser, staff of an office other than ``office_id``, or a
    lawyer of one. One query."""
    # booking.Office, through the user's own foreign key (booking imports accounts).
    offices = User._meta.get_field("office").related_model.objects
    elsewhere = offices.exclude(pk=office_id).values("pk")
    return (
        User.objects.filter(pk=user_id)
        .filter(Q(is_superuser=True) | Q(office__in=elsewhere) | Q(lawyer__offices__in=elsewhere))
        .exists()
    )


def record_credentials_refused(*, request, target: User, what: str) -> SecurityEvent:
    """A change of ``target``'s account that the office admin of ``request`` may not make,
    in the security log: references (the account, the office admin's id and office), no
    names."""
    actor = request.user
    return record_event(
        kind=SecurityEventKind.CREDENTIALS_REFUSED,
        request=request,
        user=target,
        identifier=target.email or "",
        details=CREDENTIALS_REFUSED_DETAILS.format(
            what=what, actor=actor.pk, office=actor.office_id
        ),
    )
