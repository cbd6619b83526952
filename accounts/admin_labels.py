"""Every input of the admin's forms has a name that screen readers read out.

Django's admin leaves two kinds of input without one: the date and the time of a
date-and-time field (the field's label is tied to neither), and the inputs of a tabular
inline (the column headings are not labels), its boxes to delete a row included. Admins
that mix ``NamedInputsMixin`` in name
them after their field (``aria-label``), in the language of the request: forms are built
per request.
"""

from django import forms
from django.contrib.admin import widgets
from django.forms.models import BaseInlineFormSet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

DATE_PART = _("%(field)s: date")
TIME_PART = _("%(field)s: time")
DELETE = _("Delete")


def name_inputs(widget: forms.Widget, label: str, *, every: bool) -> None:
    """Name the inputs of ``widget``: the parts of a date and time always, any other
    input only when ``every`` (in a table, where no label is tied to it)."""
    if isinstance(widget, widgets.RelatedFieldWidgetWrapper):
        widget = widget.widget
    if isinstance(widget, forms.SplitDateTimeWidget):
        date, time = widget.widgets
        date.attrs["aria-label"] = DATE_PART % {"field": label}
        time.attrs["aria-label"] = TIME_PART % {"field": label}
    elif every and not widget.is_hidden:
        widget.attrs["aria-label"] = label


class NamedInputsMixin:
    """For ModelAdmin and InlineModelAdmin classes; tabular inlines set ``name_every_input``.
    The editable columns of a list are named as a table's inputs."""

    name_every_input = False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            label = capfirst(db_field.verbose_name)
            name_inputs(formfield.widget, label, every=self.name_every_input)
        return formfield

    def get_changelist_formset(self, request, **kwargs):
        # The list's editable columns (list_editable): a table too.
        formset = super().get_changelist_formset(request, **kwargs)
        for field in formset.form.base_fields.values():
            name_inputs(field.widget, field.label, every=True)
        return formset


class NamedDeletionFormSet(BaseInlineFormSet):
    """An inline's rows whose "delete" boxes are named, as their column heading is not."""

    @classmethod
    def get_deletion_widget(cls):
        return forms.CheckboxInput(attrs={"aria-label": DELETE})
