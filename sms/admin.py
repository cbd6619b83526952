"""The outbox, read-only: what was sent, when, and what went wrong.

Numbers are masked (138****8000) for everyone but the office admin, who may need to call
a resident back; parameters are never shown (they hold sign-in codes). An office admin
sees the texts about their office's appointments and their office's daily figures; the
"failed today" filter lists the texts that failed today (office time), each with its
reason in words (sms/selectors.py), so that someone can phone the residents.
"""

import datetime as dt

from django.conf import settings
from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sms import hooks
from sms.models import Kind, Message, MessageStatus, mask_number
from sms.selectors import describe_message

FAILED_TODAY = "today"
# The outbox's own codes: which template, the key that stops a text going twice.
CODES = ("template", "idempotency_key")


def _time_zone(request) -> dt.tzinfo:
    office = request.user.office if request.user.office_id else None
    return office.tz if office else timezone.get_default_timezone()


class FailedFilter(admin.SimpleListFilter):
    title = _("failed")
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return [(FAILED_TODAY, _("Today"))]

    def queryset(self, request, queryset):
        if self.value() != FAILED_TODAY:
            return queryset
        tz = _time_zone(request)
        today = timezone.now().astimezone(tz).date()
        start = dt.datetime.combine(today, dt.time.min, tz)
        # A failed row is not written again: its last change is when it failed.
        return queryset.filter(status=MessageStatus.FAILED, updated_at__gte=start)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_filter = [FailedFilter, "status", "kind"]
    date_hierarchy = "created_at"
    search_fields = ["idempotency_key", "provider_message_id"]
    fields = (
        "kind",
        "template",
        "language",
        "status",
        "attempts",
        "not_before",
        "sent_at",
        "delivered_at",
        "backend",
        "provider_message_id",
        "error",
        "error_code",
        "idempotency_key",
    )
    readonly_fields = fields

    # Only the services write the outbox: shown, never added, changed or deleted here
    # (booking.admin.ReadOnlyAdminMixin's rule; sms does not import booking).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("what became of it"))
    def state(self, message: Message) -> str:
        tz = timezone.get_current_timezone()
        return describe_message(message, now=timezone.now(), tz=tz).state_words

    @admin.display(description=_("language"))
    def language_name(self, message: Message) -> str:
        return str(dict(settings.LANGUAGES).get(message.language, message.language))

    @admin.display(description=_("mobile number"))
    def masked_recipient(self, message: Message) -> str:
        return mask_number(message.recipient)

    def _sees_numbers(self, request) -> bool:
        return hooks.provided("is_office_admin")(request.user)

    def get_list_display(self, request):
        number = "recipient" if self._sees_numbers(request) else "masked_recipient"
        return [number, "kind", "state", "not_before", "sent_at", "attempts", "error"]

    def get_fields(self, request, obj=None):
        number = "recipient" if self._sees_numbers(request) else "masked_recipient"
        fields = [
            "language_name" if name == "language" else name
            for name in self.fields
            # Codes for whoever runs the site, not words for the office.
            if request.user.is_superuser or name not in CODES
        ]
        return [number, "state", *fields]

    def get_readonly_fields(self, request, obj=None):
        return ["recipient", "masked_recipient", "state", "language_name", *self.fields]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        office_id = request.user.office_id
        if office_id is None:
            # appointment__office=None would match every text without an appointment.
            return queryset.none()
        # Daily figures have no appointment; their key names the office
        # (booking/services/summary.py: "summary:<office>:<day>:…").
        return queryset.filter(
            Q(appointment__office=office_id)
            | Q(kind=Kind.SUMMARY, idempotency_key__startswith=f"summary:{office_id}:")
        )
