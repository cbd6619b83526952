"""Writing and reading the access log (booking/models/access_log.py).

Views that show staff a resident's personal details call ``log_access`` with the
appointments on the page; it writes one row per appointment that this viewer has not
already seen on this page today, in one query (``ignore_conflicts`` on the unique
constraint), so a page costs one insert however many times it is reloaded. Pages about
a resident before there is a consultation (the desk finding them and booking for them)
call ``log_resident_access``: rows without an appointment, with the viewer's office.

The client's address is the one allauth's rate limits use (``TRUSTED_PROXY_COUNT``
entries of X-Forwarded-For behind a proxy, else the socket's address).

Chapter: docs/trust.md#access-log.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.models import AccessLog, Appointment


def client_ip(request) -> str | None:
    try:
        return get_adapter(request).get_client_ip(request)
    except Exception:  # allauth refuses a malformed forwarded header: log no address
        return None


# What a page shows, stored as codes and read in the reader's language.
DETAILS = {
    "name": _("name"),
    "phone": _("phone"),
    "phone_masked": _("phone, masked (the last four digits)"),
    "village": _("village"),
    "needs": _("needs (interpreter, dialect, access)"),
    "summary": _("what it is about"),
    "other_party": _("other party"),
    "notes": _("notes"),
}


# What each kind of page shows.
AGENDA_DETAILS = ("name", "phone", "needs", "summary")
PAGE_DETAILS = ("name", "phone", "needs", "summary", "other_party", "notes")
DESK_DETAILS = ("name", "phone", "village", "needs")
FEED_DETAILS = ("name", "phone", "needs")
# The desk's pages about a resident before a booking (finding them, choosing the area of
# law and the time): the number only masked.
DESK_RESIDENT_DETAILS = ("name", "village", "phone_masked")
# The desk's page of a booking just made (the number masked there too).
DESK_BOOKED_DETAILS = ("name", "village", "phone_masked", "needs")


@dataclass(frozen=True)
class Seen:
    """An appointment as far as the log needs it, for pages that hold no model rows."""

    pk: int | None  # None: the resident's own record (the admin's user pages)
    resident_id: int
    office_id: int | None


def record_access(
    *,
    viewer,
    appointments: Iterable[Appointment],
    place: str,
    details: Iterable[str],
    ip: str | None,
    now=None,
) -> None:
    """Record that ``viewer`` saw ``details`` (codes of DETAILS) of each of ``appointments``.

    A resident's own appointments are not logged: the log is about staff.
    """
    now = now or timezone.now()
    codes = ",".join(details)
    rows = [
        AccessLog(
            resident_id=appointment.resident_id,
            appointment_id=appointment.pk,
            office_id=appointment.office_id,
            viewer=viewer,
            viewer_name=str(viewer)[:200],
            viewer_role=viewer.role,
            place=place,
            details=codes,
            day=timezone.localdate(now),
            at=now,
            ip=ip,
        )
        for appointment in appointments
        if appointment.resident_id != viewer.pk
    ]
    if rows:
        AccessLog.objects.bulk_create(rows, ignore_conflicts=True)


def log_access(request, appointments, *, place: str, details: Iterable[str]) -> None:
    """``record_access`` for the signed-in member of staff of ``request``."""
    record_access(
        viewer=request.user,
        appointments=appointments,
        place=place,
        details=details,
        ip=client_ip(request),
    )


def record_resident_access(
    *,
    viewer,
    residents: Iterable,
    office_id: int | None,
    place: str,
    details: Iterable[str],
    ip: str | None,
    now=None,
) -> None:
    """Record that ``viewer`` saw ``details`` of each of ``residents`` on a page about the
    person rather than a consultation (the desk finding them, or booking for them): rows
    without an appointment, of the office ``office_id``.

    The table's unique constraint leaves out rows without an appointment, so one query
    first finds the residents this viewer already has a row for, for this page, these
    details and day: as for consultations, the first view of the day is kept and a page
    costs one insert at most. Two requests at the same moment may both write one.
    """
    now = now or timezone.now()
    day = timezone.localdate(now)
    codes = ",".join(details)
    wanted = {resident.pk: resident for resident in residents if resident.pk != viewer.pk}
    if not wanted:
        return
    seen = set(
        AccessLog.objects.filter(
            viewer=viewer,
            appointment__isnull=True,
            resident_id__in=wanted,
            place=place,
            details=codes,
            day=day,
        ).values_list("resident_id", flat=True)
    )
    rows = [
        AccessLog(
            resident_id=resident_id,
            appointment=None,
            office_id=office_id,
            viewer=viewer,
            viewer_name=str(viewer)[:200],
            viewer_role=viewer.role,
            place=place,
            details=codes,
            day=day,
            at=now,
            ip=ip,
        )
        for resident_id in wanted
        if resident_id not in seen
    ]
    if rows:
        AccessLog.objects.bulk_create(rows)


def log_resident_access(request, residents, *, place: str, details) -> None:
    """``record_resident_access`` for the signed-in member of staff of ``request``, at
    their office."""
    record_resident_access(
        viewer=request.user,
        residents=residents,
        office_id=request.user.office_id,
        place=place,
        details=details,
        ip=client_ip(request),
    )


def detail_labels(codes: str) -> list[str]:
    return [str(DETAILS[code]) for code in codes.split(",") if code in DETAILS]
