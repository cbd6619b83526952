"""Rate limits on booking and the calendar feed (allauth limits sign-in and codes).

Rates are written as allauth's: ``"60/10m/ip,12/10m/user"`` — so many requests per
duration (s, m, h, d) per client address, per signed-in account, or per ``key`` (the
feed's key). They live in ``settings.RATE_LIMITS``, by action. Counting is by fixed
windows in a cache: ``"book"`` in the default cache (the database cache in production,
shared by every process, so the limit holds across workers); ``"feed"`` in each
process's own memory (``CACHES["ratelimit"]``), because the feed is the hottest path
and a shared counter would cost database queries on every poll: its limits hold per
worker process, a bound on abuse rather than an exact count.

The client address is allauth's (``TRUSTED_PROXY_COUNT`` entries of X-Forwarded-For
behind a proxy). A request over a limit gets the 429 page with Retry-After, and the
view does not run: nothing is written.
"""

import hashlib
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render

from booking.access_log import client_ip

RETRY_AFTER_SECONDS = 60
CACHE_FOR = {"feed": "ratelimit"}
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int
    per: str  # "ip", "user" or "key"


def parse_rates(text: str) -> list[Rate]:
    rates = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        amount, duration, per = part.split("/")
        unit = duration[-1]
        seconds = int(float(duration[:-1] or 1) * UNITS[unit])
        if per not in {"ip", "user", "key"}:
            raise ValueError(part)
        rates.append(Rate(int(amount), seconds, per))
    return rates


def _count(cache, key: str, seconds: int) -> int:
    window_key = f"rl:{key}:{int(time.time() // seconds)}"
    if cache.add(window_key, 1, seconds + 1):
        return 1
    try:
        return cache.incr(window_key)
    except ValueError:  # expired between add and incr
        cache.set(window_key, 1, seconds + 1)
        return 1


def within_limit(request, action: str, *, key: str | None = None) -> bool:
    """Count this request against ``action``'s rates; False when one is exceeded."""
    cache = caches[CACHE_FOR.get(action, "default")]
    for rate in parse_rates(settings.RATE_LIMITS.get(action, "")):
        if rate.per == "ip":
            who = client_ip(request) or "unknown"
        elif rate.per == "user":
            if not request.user.is_authenticated:
                continue
            who = str(request.user.pk)
        else:
            who = key or ""
        # Hashed: the key comes from the address bar, and a cache may refuse odd keys.
        digest = hashlib.sha256(who.encode()).hexdigest()[:32]
        if (
            _count(cache, f"{action}:{rate.per}:{rate.seconds}:{digest}", rate.seconds)
            > rate.amount
        ):
            return False
    return True


def too_many(request):
    response = render(request, "429.html", status=429)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
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
