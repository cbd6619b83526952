"""Writes to accounts: residents who sign up or in by phone, their mobile numbers and names.

Called by the allauth adapter (accounts/adapter.py), numbers arriving already in E.164,
and by the booking pages (booking/views/resident/book.py) for the name a resident gives. Sign-in
codes refused by their limits (sms/code_limits.py) go to the security log from here.

A resident account made on the site exists before its number is confirmed, because
allauth's code flows send the code to a user and sign that user in. Until the code is
entered the account is pending (``User.pending_until``); pending accounts whose time has
passed are deleted whenever a sign-in code is requested or a resident signs up.

Known limits: deletion runs only on those occasions, so the last pending accounts wait
for the next one; a pending account that got an appointment meanwhile (the desk) is
kept.
"""

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from accounts import security
from accounts.models import Role, SecurityEvent, SecurityEventKind, User
from accounts.text import clean_name
from sms import code_limits

logger = logging.getLogger(__name__)

LANGUAGES = {code for code, _name in User._meta.get_field("preferred_language").choices or ()}
# Longer than any pending sign-in or sign-up lasts in allauth (ACCOUNT_LOGIN_TIMEOUT,
# 15 minutes; codes 10), so that no code still valid loses its account.
PENDING_FOR = dt.timedelta(hours=1)


@transaction.atomic
def register_resident(*, phone: str, language: str, now: dt.datetime | None = None) -> User:
    """A new resident with an unverified number and no password: codes by SMS only.

    Pending until the number is confirmed.
    """
    now = now or timezone.now()
    delete_expired_pending_residents(now=now)
    return User.objects.create_user(
        phone=phone,
        phone_verified=False,
        role=Role.RESIDENT,
        preferred_language=language if language in LANGUAGES else "zh-hans",
        pending_until=now + PENDING_FOR,
    )


@transaction.atomic
def get_or_register_resident(*, phone: str, language: str, now: dt.datetime | None = None) -> User:
    """Whom a sign-in code for ``phone`` goes to: the number's account, whatever its
    role, or else a new pending resident. A pending account gets its time again.
    """
    now = now or timezone.now()
    delete_expired_pending_residents(now=now)
    user = User.objects.filter(phone=phone).first()
    if user is None:
        try:
            with transaction.atomic():
                return register_resident(phone=phone, language=language, now=now)
        except (IntegrityError, ValidationError):
            # Another request registered the number a moment ago.
            user = User.objects.filter(phone=phone).first()
            if user is None:
                raise
    if user.pending_until is not None:
        user.pending_until = now + PENDING_FOR
        user.save(update_fields=["pending_until"])
    return user


@transaction.atomic
def delete_expired_pending_residents(*, now: dt.datetime) -> int:
    """Delete the residents whose number was never confirmed in time; how many."""
    expired = User.objects.filter(
        pending_until__lt=now,
        phone_verified=False,
        last_login__isnull=True,
        role=Role.RESIDENT,
    )
    deleted = 0
    for user in expired:
        try:
            with transaction.atomic():
                user.delete()
        except (ProtectedError, RestrictedError):
            # Something refers to the account now (an appointment): it is in use.
            User.objects.filter(pk=user.pk).update(pending_until=None)
        else:
            deleted += 1
    return deleted


@transaction.atomic
def set_phone(*, user: User, phone: str, verified: bool) -> None:
    user.phone = phone
    user.phone_verified = verified
    fields = ["phone", "phone_verified"]
    if verified and user.pending_until is not None:
        user.pending_until = None
        fields.append("pending_until")
    user.full_clean(exclude=["password"])
    user.save(update_fields=fields)


@transaction.atomic
def mark_phone_verified(*, user: User, phone: str) -> None:
    """The holder of ``phone`` entered the code sent to it, so the number is theirs and
    the account no longer pending.

    Only while it is still the user's number: a change in between keeps it unverified.
    """
    updated = User.objects.filter(pk=user.pk, phone=phone).update(
        phone_verified=True, pending_until=None
    )
    if updated:
        user.phone_verified, user.pending_until = True, None


@transaction.atomic
def set_display_name(*, user: User, name: str) -> None:
    """The name a person gives (a resident on the booking form): lawyers and the desk
    see it. Nothing is written when it has not changed. Cleaned as accounts/text.py
    says (``TextRefused`` for hidden characters that turn text around).
    """
    name = clean_name(name)
    if name == user.display_name:
        return
    user.display_name = name
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name"])


class NotAResidentNumber(Exception):
    """The number belongs to a staff account: the desk cannot book for it."""


@transaction.atomic
def register_resident_at_desk(
    *, phone: str = "", name: str = "", village: str = "", language: str = "zh-hans"
) -> User:
    """The resident the desk books for, found or made.

    With a mobile number (E.164): that number's resident, made if there is none; a
    pending account is no longer pending (the desk vouches for it), and a name or village
    is filled in where the account has none. The number stays unverified until its holder
    signs in with a code. Without a number: always a new resident with ``name`` and
    ``village`` (the desk chooses an existing one itself, through its exact find in
    booking/desk_residents.py). Both are cleaned as accounts/text.py says (``TextRefused``).
    """
    name, village = clean_name(name), clean_name(village)
    if not phone:
        if not name:
            raise ValueError("a resident without a phone needs a name")
        return User.objects.create_user(
            role=Role.RESIDENT,
            display_name=name,
            village=village,
            preferred_language=language if language in LANGUAGES else "zh-hans",
        )
    user = User.objects.select_for_update().filter(phone=phone).first()
    if user is None:
        try:
            with transaction.atomic():
                return User.objects.create_user(
                    phone=phone,
                    role=Role.RESIDENT,
                    display_name=name,
                    village=village,
                    preferred_language=language if language in LANGUAGES else "zh-hans",
                )
        except (IntegrityError, ValidationError):
            # Someone registered the number a moment ago (a code from the site).
            user = User.objects.select_for_update().filter(phone=phone).first()
            if user is None:
                raise
    if user.role != Role.RESIDENT:
        raise NotAResidentNumber(phone)
    fields = []
    if user.pending_until is not None:
        user.pending_until = None
        fields.append("pending_until")
    if name and not user.display_name:
        user.display_name = name
        fields.append("display_name")
    if village and not user.village:
        user.village = village
        fields.append("village")
    if fields:
        user.save(update_fields=fields)
    return user


# Refused sign-in codes the security log keeps: the ones that keep a number from its
# codes, or a network from asking; a code asked for again within the minute is not news.
LOGGED_CODE_REFUSALS = {
    code_limits.NUMBER,
    code_limits.NUMBER_DAY,
    code_limits.NUMBER_FROM_NETWORK,
    code_limits.NUMBER_FOR_NEW_BROWSERS,
    code_limits.NETWORK,
}
CODE_EVENTS_EVERY = dt.timedelta(hours=1)


@transaction.atomic
def record_refused_code(
    *, refusal: code_limits.Refusal, phone: str, ip: str | None, now: dt.datetime | None = None
) -> SecurityEvent | None:
    """Keep a refused sign-in code in the security log, at most once an hour for each
    limit and number (or network); the ceiling of all codes is the operator's alert,
    at most once an hour in all (a log line, and a notice on the admin's index page).
    """
    now = now or timezone.now()
    if refusal.limit == code_limits.CEILING:
        if not cache.add("security:code-ceiling", 1, int(CODE_EVENTS_EVERY.total_seconds())):
            return None
        if SecurityEvent.objects.filter(
            kind=SecurityEventKind.CODE_CEILING, at__gt=now - CODE_EVENTS_EVERY
        ).exists():
            return None
        logger.error(
            "Sign-in codes: the ceiling of %s an hour is reached; codes are refused until %s.",
            settings.SMS_CODES_PER_HOUR_CEILING,
            timezone.localtime(refusal.until).isoformat(timespec="minutes"),
        )
        return security.record_event(
            kind=SecurityEventKind.CODE_CEILING,
            ip=ip,
            at=now,
            details=f"{settings.SMS_CODES_PER_HOUR_CEILING} codes an hour; until "
            f"{timezone.localtime(refusal.until).isoformat(timespec='minutes')}",
        )
    if refusal.limit not in LOGGED_CODE_REFUSALS:
        return None
    aimed_at = phone if refusal.limit != code_limits.NETWORK else ""
    digest = hashlib.sha256(f"{refusal.limit}|{aimed_at or ip}".encode()).hexdigest()[:32]
    if not cache.add(f"security:code-limited:{digest}", 1, int(CODE_EVENTS_EVERY.total_seconds())):
        return None
    return security.record_event(
        kind=SecurityEventKind.CODE_LIMITED,
        identifier=aimed_at,
        ip=ip,
        at=now,
        details=f"limit: {refusal.limit}; until "
        f"{timezone.localtime(refusal.until).isoformat(timespec='minutes')}",
    )
