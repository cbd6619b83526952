"""What the sign-in pages and the 429 page tell a resident who cannot get in now.

Chapter: docs/trust.md#signing-in.
"""

import datetime as dt

from django import template
from django.urls import reverse
from django.utils import timezone

from accounts import sign_in
from accounts.selectors import list_offices_to_call
from sms.code_limits import format_until

register = template.Library()

# allauth's limits on pages count per minute (ACCOUNT_RATE_LIMITS); the site's own
# (booking/ratelimit.py) say when their window frees.
PAGE_LIMIT_FREES_IN = dt.timedelta(minutes=1)


@register.simple_tag(takes_context=True)
def offices_to_call(context) -> list:
    """The office of the booking in progress (``next``, or the page itself), else all."""
    request = context.get("request")
    if request is None:
        return []
    return list_offices_to_call(next_url=sign_in.next_url(request) or request.path)


@register.simple_tag(takes_context=True)
def with_sign_in_next(context, url_name: str) -> str:
    """The address of ``url_name``, on the way to where the sign-in goes on to."""
    request = context.get("request")
    next_url = sign_in.next_url(request) if request is not None else ""
    return sign_in.with_next(reverse(url_name), next_url)


@register.simple_tag
def page_limit_frees_at(at: dt.datetime | None = None) -> str:
    """When a page stopped by a rate limit can be asked for again: ``08:01``. ``at`` is
    the site's own limit's time (booking/ratelimit.py ``too_many``); allauth's free in a
    minute."""
    return format_until(at or timezone.now() + PAGE_LIMIT_FREES_IN)
