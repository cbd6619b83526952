from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def start_idle_clock(sender, request, user, **kwargs) -> None:
    """A sign-in starts the session's idle clock (accounts/middleware.py)."""
    from accounts.middleware import mark_active

    if request is not None and hasattr(request, "session"):
        mark_active(request.session)


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import (
            checks,  # noqa: F401 -- registers the system checks
            sms_hooks,
        )

        sms_hooks.connect()

        user_logged_in.connect(start_idle_clock, dispatch_uid="accounts.start_idle_clock")
