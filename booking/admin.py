"""The admin site is the office admin's tool for their office, its lawyers and hours.

An office admin who is not a superuser sees and edits only the records of their own
office. A lawyer shared with another office shows only this office's weekly hours, and
saving the lawyer keeps the memberships (and any other choices) the office admin cannot
see; what the lawyer shares with the other office (their account, areas of law,
languages, time off, whether they take bookings) is changed by a superuser or the lawyer
(accounts/office_boundaries.py). Areas of law are shared by every office: superusers
name them and switch them on or off; each office chooses those it offers on its own
page (``Office.topics``).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts.admin_labels import NamedDeletionFormSet, NamedInputsMixin
from accounts.models import Role, User
from accounts.office_boundaries import works_for_another_office
from booking import selectors
from booking.access_log import detail_labels
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
from sms import registry

STRANDED = _(
    "%(count)d booked consultations fall in this time. The lawyer enters this time off on "
    "their own page, where they decide whether to keep or cancel each; or move them first."
)
SHARED_LAWYER = _(
    "This lawyer also works for another office. Here you change your office's part: "
    "whether they work for your office and their weekly hours here. Their account, areas "
    "of law, languages, time off and whether they take bookings are changed by a "
    "superuser or the lawyer."
)


class ReadOnlyAdminMixin:
    """Records that only services write: shown, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _shared(request, lawyer: Lawyer | None) -> bool:
    """Whether ``lawyer`` also works for an office other than the office admin's."""
    if lawyer is None or lawyer.pk is None or request.user.is_superuser:
        return False
    return works_for_another_office(user_id=lawyer.user_id, office_id=request.user.office_id)


class OfficeScopedAdmin(NamedInputsMixin, admin.ModelAdmin):
    office_lookup = "office"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.office_lookup: request.user.office_id}).distinct()

    def save_related(self, request, form, formsets, change):
        """Many-to-many choices are limited to what the office admin may see: the values
        they cannot see (another office, an area of law switched off) are kept."""
        if not request.user.is_superuser:
            for name, field in form.fields.items():
                if isinstance(field, forms.ModelMultipleChoiceField) and name in form.cleaned_data:
                    unseen = getattr(form.instance, name).exclude(
                        pk__in=field.queryset.values("pk")
                    )
                    form.cleaned_data[name] = [*form.cleaned_data[name], *unseen]
        super().save_related(request, form, formsets, change)


# What cannot go into a text message (sms/registry.py), said on the field to change.
SMS_NAME_DOES_NOT_FIT = _(
    "Text messages take the office's name with at most %(limit)d characters and no links, "
    "phone numbers or brackets: enter a short form here."
)
SMS_PLACE_DOES_NOT_FIT = _(
    "Text messages take the place with at most %(limit)d characters and no links, phone "
    "numbers or brackets: enter a shorter form."
)
SMS_PHONE_DOES_NOT_FIT = _(
    "Text messages can give only a fixed line, 400 or 95 number: digits and hyphens, at "
    "most %(limit)d characters, for example 0731-57860148."
)
SMS_DOES_NOT_FIT = {
    "sms_name": (SMS_NAME_DOES_NOT_FIT, registry.OFFICE_NAME.max_length),
    "sms_place": (SMS_PLACE_DOES_NOT_FIT, registry.PLACE.max_length),
    "phone": (SMS_PHONE_DOES_NOT_FIT, registry.OFFICE_PHONE.max_length),
}


class OfficeForm(forms.ModelForm):
    """Refuses an office whose name, place or phone the texts could not carry."""

    def clean(self):
        cleaned = super().clean()
        found = registry.office_problems(
            **{name: cleaned.get(name) or "" for name in ("name", "sms_name", "sms_place", "phone")}
        )
        for field in found:
            message, limit = SMS_DOES_NOT_FIT[field]
            if field in self.fields:
                self.add_error(field, message % {"limit": limit})
        return cleaned


@admin.register(Office)
class OfficeAdmin(OfficeScopedAdmin):
    form = OfficeForm
    office_lookup = "pk"
    list_display = ["name", "phone", "time_zone", "horizon_days", "max_active_bookings"]
    prepopulated_fields = {"slug": ["name"]}

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "topics":
            kwargs["widget"] = forms.CheckboxSelectMultiple  # works without JavaScript
            if not request.user.is_superuser:
                # Those switched off for everyone are kept, not offered (save_related).
                kwargs["queryset"] = Topic.objects.filter(is_active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Topic)
class TopicAdmin(NamedInputsMixin, admin.ModelAdmin):
    """The shared list of areas of law: superusers name them and switch them on or off.

    Office admins may read it (the names their office's page offers) and change nothing:
    a name or switch here is every office's.
    """

    list_display = ["name_zh_hans", "name_en", "code", "position", "is_active"]
    list_editable = ["position", "is_active"]

    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class AvailabilityRuleInline(NamedInputsMixin, admin.TabularInline):
    model = AvailabilityRule
    extra = 0
    # A table: its headings are not the inputs' labels.
    name_every_input = True
    formset = NamedDeletionFormSet

    def get_queryset(self, request):
        # A shared lawyer's hours at other offices are neither shown nor deleted here.
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(office=request.user.office_id)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "office" and not request.user.is_superuser:
            kwargs["queryset"] = Office.objects.filter(pk=request.user.office_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Lawyer)
class LawyerAdmin(OfficeScopedAdmin):
    office_lookup = "offices"
    list_display = ["__str__", "languages", "is_active"]
    list_filter = ["is_active", "offices", "topics"]
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
        if db_field.name in ("offices", "topics"):
            # Boxes to tick: they work without JavaScript and on a phone, unlike the
            # admin's two-list selector, and are short lists.
            kwargs["widget"] = forms.CheckboxSelectMultiple
        if not request.user.is_superuser:
            # The lawyer's other offices and areas are kept on save (save_related).
            if db_field.name == "offices":
                kwargs["queryset"] = Office.objects.filter(pk=request.user.office_id)
            elif db_field.name == "topics":
                kwargs["queryset"] = selectors.get_offered_topics(
                    office=Office(pk=request.user.office_id)
                )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if _shared(request, obj):
            return [*readonly, "user", "topics", "languages", "is_active"]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if _shared(request, obj) and "offices" in form.base_fields:
            # The office admin may take their own office off a shared lawyer, who keeps
            # the other offices.
            form.base_fields["offices"].required = False
        return form

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _shared(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        lawyer = self.get_object(request, unquote(object_id))
        if request.method == "GET" and _shared(request, lawyer):
            messages.warning(request, SHARED_LAWYER)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(TimeOff)
class TimeOffAdmin(OfficeScopedAdmin):
    office_lookup = "lawyer__offices"
    list_display = ["lawyer", "starts_at", "ends_at"]
    list_select_related = ["lawyer__user"]
    # The reason is the lawyer's own business.
    exclude = ["reason"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lawyer" and not request.user.is_superuser:
            # A shared lawyer's time off holds at every office: they enter it themselves.
            office_id = request.user.office_id
            kwargs["queryset"] = Lawyer.objects.filter(offices=office_id).exclude(
                offices__in=Office.objects.exclude(pk=office_id)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and not _shared(request, obj.lawyer if obj else None)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and not _shared(request, obj.lawyer if obj else None)

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
    list_display = ["grouped_reference", "starts_at", "lawyer", "topic", "mode", "status"]
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

    @admin.display(description=_("reference code"), ordering="reference")
    def grouped_reference(self, appointment: Appointment) -> str:
        return appointment.display_reference


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


class ViewerRoleFilter(admin.SimpleListFilter):
    """The viewer's role, stored as a code without choices, offered by its name."""

    title = _("role")
    parameter_name = "viewer_role"

    def lookups(self, request, model_admin):
        return [(role.value, role.label) for role in Role if role != Role.RESIDENT]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(viewer_role=self.value())
        return queryset


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, OfficeScopedAdmin):
    """Who at the office saw residents' personal details: the office admin reads it.

    The consultation is named by its reference, not by the resident's name: reading the
    log must not be one more way to see who came.
    """

    list_display = ["at", "viewer_name", "role", "place", "shown", "appointment", "ip"]
    list_filter = ["place", ViewerRoleFilter]
    date_hierarchy = "at"
    list_select_related = ["appointment"]
    search_fields = ["viewer_name", "appointment__reference"]
    fields = ["at", "viewer_name", "role", "place", "shown", "appointment", "ip"]
    readonly_fields = fields

    # Stored as codes (booking/access_log.py), read in the reader's language.
    @admin.display(description=_("role"), ordering="viewer_role")
    def role(self, row: AccessLog) -> str:
        return Role(row.viewer_role).label if row.viewer_role in Role.values else row.viewer_role

    @admin.display(description=_("what was shown"))
    def shown(self, row: AccessLog) -> str:
        return pgettext("between the items of a list", ", ").join(detail_labels(row.details))
