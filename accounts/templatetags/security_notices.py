"""Notices for operators on the admin's index page (templates/admin/index.html)."""

import datetime as dt

from django import template
from django.utils import timezone

from accounts.models import SecurityEvent, SecurityEventKind

register = template.Library()

# A ceiling reached this recently is still news on the index page.
NOTICE_FOR = dt.timedelta(hours=24)


@register.simple_tag(takes_context=True)
def code_ceiling_notice(context) -> SecurityEvent | None:
    """The latest time the hourly ceiling of sign-in codes refused codes, for superusers
    (who set the ceiling); None if not within the last day."""
    request = context.get("request")
    if request is None or not request.user.is_superuser:
        return None
    return (
        SecurityEvent.objects.filter(
            kind=SecurityEventKind.CODE_CEILING, at__gt=timezone.now() - NOTICE_FOR
        )
        .order_by("-at")
        .first()
    )
