"""The one user model of the project: residents, lawyers, desk staff and office admins.

Residents sign in with a verified mobile number, staff with an e-mail address; both
fields are optional so that the desk can register a resident who has neither. An account
that a resident starts on the site (sign-up, or a sign-in code for a new number) is
pending until its number is confirmed, and is deleted if that never happens
(accounts/services.py).
"""

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from accounts.validators import validate_mobile_number


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    LAWYER = "lawyer", _("Lawyer")
    DESK = "desk", _("Desk staff")
    OFFICE_ADMIN = "office_admin", _("Office admin")


OFFICE_ROLES = (Role.DESK, Role.OFFICE_ADMIN)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, *, email, password, **fields):
        email = self.normalize_email(email).lower() if email else None
        user = self.model(email=email, **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email=email, password=password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        fields.setdefault("role", Role.OFFICE_ADMIN if fields.get("office") else Role.RESIDENT)
        return self._create(email=email, password=password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True, null=True, blank=True)
    phone = PhoneNumberField(
        _("mobile number"),
        unique=True,
        null=True,
        blank=True,
        validators=[validate_mobile_number],
    )
    phone_verified = models.BooleanField(_("mobile number verified"), default=False)
    pending_until = models.DateTimeField(
        _("pending until"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Made on the site for a mobile number not confirmed yet: deleted after this "
            "time unless the number is confirmed."
        ),
    )
    display_name = models.CharField(_("name"), max_length=100, blank=True)
    village = models.CharField(
        _("village"),
        max_length=100,
        blank=True,
        help_text=_("Where a resident without a mobile number lives, to tell namesakes apart."),
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        default="zh-hans",
    )
    sms_reminders = models.BooleanField(
        _("reminders by SMS"),
        default=True,
        help_text=_("Confirmations and sign-in codes are sent either way."),
    )
    consented_at = models.DateTimeField(
        _("agreed to the privacy notice"),
        null=True,
        blank=True,
        help_text=_("Set when the resident ticks the privacy notice; cleared on withdrawal."),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.RESIDENT)
    office = models.ForeignKey(
        "booking.Office",
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("The office that desk staff and office admins work at."),
    )
    is_staff = models.BooleanField(
        _("may use the admin site"),
        default=False,
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=[r.value for r in OFFICE_ROLES], office__isnull=False)
                    | (~models.Q(role__in=[r.value for r in OFFICE_ROLES]))
                ),
                name="user_office_staff_have_office",
            ),
            models.CheckConstraint(
                condition=models.Q(phone_verified=False) | models.Q(phone__isnull=False),
                name="user_verified_phone_exists",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email or str(self.phone or "") or f"#{self.pk}"

    def clean(self) -> None:
        super().clean()
        if self.email:
            self.email = self.__class__.objects.normalize_email(self.email).lower()
        if self.email == "":
            self.email = None

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name


class SecurityEventKind(models.TextChoices):
    LOGIN_FAILED = "login_failed", _("Wrong password")
    ACCOUNT_LOCKED = "account_locked", _("Sign-in locked after wrong passwords")
    CODE_CEILING = "code_ceiling", _("Hourly ceiling of sign-in codes reached")
    CODE_LIMITED = "code_limited", _("Sign-in codes refused by a limit")
    CALLBACK_REFUSED = "callback_refused", _("Delivery report refused")
    CREDENTIALS_REFUSED = "credentials_refused", _("Change of another office's staff refused")


class SecurityEvent(models.Model):
    """Something an operator must be able to look back on: kept for the security log's
    period (``SECURITY_LOG_DAYS``, at least 180 days), holding references, not names."""

    kind = models.CharField(_("what happened"), max_length=30, choices=SecurityEventKind)
    at = models.DateTimeField(_("when"), default=timezone.now)
    user = models.ForeignKey(
        User,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What was typed or aimed at, masked (``z***@example.org``, ``138****8000``).
    identifier = models.CharField(_("aimed at"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    details = models.CharField(_("details"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["kind", "-at"], name="security_event_kind_at")]

    def __str__(self) -> str:
        at = date_format(timezone.localtime(self.at), "DATETIME_FORMAT")
        return f"{at} {self.get_kind_display()}"


class SignInLock(models.Model):
    """Recent wrong passwords typed for one sign-in address, and the lock they led to
    (accounts/security.py). Keyed by a keyed digest of the address, so that an address
    without an account is counted and locked the same way without being stored."""

    key = models.CharField(_("address digest"), max_length=64, unique=True)
    # Times (seconds since the epoch) of the wrong passwords still within the period.
    failures = models.JSONField(_("wrong passwords"), default=list, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    # Lifts the lock when the account's password changes (an office admin sets a new one).
    password_mark = models.CharField(max_length=128, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("sign-in lock")
        verbose_name_plural = _("sign-in locks")

    def __str__(self) -> str:
        return f"{self.key[:8]} {self.locked_until or ''}"
