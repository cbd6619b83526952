"""The desk's day sheet, its start page: the office's appointments of a day, by lawyer.

Today at ``desk/``, another day at ``desk/day/<yyyy-mm-dd>/``. On the day itself the desk
checks residents in (and undoes a mistake) with one button each; the page posts to
itself and redirects back to the same row. Printed, each lawyer's appointments fill
their own A4 page (the print rules of the stylesheet). Another office's appointment
answers 404; residents and lawyers get the desk-only page (403).
"""

from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, re_path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.access_log import DESK_DETAILS, Seen, log_access
from booking.day_sheet import get_day_sheet
from booking.errors import BookingError
from booking.models import AccessPlace, Appointment
from booking.services.check_in import check_in, undo_check_in
from booking.slots import within_calendar
from booking.web.access import as_id, desk_required

CHECKED_IN = _("%(name)s is checked in.")
CHECK_IN_UNDONE = _("The check-in of %(name)s is undone.")
NO_NAME = _("(no name given)")


def _int_or_none(value) -> int | None:
    """A database id from the request, or None for anything that cannot be one."""
    return as_id(value)


def _sheet(request, day: date):
    office = request.office
    now = timezone.now()
    lawyer_id = _int_or_none(request.GET.get("lawyer"))
    if request.method == "POST":
        return _check_in(request, day=day, lawyer_id=lawyer_id, now=now)
    sheet = get_day_sheet(office=office, day=day, now=now, lawyer_id=lawyer_id)
    seen = [entry for section in sheet.sections for entry in section.entries]
    log_access(
        request,
        [Seen(entry.pk, entry.resident_id, office.pk) for entry in seen + sheet.cancelled],
        place=AccessPlace.DAY_SHEET,
        details=DESK_DETAILS,
    )
    context = {
        "sheet": sheet,
        "previous": day - timedelta(days=1),
        "next": day + timedelta(days=1),
        "lawyer_id": lawyer_id,
    }
    return render(request, "booking/desk/day_sheet.html", context)


def _check_in(request, *, day: date, lawyer_id: int | None, now):
    """Check in or undo, then back to the same row of the same page (PRG)."""
    pk = _int_or_none(request.POST.get("appointment"))
    if pk is None:
        raise Http404
    appointment = get_object_or_404(
        Appointment.objects.select_related("resident"), pk=pk, office=request.office
    )
    name = appointment.resident.display_name or appointment.display_reference or NO_NAME
    action = request.POST.get("action")
    try:
        if action == "check_in":
            check_in(appointment=appointment, office=request.office, by=request.user, now=now)
            messages.success(request, CHECKED_IN % {"name": name})
        elif action == "undo":
            undo_check_in(appointment=appointment, office=request.office, by=request.user, now=now)
            messages.success(request, CHECK_IN_UNDONE % {"name": name})
    except BookingError as refused:
        messages.error(request, refused.message)
    url = request.path
    if lawyer_id is not None:
        url += f"?lawyer={lawyer_id}"
    return redirect(f"{url}#appointment-{appointment.pk}")


@desk_required
def day_sheet_today(request):
    """Today's sheet (office time): the page desk staff start from."""
    return _sheet(request, timezone.now().astimezone(request.office.tz).date())


@desk_required
def day_sheet_for(request, day: str):
    """Another day's sheet; today's address is used for today."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    if not within_calendar(parsed):
        raise Http404
    return _sheet(request, parsed)


urlpatterns = [
    path("desk/", day_sheet_today, name="desk_day"),
    re_path(r"^desk/day/(?P<day>\d{4}-\d{2}-\d{2})/$", day_sheet_for, name="desk_day_for"),
]
