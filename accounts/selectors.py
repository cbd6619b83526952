"""Reads about users that more than one line of code would make.

Staff belong to offices in two ways: desk staff and office admins through
``User.office``, lawyers through ``Lawyer.offices`` (a lawyer may serve several).
"""

from allauth.mfa.models import Authenticator
from django.db.models import Exists, Model, Q

from accounts.models import User


def get_office_requiring_totp(*, user: User) -> Model | None:
    """An office of ``user`` that requires an authenticator app they have not set up.

    ``None`` when ``user`` has an active TOTP authenticator (allauth.mfa keeps one row
    per active authenticator and deletes it on deactivation) or belongs to no office
    that requires one. One query; of several such offices, the first by name.
    """
    belongs = Q(lawyers__user_id=user.pk)
    if user.office_id is not None:
        belongs |= Q(pk=user.office_id)
    has_totp = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP)
    # booking.Office, reached through the user's own foreign key: booking imports
    # accounts, not the other way.
    offices = User._meta.get_field("office").related_model.objects
    return (
        offices.filter(belongs, ~Exists(has_totp), require_staff_totp=True)
        .only("pk", "name")
        .order_by("name", "pk")
        .first()
    )
