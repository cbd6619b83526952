from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["display_name", "email"]
    list_display = ["__str__", "email", "role", "office", "is_active"]
    list_filter = ["role", "office", "is_active", "is_staff"]
    search_fields = ["display_name", "email", "phone"]
    fieldsets = [
        (None, {"fields": ["email", "phone", "phone_verified", "password"]}),
        (_("Person"), {"fields": ["display_name", "preferred_language"]}),
        (_("Role"), {"fields": ["role", "office"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "email",
                    "phone",
                    "display_name",
                    "role",
                    "office",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("office")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(office=request.user.office)
