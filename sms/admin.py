"""The outbox, read-only: what was sent, when, and what went wrong.

Numbers are masked (138****8000) for everyone but the office admin, who may need to call
a resident back; parameters are never shown (they hold sign-in codes).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from booking.admin import ReadOnlyAdminMixin
from sms.models import Message, mask_number


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_filter = ["status", "kind"]
    date_hierarchy = "created_at"
    search_fields = ["idempotency_key", "provider_message_id"]
    fields = [
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
        "idempotency_key",
    ]
    readonly_fields = fields

    @admin.display(description=_("mobile number"))
    def masked_recipient(self, message: Message) -> str:
        return mask_number(message.recipient)

    def _sees_numbers(self, request) -> bool:
        return request.user.role == Role.OFFICE_ADMIN

    def get_list_display(self, request):
        number = "recipient" if self._sees_numbers(request) else "masked_recipient"
        return [number, "kind", "status", "not_before", "sent_at", "attempts", "error"]

    def get_fields(self, request, obj=None):
        number = "recipient" if self._sees_numbers(request) else "masked_recipient"
        return [number, *self.fields]

    def get_readonly_fields(self, request, obj=None):
        return ["recipient", "masked_recipient", *self.fields]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(appointment__office=request.user.office_id)
