"""Staff sign-in as government systems require it (MLPS level 2, 等保二级): wrong
passwords lock the address for a while, and the security log records what happened.

- **Lock.** ``STAFF_LOCKOUT_ATTEMPTS`` wrong passwords for one e-mail address within
  ``STAFF_LOCKOUT_MINUTES`` lock it for ``STAFF_LOCKOUT_MINUTES``, whoever tries next
  and with whatever password; the form says until when (the site's time zone, the
  offices' time) and to ask the office admin. Attempts during the lock do not extend it,
  so that no stranger keeps a clerk out for longer than one period at a time. A new
  password for the account (set by an office admin, or by the person) lifts the lock; a
  right password before the lock forgives the earlier wrong ones (*consecutive*
  failures, as the standard counts them). An address that has no account is counted and
  locked the same way, with the same message: the form never tells whether an account
  exists.
- **Why not allauth's ``login_failed`` limit.** allauth counts wrong passwords per
  address in a sliding window in the cache. That window is the lock: it ends when the
  oldest failure leaves the window, so its length depends on how the failures were
  spaced, and nothing says until when; a right password takes back only its own count;
  and the cache is no record — the database cache culls its entries past
  ``MAX_ENTRIES``, so whoever fills it with other keys wipes the count. Here the count
  and the lock are a row of ``SignInLock`` per address (a keyed digest, not the address),
  read and written under ``select_for_update``: a burst of parallel guesses gets no more
  tries than one after the other, because every attempt is counted as wrong before the
  password is checked and given back when it was right (as allauth does). allauth keeps
  its per-address-of-the-client limit (``ACCOUNT_RATE_LIMITS["login_failed"]``), which
  slows one client guessing across many accounts.
- **Security log.** ``record_event`` writes a ``SecurityEvent`` row (what was aimed at,
  masked: ``z***@example.org``, ``138****8000``; the client's address; the account when
  known) and a log line. The admin shows it read-only (accounts/admin.py); the retention
  sweep deletes rows older than ``SECURITY_LOG_DAYS`` (booking/services/retention.py).

The hooks are allauth's: ``pre_authenticate``, ``authenticate`` and
``authentication_failed`` in accounts/adapter.py call the three functions below, also
for the password asked for again before sensitive changes (allauth's reauthentication).

Known limit: anyone who knows a clerk's address can keep it locked by trying again
every period; the log then shows from where, and the office admin can lift each lock by
setting a new password.

Chapter: docs/trust.md#staff-sign-in.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import SecurityEvent, SecurityEventKind, SignInLock, User

logger = logging.getLogger(__name__)

SIGN_IN_LOCKED = _(
    "Too many wrong passwords: signing in with this e-mail address is locked until "
    "%(until)s. If you cannot wait, or did not type them yourself, ask your office admin."
)
# The least the security log and the access log are kept (MLPS level 2: six months).
SECURITY_LOG_MIN_DAYS = 180
# No account's password stands behind a lock (SignInLock.password_mark, a session hash).
NO_MARK = ""

_DIGEST_SALT = "accounts.security.SignInLock"
_PHONE = re.compile(r"^\+?\d{7,15}$")


def mask_identifier(value: str) -> str:
    """What was typed, as the security log keeps it: enough to tell addresses apart
    when reading, too little to learn one (``z***@example.org``, ``138****8000``)."""
    value = (value or "").strip()
    if not value or "*" in value:  # nothing, or masked already
        return value[:200]
    if "@" in value:
        local, _at, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"[:200]
    if _PHONE.match(value):
        digits = value.removeprefix("+").removeprefix("86") if len(value) > 11 else value
        return f"{digits[:3]}****{digits[-4:]}"
    return f"{value[:1]}***"


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as allauth's rate limits read it; none if it is malformed."""
    if request is None:
        return None
    try:
        return get_adapter(request).get_client_ip(request)
    except Exception:  # allauth refuses a malformed forwarded header: log no address
        return None


# The details of the events an office admin reads (their own staff's sign-ins and the
# changes refused to another office's admin), written in these stable forms (English, for
# operators and the log line) and read back by ``describe`` into the reader's language.
BAD_SIGN_IN_DETAILS = "wrong password {failures} of {limit}"
REFUSED_WHILE_LOCKED_DETAILS = "refused unchecked: locked until {until}"
LOCKED_AFTER_DETAILS = "after {failures} wrong passwords, until {until}"
CREDENTIALS_REFUSED_DETAILS = "{what}: by user #{actor} of office #{office}"
_DESCRIPTIONS = {
    BAD_SIGN_IN_DETAILS: _("Wrong password, %(failures)s of the %(limit)s allowed."),
    REFUSED_WHILE_LOCKED_DETAILS: _(
        "Refused without checking the password: locked until %(until)s."
    ),
    LOCKED_AFTER_DETAILS: _("Locked after %(failures)s wrong passwords, until %(until)s."),
    CREDENTIALS_REFUSED_DETAILS: _(
        "Change of the %(what)s refused: asked by account no. %(actor)s of office no. %(office)s."
    ),
}
_WHAT = {"account": _("account"), "password": _("password")}


def _pattern(form: str) -> re.Pattern[str]:
    fields = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(form))
    return re.compile(f"^{fields}$")


_PATTERNS = [(_pattern(form), words) for form, words in _DESCRIPTIONS.items()]


def describe(event: SecurityEvent) -> str:
    """The event's details in the reader's language (local times, "12月7日 08:30"), or as
    stored when they are not of a form above."""
    for pattern, words in _PATTERNS:
        found = pattern.match(event.details)
        if found is None:
            continue
        values: dict[str, object] = dict(found.groupdict())
        if "until" in values:
            try:
                until = datetime.fromisoformat(str(values["until"]))
            except ValueError:
                return event.details
            local = timezone.localtime(until)
            values["until"] = f"{date_format(local.date(), 'MONTH_DAY_FORMAT')} {local:%H:%M}"
        if "what" in values:
            values["what"] = _WHAT.get(str(values["what"]), values["what"])
        return str(words) % values
    return event.details


def record_event(
    *,
    kind: SecurityEventKind,
    request: HttpRequest | None = None,
    user: User | None = None,
    identifier: str = "",
    ip: str | None = None,
    details: str = "",
    at: datetime | None = None,
) -> SecurityEvent:
    """Write one row of the security log and its log line; ``identifier`` is masked here."""
    event = SecurityEvent(
        kind=kind,
        at=at or timezone.now(),
        user=user,
        identifier=mask_identifier(identifier),
        ip=ip if ip is not None else client_ip(request),
        details=details[:300],
    )
    event.full_clean()
    event.save()
    logger.warning(
        "Security event %s: %s, account %s, from %s. %s",
        event.kind,
        event.identifier or "-",
        user.pk if user else "-",
        event.ip or "-",
        event.details,
    )
    return event


@dataclass(frozen=True)
class PasswordAttempt:
    """One password typed for ``login``, counted as wrong until it proves right."""

    key: str
    login: str
    user: User | None
    ip: str | None
    at: datetime
    failures: int  # this one included
    locks: bool  # this one, if wrong, is the last one allowed


def _digest(login: str) -> str:
    return salted_hmac(_DIGEST_SALT, login.strip().lower(), algorithm="sha256").hexdigest()


def _period() -> timedelta:
    return timedelta(minutes=settings.STAFF_LOCKOUT_MINUTES)


def _lock_message(until: datetime) -> str:
    local = timezone.localtime(until)
    when = f"{date_format(local.date(), 'MONTH_DAY_FORMAT')} {local:%H:%M}"
    return SIGN_IN_LOCKED % {"until": when}


class SignInLocked(Exception):
    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until
        self.message = _lock_message(until)


def begin_password_attempt(*, request: HttpRequest, login: str) -> PasswordAttempt:
    """Count a password for ``login`` as wrong, or refuse it while the address is locked.

    Raises SignInLocked (and logs the refused attempt) while locked.
    """
    now = timezone.now()
    key = _digest(login)
    # Addresses are stored in lower case (UserManager, User.clean).
    user = User.objects.filter(email=login.strip().lower()).first() if login else None
    ip = client_ip(request)
    with transaction.atomic():
        SignInLock.objects.get_or_create(key=key)
        lock = SignInLock.objects.select_for_update().get(key=key)
        if lock.locked_until is not None:
            lifted = bool(lock.password_mark) and (
                user is None or user.get_session_auth_hash() != lock.password_mark
            )
            if lock.locked_until > now and not lifted:
                locked_until = lock.locked_until
            else:  # served, or a new password: start afresh
                lock.locked_until, lock.password_mark, lock.failures = None, NO_MARK, []
                locked_until = None
        else:
            locked_until = None
        if locked_until is None:
            since = (now - _period()).timestamp()
            failures = [at for at in lock.failures if at > since]
            failures.append(now.timestamp())
            locks = len(failures) >= settings.STAFF_LOCKOUT_ATTEMPTS
            lock.failures = failures
            if locks:  # at once, so that a parallel guess is refused already
                lock.locked_until = now + _period()
                lock.password_mark = user.get_session_auth_hash() if user else NO_MARK
            lock.save()
    if locked_until is not None:
        record_event(
            kind=SecurityEventKind.LOGIN_FAILED,
            user=user,
            identifier=login,
            ip=ip,
            details=REFUSED_WHILE_LOCKED_DETAILS.format(until=locked_until.isoformat()),
            at=now,
        )
        raise SignInLocked(locked_until)
    return PasswordAttempt(
        key=key,
        login=login,
        user=user,
        ip=ip,
        at=now,
        failures=len(failures),
        locks=locks,
    )


def password_accepted(attempt: PasswordAttempt) -> None:
    """The password was right: the wrong ones before it no longer count."""
    SignInLock.objects.filter(key=attempt.key).update(
        failures=[], locked_until=None, password_mark=NO_MARK, updated_at=timezone.now()
    )


def password_refused(attempt: PasswordAttempt) -> None:
    """The password was wrong: log it, and the lock it led to."""
    limit, at = settings.STAFF_LOCKOUT_ATTEMPTS, attempt.at
    record_event(
        kind=SecurityEventKind.LOGIN_FAILED,
        user=attempt.user,
        identifier=attempt.login,
        ip=attempt.ip,
        details=BAD_SIGN_IN_DETAILS.format(failures=attempt.failures, limit=limit),
        at=at,
    )
    if attempt.locks:
        until = at + _period()
        record_event(
            kind=SecurityEventKind.ACCOUNT_LOCKED,
            user=attempt.user,
            identifier=attempt.login,
            ip=attempt.ip,
            details=LOCKED_AFTER_DETAILS.format(failures=attempt.failures, until=until.isoformat()),
            at=at,
        )


def forget_stale_locks(*, now: datetime) -> int:
    """Delete the rows of addresses with no lock and no wrong password left to count."""
    deleted, _ = (
        SignInLock.objects.filter(updated_at__lt=now - _period())
        .exclude(locked_until__gt=now)
        .delete()
    )
    return deleted
