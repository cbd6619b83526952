"""Writes to accounts: residents who sign up by phone, and their mobile numbers.

Called by the allauth adapter (accounts/adapter.py); numbers arrive already in E.164.
"""

from django.db import transaction

from accounts.models import Role, User

LANGUAGES = {code for code, _name in User._meta.get_field("preferred_language").choices}


@transaction.atomic
def register_resident(*, phone: str, language: str) -> User:
    """A new resident with an unverified number and no password: codes by SMS only."""
    return User.objects.create_user(
        phone=phone,
        phone_verified=False,
        role=Role.RESIDENT,
        preferred_language=language if language in LANGUAGES else "zh-hans",
    )


@transaction.atomic
def set_phone(*, user: User, phone: str, verified: bool) -> None:
    user.phone = phone
    user.phone_verified = verified
    user.full_clean(exclude=["password"])
    user.save(update_fields=["phone", "phone_verified"])


@transaction.atomic
def mark_phone_verified(*, user: User, phone: str) -> None:
    """The holder of ``phone`` entered the code sent to it, so the number is theirs.

    Only while it is still the user's number: a change in between keeps it unverified.
    """
    updated = User.objects.filter(pk=user.pk, phone=phone).update(phone_verified=True)
    if updated:
        user.phone_verified = True
