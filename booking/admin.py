"""The admin site is the office admin's tool for offices, lawyers, topics and hours.

An office admin who is not a superuser sees only the records of their own office.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from booking.models import (
    AccessLog,
    Appointment,
    AvailabilityRule,
    DutyDay,
    DutyException,
    Lawyer,
    Office,
    Status,
    TimeOff,
    Topic,
)

STRANDED = _(
    "%(count)d booked consultations fall in this time. The lawyer enters this time off on "
    "their own page, where they decide whether to keep or cancel each; or move them first."
)


class ReadOnlyAdminMixin:
    """Records that only services write: shown, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OfficeScopedAdmin(admin.ModelAdmin):
    office_lookup = "office"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.office_lookup: request.user.office_id}).distinct()


@admin.register(Office)
class OfficeAdmin(OfficeScopedAdmin):
    office_lookup = "pk"
    list_display = ["name", "phone", "time_zone", "horizon_days", "max_active_bookings"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh_hans", "name_en", "position", "is_active"]
    list_editable = ["position", "is_active"]


class AvailabilityRuleInline(admin.TabularInline):
    model = AvailabilityRule
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "office" and not request.user.is_superuser:
            kwargs["queryset"] = Office.objects.filter(pk=request.user.office_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Lawyer)
class LawyerAdmin(OfficeScopedAdmin):
    office_lookup = "offices"
    list_display = ["__str__", "languages", "is_active"]
    list_filter = ["is_active", "offices", "topics"]
    filter_horizontal = ["offices", "topics"]
    inlines = [AvailabilityRuleInline]
    list_select_related = ["user"]
    # A lookup through the (office-scoped) user admin, never a list of every user.
    raw_id_fields = ["user"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            # Only lawyer accounts without privileges: not yet anyone's lawyer, or this
            # office's. Never a superuser, another office's staff or a resident, whose
            # account (and password) would then come under this office admin.
            kwargs["queryset"] = User.objects.filter(
                Q(lawyer__isnull=True) | Q(lawyer__offices=request.user.office_id),
                role=Role.LAWYER,
                is_superuser=False,
                is_staff=False,
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "offices" and not request.user.is_superuser:
            kwargs["queryset"] = Office.objects.filter(pk=request.user.office_id)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(TimeOff)
class TimeOffAdmin(OfficeScopedAdmin):
    office_lookup = "lawyer__offices"
    list_display = ["lawyer", "starts_at", "ends_at"]
    list_select_related = ["lawyer__user"]
    # The reason is the lawyer's own business.
    exclude = ["reason"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lawyer" and not request.user.is_superuser:
            kwargs["queryset"] = Lawyer.objects.filter(offices=request.user.office_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class RefusingStrandedForm(form):
            """Time off entered here may not silently strand booked consultations: the
            lawyer's own time-off page decides about them (booking/services/availability)."""

            def clean(self):
                cleaned = super().clean()
                lawyer, starts, ends = (cleaned.get(k) for k in ("lawyer", "starts_at", "ends_at"))
                if lawyer and starts and ends:
                    booked = Appointment.objects.filter(
                        lawyer=lawyer, status=Status.BOOKED, starts_at__lt=ends, ends_at__gt=starts
                    ).count()
                    if booked:
                        raise ValidationError(STRANDED % {"count": booked})
                return cleaned

        return RefusingStrandedForm


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdminMixin, OfficeScopedAdmin):
    # Bookings go through the booking service, which enforces every rule; appointments
    # are cancelled, never deleted: counts and history depend on them.
    # Only what the office needs to run its calendar; the resident's matter stays with
    # the lawyer, so summary and other party are not shown here.
    list_display = ["display_reference", "starts_at", "lawyer", "topic", "mode", "status"]
    list_filter = ["status", "mode", "topic", "office"]
    date_hierarchy = "starts_at"
    list_select_related = ["lawyer__user", "topic"]
    fields = [
        "reference",
        "office",
        "lawyer",
        "topic",
        "starts_at",
        "ends_at",
        "mode",
        "status",
        "sequence",
        "booked_by",
    ]
    readonly_fields = fields


class RosterAdmin(OfficeScopedAdmin):
    """The duty roster of the office admin's own office, with its own lawyers only."""

    list_select_related = ["lawyer__user", "office"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            if db_field.name == "office":
                kwargs["queryset"] = Office.objects.filter(pk=request.user.office_id)
            elif db_field.name == "lawyer":
                kwargs["queryset"] = Lawyer.objects.filter(offices=request.user.office_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(DutyDay)
class DutyDayAdmin(RosterAdmin):
    list_display = ["weekday", "lawyer", "office"]
    list_filter = ["weekday"]


@admin.register(DutyException)
class DutyExceptionAdmin(RosterAdmin):
    list_display = ["date", "lawyer", "on_duty", "office"]
    list_filter = ["on_duty"]
    date_hierarchy = "date"


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, OfficeScopedAdmin):
    """Who at the office saw residents' personal details: the office admin reads it.

    The consultation is named by its reference, not by the resident's name: reading the
    log must not be one more way to see who came.
    """

    list_display = ["at", "viewer_name", "viewer_role", "place", "details", "appointment", "ip"]
    list_filter = ["place", "viewer_role"]
    date_hierarchy = "at"
    list_select_related = ["appointment"]
    search_fields = ["viewer_name", "appointment__reference"]
    fields = ["at", "viewer_name", "viewer_role", "place", "details", "appointment", "ip"]
    readonly_fields = fields
