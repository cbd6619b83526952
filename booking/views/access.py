"""Who may use the resident's pages: signed-in residents, each only for their own data."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.models import Role


def resident_required(view):
    """Sign in first; staff accounts get a page telling them where they book instead."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.role != Role.RESIDENT:
            return render(request, "booking/residents_only.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
