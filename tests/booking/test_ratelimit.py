"""The windows of booking/ratelimit.py: they slide, an IPv6 network counts as one
address, and the time a limit frees is never too early."""

import random
from http import HTTPStatus

import pytest
from django.core.cache import caches

from booking.ratelimit import add_hit, count_hits, free_at, network_of
from tests.booking.test_rate_limits import post_booking
from tests.conftest import NOW, local
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("10.1.2.3", "10.1.2.3"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:10.1.2.3", "10.1.2.3"),
        ("", ""),
        (None, ""),
    ],
)
def test_an_address_counts_as_its_network(address, network):
    assert network_of(address) == network


def test_booking_posts_across_the_hour_count_together(client, lawyer, settings, time_machine):
    """Two at 08:59 and none more at 09:01: a fixed clock hour would allow two more."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "book": "2/h/ip"}
    time_machine.move_to(local(NOW.date(), 8, 59), tick=False)
    for hour in (10, 11):
        client.force_login(UserFactory())
        assert post_booking(client, lawyer, hour).status_code == HTTPStatus.FOUND
    time_machine.move_to(local(NOW.date(), 9, 1), tick=False)
    client.force_login(UserFactory())

    assert post_booking(client, lawyer, 9).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_booking_posts_from_one_ipv6_network_count_together(client, lawyer, settings, frozen_clock):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "book": "2/h/ip"}
    answers = []
    for host, hour in [("1", 10), ("2", 11), ("3", 9)]:
        client.force_login(UserFactory())
        client.defaults["REMOTE_ADDR"] = f"2001:db8:5:6::{host}"
        answers.append(post_booking(client, lawyer, hour).status_code)

    assert answers == [HTTPStatus.FOUND, HTTPStatus.FOUND, HTTPStatus.TOO_MANY_REQUESTS]


@pytest.mark.parametrize(("amount", "seconds"), [(3, 60), (5, 3600), (7, 86400)])
def test_no_window_ever_holds_more_than_the_limit_and_the_free_time_holds(amount, seconds):
    """Requests at random times over three windows, let in while the count allows."""
    cache = caches["ratelimit"]
    shuffle = random.Random(f"{amount}/{seconds}")
    start = NOW.timestamp()
    times = sorted(start + shuffle.uniform(0, 3 * seconds) for _ in range(40 * amount))
    allowed = []
    for at in times:
        if count_hits(cache, "probe", seconds, now=at) < amount:
            add_hit(cache, "probe", seconds, now=at)
            allowed.append(at)
        else:
            free = free_at(cache, "probe", seconds, amount, now=at)
            assert free > at
            assert count_hits(cache, "probe", seconds, now=free) < amount
    for at in allowed:
        assert sum(1 for other in allowed if at - seconds < other <= at) <= amount
    # And the windows do not hold more back than a tenth of their length.
    assert len(allowed) >= amount * 3 * 10 // 11 - amount
