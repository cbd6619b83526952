"""How many sign-in codes may go, to a number and from a network, and until when not.

A code is what lets a resident in, so whoever can make a number's codes run out keeps
its resident out; and every code costs money, so whoever can make codes flow runs up
the bill. The limits, all over sliding windows:

- **per number, the SMS provider's own** limits on verification codes (Aliyun: 1 a
  minute, 5 an hour, 10 a day; ``SMS_CODES_PER_NUMBER``, ``SMS_DAILY_CAP_PER_NUMBER``):
  no code is queued that the provider would refuse.
- **per number and network** (``SMS_CODES_PER_NUMBER_PER_IP``): one network gets only a
  share of a number's codes, so that someone asking for a resident's codes from one
  place cannot use them up.
- **per number, for new browsers** (``SMS_CODES_PER_NUMBER_FOR_NEW_BROWSERS``): browsers
  that have never signed in with the number share part of its codes; the rest is kept
  for the browsers its resident has signed in on (``known_browser``, from a signed
  cookie the adapter keeps), so that strangers on many networks cannot use those up
  either. A known browser is held to the provider's limits and the ceiling only.
- **per network** (``SMS_CODES_PER_IP_PER_HOUR``, an IPv6 network being its /64): it
  bounds what one place can spend, and must never shut out a place many residents
  share: the office's kiosk, a village's Wi-Fi, a carrier's shared IPv4 address. A
  busy day at a township's justice office is some 40 consultations, and as many
  residents again may sign in at its kiosk to book or look; with a code that did not
  arrive and a new one, that is about 100 codes in the whole day. A village's Wi-Fi
  serves far fewer of the township's residents, and a carrier's shared address no more
  than all of them, whose codes the whole site counts in the low hundreds a day. So the
  limit is 150 an hour: a busy place's whole day fits in any one hour, and one place
  still cannot spend more than half the ceiling. Browsers that have signed in with the
  number are never refused by it.
- **all codes together** (``SMS_CODES_PER_HOUR_CEILING``): the ceiling of the bill;
  the adapter alerts the operator when it refuses (accounts.services).

The limits per number are counted from the outbox: only sign-in codes, only those that
went or may still go, each row keeping a digest of the network that asked and whether
the browser was new (``marks``; no SMS carries them). Nothing a stranger does to a cache
can wipe those counts. The two others count in the shared cache (sms/windows.py).

Every refusal says until when, as a time of day in the site's zone, and what else to do.
Known limits: strangers on several networks can still take the codes kept for new
browsers (the resident is told until when, and to call the office); a staff member's
number, which gets no code, never reaches the limits per number; the database cache
drops entries beyond its ``MAX_ENTRIES``, which lets a network or the whole site have
more codes than its limit, never a number more than the provider's.
"""

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from sms.models import Kind, Message, MessageStatus
from sms.windows import Rate, add_hit, count_hits, free_at, network_of, parse_rates

DAY = dt.timedelta(days=1)

CODE_JUST_SENT = _(
    "A code was sent to this number less than a minute ago. If it has not arrived, "
    "please ask for a new one after %(time)s."
)
TOO_MANY_CODES_FOR_NUMBER = _(
    "This number has had as many codes as it may have for now. Please try again after "
    "%(time)s, or call the office: the desk can book for you."
)
DAILY_CAP_REACHED = _(
    "This number has had the most sign-in codes allowed in one day. Please try again "
    "after %(time)s, or call the office: the desk can book for you."
)
TOO_MANY_CODES_FROM_HERE = _(
    "Too many codes were asked for from this network. Please try again after %(time)s, "
    "use another connection (such as mobile data), or call the office."
)
CODES_PAUSED = _(
    "The site is sending no more codes for a while. Please try again after %(time)s, "
    "or call the office: the desk can book for you."
)
TOMORROW_AT = _("tomorrow at %(time)s")

# Which limit refused, for the security log; the message the resident gets.
NUMBER_MINUTE = "number, per minute"
NUMBER = "number"
NUMBER_DAY = "number, per day"
NUMBER_FROM_NETWORK = "number, from one network"
NUMBER_FOR_NEW_BROWSERS = "number, for new browsers"
NETWORK = "network"
CEILING = "ceiling"
MESSAGES = {
    NUMBER_MINUTE: CODE_JUST_SENT,
    NUMBER: TOO_MANY_CODES_FOR_NUMBER,
    NUMBER_DAY: DAILY_CAP_REACHED,
    NUMBER_FROM_NETWORK: TOO_MANY_CODES_FOR_NUMBER,
    NUMBER_FOR_NEW_BROWSERS: TOO_MANY_CODES_FOR_NUMBER,
    NETWORK: TOO_MANY_CODES_FROM_HERE,
    CEILING: CODES_PAUSED,
}


@dataclass(frozen=True)
class Refusal:
    limit: str
    until: dt.datetime

    @property
    def message(self) -> str:
        """What the resident reads, in the active language."""
        return str(MESSAGES[self.limit]) % {"time": format_until(self.until)}


def format_until(moment: dt.datetime, *, now: dt.datetime | None = None) -> str:
    """``"08:06"``, or ``"tomorrow at 08:06"``: the site's time, never before ``moment``."""
    local = timezone.localtime(moment)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    time = local.strftime("%H:%M")
    today = timezone.localtime(now or timezone.now()).date()
    if local.date() <= today:
        return time
    return str(TOMORROW_AT) % {"time": time}


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _network_mark(ip: str | None) -> str:
    """What a code's outbox row keeps of the network that asked: a keyed digest, short
    enough to tell one number's askers apart and to learn nothing from."""
    network = network_of(ip)
    if not network:
        return ""
    return salted_hmac("sms.code_limits.network", network, algorithm="sha256").hexdigest()[:12]


def marks(*, ip: str | None, known_browser: bool) -> dict[str, object]:
    """Kept with a code's outbox row (``Message.params``; no SMS carries them), so that
    the limits per number are counted from the outbox alone."""
    return {"asked_from": _network_mark(ip), "new_browser": not known_browser}


def _rates(text: str) -> list[Rate]:
    return parse_rates(text, per="key")


def _limits_per_number(*, ip: str | None, known_browser: bool):
    """(limit, rate, which of the number's codes count) for the limits per number."""
    everyone = lambda _params: True  # noqa: E731
    for rate in _rates(settings.SMS_CODES_PER_NUMBER):
        yield NUMBER_MINUTE if rate.seconds <= 60 else NUMBER, rate, everyone
    day = Rate(settings.SMS_DAILY_CAP_PER_NUMBER, int(DAY.total_seconds()), "key")
    yield NUMBER_DAY, day, everyone
    if known_browser:
        return
    network = _network_mark(ip)
    if network:
        for rate in _rates(settings.SMS_CODES_PER_NUMBER_PER_IP):
            yield NUMBER_FROM_NETWORK, rate, lambda params: params.get("asked_from") == network
    for rate in _rates(settings.SMS_CODES_PER_NUMBER_FOR_NEW_BROWSERS):
        yield NUMBER_FOR_NEW_BROWSERS, rate, lambda params: params.get("new_browser", True)


def _counters(*, ip: str | None, known_browser: bool = False):
    """The counters in the shared cache that apply: (limit, key, rate).

    Every code counts for its network, but a browser that has signed in with the number
    is never refused by it: the resident at the kiosk or on the village's Wi-Fi whose
    phone has been here before gets in whatever strangers there have asked for.
    """
    network = network_of(ip)
    if network and not known_browser:
        key = f"sms-codes:network:{_digest(network)}"
        yield NETWORK, key, Rate(settings.SMS_CODES_PER_IP_PER_HOUR, 3600, "ip")
    yield CEILING, "sms-codes:all", Rate(settings.SMS_CODES_PER_HOUR_CEILING, 3600, "key")


def _codes_sent_to(phone: str, *, now: dt.datetime) -> list[tuple[dt.datetime, dict]]:
    """The sign-in codes of the last day that went to ``phone``, or may still go: when
    they were queued and their parameters, newest first."""
    return list(
        Message.objects.filter(
            recipient=phone, kind=Kind.LOGIN_CODE, created_at__gt=now - DAY, created_at__lte=now
        )
        .exclude(status__in=[MessageStatus.SKIPPED, MessageStatus.FAILED])
        .order_by("-created_at")
        .values_list("created_at", "params")
    )


def refusal(*, phone: str, ip: str | None, known_browser: bool, now: dt.datetime) -> Refusal | None:
    """The limit that refuses a code to ``phone`` asked for from ``ip`` now, None if none.

    Of several, the one that lasts longest, so that the time the resident is given holds.
    """
    refusals = []
    sent = _codes_sent_to(phone, now=now)
    for limit, rate, counts in _limits_per_number(ip=ip, known_browser=known_browser):
        window = dt.timedelta(seconds=rate.seconds)
        recent = [at for at, params in sent if at > now - window and counts(params)]
        if len(recent) >= rate.amount:
            # When the oldest of the last ``amount`` leaves the window.
            until = recent[rate.amount - 1] + window if rate.amount > 0 else now + window
            refusals.append(Refusal(limit, until))
    stamp = now.timestamp()
    for limit, key, rate in _counters(ip=ip, known_browser=known_browser):
        if count_hits(cache, key, rate.seconds, now=stamp) >= rate.amount:
            free = free_at(cache, key, rate.seconds, rate.amount, now=stamp)
            until = dt.datetime.fromtimestamp(math.ceil(free), tz=dt.UTC)
            refusals.append(Refusal(limit, until))
    return max(refusals, key=lambda refused: refused.until, default=None)


def record(*, ip: str | None, now: dt.datetime) -> None:
    """Count a code queued (the outbox row counts itself for its number)."""
    stamp = now.timestamp()
    for _limit, key, rate in _counters(ip=ip):
        add_hit(cache, key, rate.seconds, now=stamp)
