from http import HTTPStatus

from allauth.mfa.admin import AuthenticatorAdmin as BaseAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import security
from accounts.admin_labels import NamedInputsMixin
from accounts.models import OFFICE_ROLES, Role, SecurityEvent, User
from accounts.office_boundaries import record_credentials_refused, works_for_another_office
from accounts.signals import residents_seen

# What an office admin who is not a superuser may not change about anyone, themselves
# included: privileges, and which office a person works at.
PRIVILEGE_FIELDS = ["is_superuser", "is_staff", "groups", "user_permissions", "office"]
ROLES_AN_OFFICE_ADMIN_ASSIGNS = [Role.LAWYER, Role.DESK]
WORKS_ELSEWHERE = _(
    "This person also works for another office. Only a superuser or the person can "
    "change their account: password, e-mail address, mobile number, authenticator app."
)

# Staff sign in only with their password: no other way in that Django's note speaks of.
PASSWORD_SIGN_IN = _(
    "Disabled: this person can no longer sign in with a password, which is how staff "
    "sign in, until a new password is set here."
)
PASSWORD_LOST = _("If disabled, the current password for this user will be lost.")


class PasswordForm(AdminPasswordChangeForm):
    """Django's, with the note on password sign-in in the reader's language: Django joins
    its note once, at import, in the default language, and its warning is not translated."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        if "usable_password" in self.fields:
            # The same markup as Django's: its script shows the warning when "disabled".
            self.fields["usable_password"].help_text = format_html(
                '{}<ul id="id_unusable_warning" class="messagelist">'
                '<li class="warning">{}</li></ul>',
                PASSWORD_SIGN_IN,
                PASSWORD_LOST,
            )


@admin.register(User)
class UserAdmin(NamedInputsMixin, BaseUserAdmin):
    change_password_form = PasswordForm
    ordering = ["display_name", "email"]
    list_display = ["__str__", "email", "role", "office", "is_active"]
    list_filter = ["role", "office", "is_active", "is_staff"]
    search_fields = ["display_name", "email", "phone"]
    # A superuser's page: groups are few, boxes to tick; permissions keep Django's selector.
    filter_horizontal = ["user_permissions"]
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
        # An office admin manages the office's staff and lawyers; residents are not listed.
        # Superusers are never under an office admin, even one who works at the office.
        office_id = request.user.office_id
        return (
            queryset.filter(Q(office_id=office_id) | Q(lawyer__offices=office_id))
            .exclude(is_superuser=True)
            .distinct()
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            _log_residents(request, list(changelist.result_list))
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        original = getattr(response, "context_data", {}).get("original")
        if original is not None:
            _log_residents(request, [original])
        return response

    def _works_elsewhere(self, request, user: User | None) -> bool:
        """Someone the office admin shares with another office (not themself)."""
        if user is None or request.user.is_superuser or user.pk == request.user.pk:
            return False
        return works_for_another_office(user_id=user.pk, office_id=request.user.office_id)

    def has_change_permission(self, request, obj=None):
        # Shown, never changed: the office admin reads such a person's page.
        allowed = super().has_change_permission(request, obj)
        return allowed and not self._works_elsewhere(request, obj)

    def _refuse(self, request, user: User, *, what: str):
        """The plain refusal, written to the security log."""
        record_credentials_refused(request=request, target=user, what=what)
        context = {
            **self.admin_site.each_context(request),
            "title": WORKS_ELSEWHERE,
            "opts": self.opts,
            "original": user,
        }
        return TemplateResponse(
            request, "admin/accounts/user/refused.html", context, status=HTTPStatus.FORBIDDEN
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        user = self.get_object(request, unquote(object_id)) if object_id else None
        if self._works_elsewhere(request, user):
            if request.method == "POST":
                return self._refuse(request, user, what="account")
            messages.warning(request, WORKS_ELSEWHERE)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if self._works_elsewhere(request, user):
            return self._refuse(request, user, what="password")
        return super().user_change_password(request, id, form_url)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return [*super().get_readonly_fields(request, obj), *PRIVILEGE_FIELDS]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [(role.value, role.label) for role in ROLES_AN_OFFICE_ADMIN_ASSIGNS]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and obj.role in OFFICE_ROLES:
            obj.office_id = request.user.office_id
        super().save_model(request, obj, form, change)


# allauth.mfa's own registration comes first (INSTALLED_APPS): replaced by this one.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(NamedInputsMixin, BaseAuthenticatorAdmin):
    """Authenticator apps and recovery codes: a superuser's, whatever a group may do. The
    person sets up and removes their own on their account pages."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


def _log_residents(request, users) -> None:
    """Residents' names and numbers shown in the admin (to superusers only) are logged."""
    # booking's access log keeps them (booking/signals.py): accounts does not import booking.
    residents = [user for user in users if user.role == Role.RESIDENT]
    residents_seen.send(
        sender=User,
        request=request,
        users=residents,
        place="admin",
        details=("name", "phone", "village"),
    )


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The security log (accounts/security.py), read-only: superusers read all of it, an
    office admin the events about their own office's staff and lawyers."""

    list_display = ["at", "kind", "identifier", "user", "ip", "described"]
    list_filter = ["kind"]
    date_hierarchy = "at"
    list_select_related = ["user"]
    search_fields = ["identifier", "ip", "details"]
    fields = ["at", "kind", "identifier", "user", "ip", "described"]
    readonly_fields = fields

    @admin.display(description=_("details"))
    def described(self, event):
        # In the reader's language, with local times (the stored form is for operators).
        return security.describe(event)

    def _reads_the_log(self, request) -> bool:
        user = request.user
        return user.is_active and (
            user.is_superuser or (user.is_staff and user.role == Role.OFFICE_ADMIN)
        )

    def has_module_permission(self, request):
        return self._reads_the_log(request)

    def has_view_permission(self, request, obj=None):
        return self._reads_the_log(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        office_id = request.user.office_id
        staff = User.objects.filter(Q(office_id=office_id) | Q(lawyer__offices=office_id))
        return queryset.filter(user__in=staff.exclude(is_superuser=True).values("pk"))
