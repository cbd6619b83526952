"""Rate limits on booking and the calendar feed, and the sliding windows that count them.

Rates are written as allauth's: ``"60/10m/ip,12/10m/user"`` — so many requests per
duration (s, m, h, d) per client network, per signed-in account, or per ``key`` (the
feed's key). They live in ``settings.RATE_LIMITS``, by action. Counting is in a cache:
``"book"`` in the default cache (the database cache in production, shared by every
process, so the limit holds across workers); ``"feed"`` in each process's own memory
(``CACHES["ratelimit"]``), because the feed is the hottest path and a shared counter
would cost database queries on every poll: its limits hold per worker process, a bound
on abuse rather than an exact count. The sign-in codes' limits per network and for the
whole site (sms/code_limits.py) count with the same windows (sms/windows.py).

Windows slide: a window is kept as counters of a tenth of it each (of an hour for windows
longer than ten hours), and a request counts what the counters of the window and the one
before it hold. So no window of that length ever holds more than the limit (a burst at
the turn of the hour counts whole), at the price of a request refused at most one
counter's time longer than needed. Only requests let through are counted: someone who
keeps knocking is not kept out longer by it, and neither are those who share the
address. The client address is allauth's (``TRUSTED_PROXY_COUNT`` entries of
X-Forwarded-For behind a proxy), an IPv6 address counted as its /64 network
(``ALLAUTH_RATE_LIMIT_IPV6_PREFIX``, as allauth's own limits do), which one household or
one attacker gets whole.

A request over a limit gets the 429 page with Retry-After, and the view does not run:
nothing is written. Both say when the window that refused frees again (``free_at``): a
resident stopped by the ten-minute booking window is told the time it frees, not "a
minute". Known limits: the database cache increments by read and write, so
requests racing in different processes may each be let through on the last count; and
it drops entries beyond its ``MAX_ENTRIES`` (``CACHE_MAX_ENTRIES``, 20,000), counts
included.

Chapter: docs/trust.md#rate-limits.
"""

import datetime as dt
import hashlib
import math
import time
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render

from booking.access_log import client_ip
from sms.windows import Rate, add_hit, count_hits, free_at, network_of, parse_rates

# The windows are re-exported for the tests that read them as this module's.
__all__ = [
    "Rate",
    "add_hit",
    "count_hits",
    "free_at",
    "limit_posts",
    "network_of",
    "parse_rates",
    "too_many",
    "within_limit",
]

RETRY_AFTER_SECONDS = 60
CACHE_FOR = {"feed": "ratelimit"}


def _count(cache, key: str, seconds: int) -> int:
    """Count one hit; how many the window holds with it."""
    now = time.time()
    add_hit(cache, key, seconds, now=now)
    return count_hits(cache, key, seconds, now=now)


def within_limit(request, action: str, *, key: str | None = None) -> bool:
    """Count this request against ``action``'s rates; False when one is exceeded.

    Rates are taken in their order and each counts the request once it lets it through,
    so that a request refused per account still counts against its address.
    """
    cache = caches[CACHE_FOR.get(action, "default")]
    now = time.time()
    for rate in parse_rates(settings.RATE_LIMITS.get(action, "")):
        if rate.per == "ip":
            who = network_of(client_ip(request)) or "unknown"
        elif rate.per == "user":
            if not request.user.is_authenticated:
                continue
            who = str(request.user.pk)
        else:
            who = key or ""
        # Hashed: the key comes from the address bar, and a cache may refuse odd keys.
        digest = hashlib.sha256(who.encode()).hexdigest()[:32]
        counter = f"{action}:{rate.per}:{digest}"
        if count_hits(cache, counter, rate.seconds, now=now) >= rate.amount:
            # For too_many(): when this window lets the request in again.
            request.limit_frees_at = free_at(cache, counter, rate.seconds, rate.amount, now=now)
            return False
        add_hit(cache, counter, rate.seconds, now=now)
    return True


def too_many(request):
    """The 429 page; it names the time the refusing window frees, when within_limit
    found it (else, for allauth's limits per minute, a minute from now)."""
    frees_at = getattr(request, "limit_frees_at", None)
    context = {}
    retry_after = RETRY_AFTER_SECONDS
    if frees_at is not None:
        retry_after = max(1, math.ceil(frees_at - time.time()))
        context["limit_frees_at"] = dt.datetime.fromtimestamp(frees_at, tz=dt.UTC)
    response = render(request, "429.html", context, status=429)
    response.headers["Retry-After"] = str(retry_after)
    return response


def limit_posts(action: str):
    """Count each POST to the view against ``action``; over the limit, answer 429."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST" and not within_limit(request, action):
                return too_many(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
