"""Reads about users that more than one line of code would make.

Staff belong to offices in two ways: desk staff and office admins through
``User.office``, lawyers through ``Lawyer.offices`` (a lawyer may serve several).
"""

from urllib.parse import urlsplit

from allauth.mfa.models import Authenticator
from django.db.models import Exists, Model, Q
from django.urls import Resolver404, resolve

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


def list_offices_to_call(*, next_url: str) -> list[Model]:
    """The offices whose phone a resident who cannot sign in should call.

    The office of the booking in progress when ``next_url`` names one (the booking
    pages' ``office`` in the path), else every office, by name. One query (two when
    ``next_url`` names an office that is not there).
    """
    offices = User._meta.get_field("office").related_model.objects.only("name", "phone")
    slug = _office_in(next_url)
    if slug:
        named = list(offices.filter(slug=slug))
        if named:
            return named
    return list(offices.order_by("name", "pk"))


def _office_in(url: str) -> str:
    if not url:
        return ""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return ""
    slug = match.kwargs.get("office")
    return slug if isinstance(slug, str) else ""
