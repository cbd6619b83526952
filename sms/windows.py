"""Sliding windows that count hits in a cache, and the rates they are held to.

The web side's rate limits (booking/ratelimit.py, its reasoning in its docstring) and
the sign-in codes' limits (sms/code_limits.py) both count with these; nothing here
knows of a request. A window is kept as counters of a tenth of it each (of an hour for
windows longer than ten hours), and a hit counts what the counters of the window and
the one before it hold, so no window of that length ever holds more than its limit.
Rates are written as allauth's: ``"60/10m/ip,12/10m/user"``.
"""

import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
BUCKETS = 10
MAX_BUCKET_SECONDS = 3600


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int
    per: str  # "ip", "user" or "key"


def parse_rates(text: str, *, per: str | None = None) -> list[Rate]:
    """``"2/h,3/d"`` takes its ``per`` from the argument; ``"2/h/ip"`` names its own."""
    rates = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        amount, duration, *named = part.split("/")
        unit = duration[-1]
        seconds = int(float(duration[:-1] or 1) * UNITS[unit])
        who = named[0] if named else per
        if who not in {"ip", "user", "key"} or len(named) > 1:
            raise ValueError(part)
        rates.append(Rate(int(amount), seconds, who))
    return rates


def network_of(ip: str | None) -> str:
    """The network an address stands for: an IPv4 address itself, an IPv6 address its /64."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        prefix = getattr(settings, "ALLAUTH_RATE_LIMIT_IPV6_PREFIX", 64)  # allauth's too
        network = ipaddress.IPv6Network(f"{address}/{prefix}", strict=False)
        return str(network)
    return str(address)


def _buckets(key: str, seconds: int, now: float) -> tuple[list[str], float]:
    """The keys of the counters a request at ``now`` counts, oldest first, and their width."""
    width = min(seconds / BUCKETS, MAX_BUCKET_SECONDS)
    count = math.ceil(seconds / width)
    current = int(now // width)
    return [f"rl:{key}:{seconds}:{i}" for i in range(current - count, current + 1)], width


def count_hits(cache, key: str, seconds: int, *, now: float | None = None) -> int:
    """How many hits the window of ``seconds`` ending at ``now`` holds."""
    keys, _width = _buckets(key, seconds, time.time() if now is None else now)
    return sum(cache.get_many(keys).values())


def add_hit(cache, key: str, seconds: int, *, now: float | None = None) -> None:
    keys, width = _buckets(key, seconds, time.time() if now is None else now)
    current, timeout = keys[-1], math.ceil(seconds + width) + 1
    if cache.add(current, 1, timeout):
        return
    try:
        cache.incr(current)
    except ValueError:  # expired between add and incr
        cache.set(current, 1, timeout)


def free_at(cache, key: str, seconds: int, amount: int, *, now: float | None = None) -> float:
    """When the window holds fewer than ``amount`` hits again, if no one is let in meanwhile
    (a timestamp; ``now`` when it already does)."""
    now = time.time() if now is None else now
    if amount <= 0:
        return now + seconds  # none allowed: as far as one can see
    keys, width = _buckets(key, seconds, now)
    counts = cache.get_many(keys)
    left = sum(counts.values())
    if left < amount:
        return now
    first = int(now // width) - (len(keys) - 1)
    for offset, bucket in enumerate(keys):
        left -= counts.get(bucket, 0)
        if left < amount:
            # A counter drops out when it is older than the window's count of counters.
            return (first + offset + len(keys)) * width
    return now + seconds + width  # not reached: the oldest counter empties the window
