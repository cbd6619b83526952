"""Who may use which pages: residents their own, lawyers theirs; each sees only their data."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.models import Role

# The largest id any of our databases stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def as_id(value) -> int | None:
    """A database id from a request parameter, or None for anything that cannot be one
    (text, a sign, a number too large for the database)."""
    if not isinstance(value, str) or not value.isdigit() or not value.isascii():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def resident_required(view):
    """Sign in first; staff accounts get a page telling them where they book instead."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.role != Role.RESIDENT:
            return render(request, "booking/residents_only.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def lawyer_required(view):
    """Sign in first; only accounts with a lawyer profile pass, as ``request.lawyer``."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        lawyer = getattr(request.user, "lawyer", None) if request.user.role == Role.LAWYER else None
        if lawyer is None:
            return render(request, "booking/lawyers_only.html", status=403)
        request.lawyer = lawyer
        return view(request, *args, **kwargs)

    return wrapper


def desk_required(view):
    """Sign in first; desk staff and office admins pass, with ``request.office`` theirs."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        user = request.user
        if user.role not in (Role.DESK, Role.OFFICE_ADMIN) or user.office_id is None:
            return render(request, "booking/desk_only.html", status=403)
        request.office = user.office
        return view(request, *args, **kwargs)

    return wrapper


def office_admin_required(view):
    """Sign in first; office admins pass, with ``request.office`` theirs."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        user = request.user
        if user.role != Role.OFFICE_ADMIN or user.office_id is None:
            return render(request, "booking/office_admin_only.html", status=403)
        request.office = user.office
        return view(request, *args, **kwargs)

    return wrapper
