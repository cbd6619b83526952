"""Moved to booking/web/access.py; kept for the views not yet changed over."""

from booking.web.access import (  # noqa: F401
    MAX_ID,
    as_id,
    desk_required,
    lawyer_required,
    office_admin_required,
    resident_required,
)
