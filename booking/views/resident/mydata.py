"""The resident's data rights: see everything, download it, withdraw consent (to the
privacy notice, or only to keeping what they wrote about their matters), delete.

Each change is a POST that must be confirmed by ticking a box, so that a stray click (or
a forged request, which CSRF already stops) does not close anyone's account.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from booking.services.data_rights import (
    as_json,
    count_matter_details_upcoming,
    delete_account,
    export_resident_data,
    withdraw_consent,
    withdraw_matter_consent,
)
from booking.web.access import resident_required

WITHDRAWN = _("You have withdrawn your agreement. Upcoming consultations cancelled: %(count)d.")
DELETED = _("Your account and your personal details have been deleted.")
MATTER_WITHDRAWN = _(
    "What you wrote about your matter and the other party has been erased from your "
    "upcoming consultations, which stay booked: %(count)d."
)


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, I understand."),
        error_messages={"required": _("Tick the box to confirm.")},
    )


def _page(request, *, withdraw_form=None, delete_form=None, matter_form=None, status=200):
    context = {
        "data": export_resident_data(user=request.user),
        "withdraw_form": withdraw_form or ConfirmForm(prefix="withdraw"),
        "delete_form": delete_form or ConfirmForm(prefix="delete"),
        "matter_form": matter_form or ConfirmForm(prefix="matter"),
        "matter_upcoming": count_matter_details_upcoming(user=request.user),
    }
    return render(request, "booking/my_data.html", context, status=status)


@resident_required
def my_data(request):
    """Everything held about the resident, and what they can do about it."""
    return _page(request)


@resident_required
def my_data_json(request):
    body = as_json(export_resident_data(user=request.user))
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="my-data-{day}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@resident_required
def withdraw(request):
    form = ConfirmForm(request.POST, prefix="withdraw")
    if not form.is_valid():
        return _page(request, withdraw_form=form, status=400)
    cancelled = withdraw_consent(user=request.user)
    messages.success(request, WITHDRAWN % {"count": cancelled})
    return redirect("booking:my_data")


@require_POST
@resident_required
def withdraw_matter(request):
    """Erase what the resident wrote about their upcoming consultations' matters."""
    form = ConfirmForm(request.POST, prefix="matter")
    if not form.is_valid():
        return _page(request, matter_form=form, status=400)
    erased = withdraw_matter_consent(user=request.user)
    messages.success(request, MATTER_WITHDRAWN % {"count": erased})
    return redirect("booking:my_data")


@require_POST
@resident_required
def delete(request):
    form = ConfirmForm(request.POST, prefix="delete")
    if not form.is_valid():
        return _page(request, delete_form=form, status=400)
    delete_account(user=request.user)
    logout(request)
    messages.success(request, DELETED)
    return redirect("booking:home")
