"""System checks of the security settings: ``manage.py`` (migrate, the worker, the
retention command, ``check --deploy``) refuses to start with a log kept too briefly or
a sign-in rule switched off."""

from django.conf import settings
from django.core import checks

from accounts.security import SECURITY_LOG_MIN_DAYS

POSITIVE = (
    "STAFF_LOCKOUT_ATTEMPTS",
    "STAFF_LOCKOUT_MINUTES",
    "STAFF_SESSION_IDLE_MINUTES",
    "RESIDENT_SESSION_IDLE_DAYS",
)


@checks.register(checks.Tags.security)
def check_security_settings(app_configs, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    days = settings.SECURITY_LOG_DAYS
    if not isinstance(days, int) or days < SECURITY_LOG_MIN_DAYS:
        errors.append(
            checks.Error(
                f"SECURITY_LOG_DAYS is {days!r}: the security log and the access log "
                f"must be kept at least {SECURITY_LOG_MIN_DAYS} days (MLPS level 2).",
                hint=f"Set SECURITY_LOG_DAYS to {SECURITY_LOG_MIN_DAYS} or more.",
                id="accounts.E001",
            )
        )
    for name in POSITIVE:
        value = getattr(settings, name)
        if not isinstance(value, int) or value < 1:
            errors.append(
                checks.Error(
                    f"{name} is {value!r}: it must be a whole number of at least 1.",
                    id="accounts.E002",
                )
            )
    return errors
