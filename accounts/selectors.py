"""Reads about users that more than one line of code would make.

Staff belong to offices in two ways: desk staff and office admins through
``User.office``, lawyers through ``Lawyer.offices`` (a lawyer may serve several).
"""

from allauth.mfa.models import Authenticator
from django.db.models import Exists, Q

from accounts.models import User
from booking.models import Office


def get_office_requiring_totp(*, user: User) -> Office | None:
    """An office of ``user`` that requires an authenticator app they have not set up.

    ``None`` when ``user`` has an active TOTP authenticator (allauth.mfa keeps one row
    per active authenticator and deletes it on deactivation) or belongs to no office
    that requires one. One query; of several such offices, the first by name.
    """
    belongs = Q(lawyers__user_id=user.pk)
    if user.office_id is not None:
        belongs |= Q(pk=user.office_id)
    has_totp = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP)
    return (
        Office.objects.filter(belongs, ~Exists(has_totp), require_staff_totp=True)
        .only("pk", "name")
        .order_by("name", "pk")
        .first()
    )


def find_residents(*, phone: str = "", name: str = "", limit: int = 20) -> list[User]:
    """Residents the desk may mean: the one with ``phone`` (E.164), or those whose name
    contains ``name`` (with their village, to tell namesakes apart), active ones only,
    pending sign-ups left out.
    """
    residents = User.objects.filter(role="resident", is_active=True, pending_until__isnull=True)
    if phone:
        residents = residents.filter(phone=phone)
    elif name.strip():
        residents = residents.filter(display_name__icontains=name.strip())
    else:
        return []
    return list(
        residents.only("pk", "display_name", "village", "phone").order_by("display_name", "pk")[
            :limit
        ]
    )
