"""Writing and reading the access log (booking/models/trust.py).

Views that show staff a resident's personal details call ``log_access`` with the
appointments on the page; it writes one row per appointment that this viewer has not
already seen on this page today, in one query (``ignore_conflicts`` on the unique
constraint), so a page costs one insert however many times it is reloaded.

The client's address is the one allauth's rate limits use (``TRUSTED_PROXY_COUNT``
entries of X-Forwarded-For behind a proxy, else the socket's address).
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


def detail_labels(codes: str) -> list[str]:
    return [str(DETAILS[code]) for code in codes.split(",") if code in DETAILS]
