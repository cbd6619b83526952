"""Benchmark "calendar feed": one lawyer's feed with 2,000 appointments in its window.

The data set: an office with five lawyers, each with 2,000 appointments in the feed's
window (half-hour slots from 08:00 to 18:00 every day, from 25 days ago onwards; one in
twenty cancelled within the last few days, one in five by phone), 500 residents with
names and mobile numbers. Days are counted from today, because the server computes the
window from its own clock.

In one process: the whole answer to a fetch without validators, timed in its parts —
the feed row and the validators (``get_feed_state``), the appointments
(``list_feed_appointments``), the body (``lawyer_calendar``) — for each privacy level,
with what ``get_feed_state`` keeps per process already there (as in a server that
serves the feed), and the queries it makes, cold and warm. Aim: at most 150 ms (median).

Under gunicorn (``bench/pages.py``'s server, client and settings): a calendar app asking
again with the ETag it holds (``If-None-Match``), answered 304, beside the bare view in
the same run; the two take turns, as the pages benchmark's URLs do. Aim: at least 80 %
of the bare view's rate. The 200 answer with the body is measured once after the rounds,
for scale.
"""

import os
import random
import shutil
import statistics
import sys
from datetime import datetime, time, timedelta
from functools import partial

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from bench import Timing, measure, pages
from bench.slots import unique_references
from booking import feed_selectors, ical
from booking.models import (
    Appointment,
    CalendarFeed,
    FeedPrivacy,
    Lawyer,
    Mode,
    Office,
    Status,
    Topic,
)
from booking.services.calendar import get_or_create_feed, set_feed_privacy

LAWYERS = 5
PER_LAWYER = 2_000
RESIDENTS = 500
FIRST_DAY_BACK = 25
DAY_HOURS = (time(8), time(18))
MAX_MEDIAN_MS = 150
MIN_SHARE = 0.80


def build() -> Lawyer:
    """The data set; the lawyer whose feed is measured."""
    rng = random.Random(2026)
    tz = timezone.get_default_timezone()
    now = timezone.now()
    today = timezone.localdate()
    topic = Topic.objects.get(code="family")
    references = unique_references()
    password = make_password(None)
    with transaction.atomic():
        office = Office.objects.create(
            name="Bench office (calendar feed)",
            slug="bench-feed",
            address="湖南省某县测试镇人民路 1 号",
            phone="0731-00000000",
            time_zone=str(tz),
        )
        residents = User.objects.bulk_create(
            User(
                display_name=f"居民{i}",
                phone=f"+86147{i:08d}",  # apart from the demo office and the other benchmarks
                phone_verified=True,
                password=password,
            )
            for i in range(RESIDENTS)
        )
        users = User.objects.bulk_create(
            User(
                email=f"lawyer{i}@feed.bench.invalid",
                display_name=f"律师{i}",
                role=Role.LAWYER,
                password=password,
            )
            for i in range(LAWYERS)
        )
        staff = Lawyer.objects.bulk_create(Lawyer(user=user) for user in users)
        Lawyer.offices.through.objects.bulk_create(
            Lawyer.offices.through(lawyer=lawyer, office=office) for lawyer in staff
        )
        slots_per_day = (DAY_HOURS[1].hour - DAY_HOURS[0].hour) * 2
        first = datetime.combine(today - timedelta(days=FIRST_DAY_BACK), DAY_HOURS[0], tz)
        starts = [
            first + timedelta(days=n // slots_per_day, minutes=30 * (n % slots_per_day))
            for n in range(PER_LAWYER)
        ]
        for lawyer in staff:
            appointments = []
            for n, start in enumerate(starts):
                cancelled = n % 20 == 7
                appointments.append(
                    Appointment(
                        reference=next(references),
                        resident=rng.choice(residents),
                        lawyer=lawyer,
                        office=office,
                        topic=topic,
                        starts_at=start,
                        ends_at=start + timedelta(minutes=30),
                        mode=Mode.PHONE if n % 5 == 0 else Mode.IN_PERSON,
                        status=Status.CANCELLED if cancelled else Status.BOOKED,
                        cancelled_at=now - timedelta(days=n % 7) if cancelled else None,
                        summary="邻居占了我家的宅基地",
                        opposing_party="王五",
                        dialect="湘语" if n % 9 == 0 else "",
                        needs_interpreter=n % 31 == 0,
                        sequence=n % 3,
                    )
                )
            Appointment.objects.bulk_create(appointments, batch_size=1_000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return staff[0]


def whole_feed(*, key: str, secret: str, origin: str, host: str) -> bytes:
    """What the view does for a fetch without validators."""
    state = feed_selectors.get_feed_state(key=key, secret=secret)
    return ical.lawyer_calendar(
        state, feed_selectors.list_feed_appointments(state), origin=origin, host=host
    )


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def in_process(feed: CalendarFeed) -> tuple[list[str], str, int, int, Timing]:
    """Rows of the timing table, the query counts, events, bytes, and the main timing."""
    origin, host = "https://feed.bench.invalid", "feed.bench.invalid"
    rows = []
    main = None
    for privacy in (FeedPrivacy.DEFAULT, FeedPrivacy.FULL):
        feed = set_feed_privacy(lawyer=feed.lawyer, privacy=privacy)
        call = partial(whole_feed, key=feed.key, secret=feed.secret, origin=origin, host=host)
        feed_selectors._KEPT.clear()  # as in a process that has not served this feed for a minute
        cold = count_queries(call)
        warm = count_queries(call)
        validators = count_queries(
            partial(feed_selectors.get_feed_state, key=feed.key, secret=feed.secret)
        )
        queries = (
            f"{cold} in a process that has not served the feed for a minute (the feed row "
            "with the schedule version; the lawyer's account; the window's count and latest "
            f"change; the appointments with their office and area of law), {warm} after "
            f"that; {validators} to answer 304"
        )
        body = call()
        state = feed_selectors.get_feed_state(key=feed.key, secret=feed.secret)
        appointments = feed_selectors.list_feed_appointments(state)
        if body.count(b"BEGIN:VEVENT") != state.events or state.events != len(appointments):
            raise RuntimeError("the feed does not hold the window's appointments")
        parts = [
            (
                "feed row and validators (`get_feed_state`)",
                partial(feed_selectors.get_feed_state, key=feed.key, secret=feed.secret),
            ),
            (
                "appointments (`list_feed_appointments`)",
                partial(feed_selectors.list_feed_appointments, state),
            ),
            (
                "body (`lawyer_calendar`)",
                partial(ical.lawyer_calendar, state, appointments, origin=origin, host=host),
            ),
        ]
        whole = measure(call, repeat=30, warmup=3)
        rows.append(f"| **whole answer**, privacy `{privacy}` | {whole.row()} |")
        for label, part in parts:
            rows.append(f"| — {label} | {measure(part, repeat=30, warmup=3).row()} |")
        if privacy == FeedPrivacy.DEFAULT:
            main = (queries, state.events, len(body), whole)
    set_feed_privacy(lawyer=feed.lawyer, privacy=FeedPrivacy.DEFAULT)
    count, events, size, whole = main
    return rows, count, events, size, whole


def under_gunicorn(feed: CalendarFeed) -> tuple[list[str], float, int, str]:
    """Rows of the rate table, the 304 rate's share of the bare view's, errors, and the
    client and load description."""
    path = reverse("booking:calendar_feed", kwargs={"key": feed.key, "secret": feed.secret})
    bare_path = reverse("bench_bare", urlconf="bench.urls")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    connections.close_all()
    with pages.gunicorn() as port:
        # The validators as the server computes them: the same function, the same origin.
        state = feed_selectors.get_feed_state(key=feed.key, secret=feed.secret)
        etag = state.etag(origin=f"http://{pages.HOST}:{port}")
        connections.close_all()
        # The bare view and the 304 take turns; the full answer comes once at the end,
        # so that its long requests, still running when wrk stops, hold up neither.
        targets = [
            ("bare Django view, a constant", bare_path, {}, 200),
            ("feed, `If-None-Match` of the current ETag → 304", path, {"If-None-Match": etag}, 304),
            ("feed, no validators → 200 with the body (after the rounds)", path, {}, 200),
        ]
        answers = [pages.fetch(port, url, headers) for _, url, headers, _ in targets]
        for _, url, headers, expect in targets[:2]:
            pages.wrk(port, url, pages.WARMUP_SECONDS, headers, expect)
        rounds: list[list[pages.Load]] = [[] for _ in targets]
        for number in range(pages.ROUNDS):
            print(f"bench: feed, round {number + 1} of {pages.ROUNDS}…", file=sys.stderr)
            for (_, url, headers, expect), loads in zip(targets[:2], rounds[:2], strict=True):
                loads.append(pages.wrk(port, url, pages.ROUND_SECONDS, headers, expect))
        _label, url, headers, expect = targets[2]
        rounds[2].append(pages.wrk(port, url, pages.ROUNDS * pages.ROUND_SECONDS, headers, expect))
    measured = [
        pages.Measured(status, len(body), tuple(loads))
        for (status, body), loads in zip(answers, rounds, strict=True)
    ]
    bare = measured[0]
    rows = []
    errors = 0
    for (label, url, _headers, expect), result in zip(targets, measured, strict=True):
        rates = [load.rate for load in result.rounds]
        unexpected = sum(load.not_200 for load in result.rounds)
        sockets = sum(load.socket_errors for load in result.rounds)
        first = "" if result.status == expect else f" (**first answer: {result.status}**)"
        errors += unexpected + sockets + (result.status != expect)
        shown = url if len(url) < 40 else url[:32] + "…"
        rows.append(
            f"| {label}{first} | `{shown}` | {expect} | {result.size:,} | {result.requests:,} "
            f"| **{result.rate:,.0f}** | {min(rates):,.0f}–{max(rates):,.0f} "
            f"| {statistics.median(load.p50_us for load in result.rounds) / 1000:.1f} "
            f"| {max(load.p99_us for load in result.rounds) / 1000:.1f} "
            f"| {unexpected:,} | {sockets:,} | {result.rate / bare.rate:.0%} |"
        )
    client = (
        f"Client: {pages.wrk_version()}, 1 thread, {pages.CONNECTIONS} keep-alive connections. "
        f"The bare view and the 304: a {pages.WARMUP_SECONDS} s warm-up each, then "
        f"{pages.ROUNDS} rounds of {pages.ROUND_SECONDS} s in which they take turns; the "
        f"200 answer: one run of {pages.ROUNDS * pages.ROUND_SECONDS} s after the rounds. "
        f"Load average before: {load}."
    )
    return rows, measured[1].rate / bare.rate, errors, client


def run() -> str:
    print("bench: building the calendar-feed data set…", file=sys.stderr)
    lawyer = build()
    feed = get_or_create_feed(lawyer=lawyer)
    rows, queries, events, size, whole = in_process(feed)
    ok_time = "yes" if whole.median <= MAX_MEDIAN_MS else "**NO**"
    parts = [
        "### Calendar feed",
        "",
        f"One lawyer's feed: {events:,} events in its window (from {FIRST_DAY_BACK} days ago, "
        f"{PER_LAWYER // 20:,} of them cancelled in the last week), five lawyers with "
        f"{PER_LAWYER:,} appointments each in the table, {RESIDENTS} residents. In one "
        "process, 3 warm-up calls, then 30 timed.",
        "",
        "| call | min ms | median ms | p95 ms |",
        "|---|---:|---:|---:|",
        *rows,
        "",
        f"Queries: {queries}. Body: {size:,} bytes. Aim: whole answer (default privacy) "
        f"≤ {MAX_MEDIAN_MS} ms: {ok_time} ({whole.median:.1f} ms).",
    ]
    if shutil.which(pages.WRK) is None:
        parts += ["", "Under gunicorn: not measured, `wrk` is not installed (Debian: wrk)."]
        return "\n".join(parts)
    print("bench: collecting static files for the feed's server…", file=sys.stderr)
    call_command("collectstatic", interactive=False, verbosity=0)
    rate_rows, share, errors, client = under_gunicorn(feed)
    ok_share = "yes" if share >= MIN_SHARE else "**NO**"
    summary = (
        "Errors: none (every answer had the expected status, no socket errors)."
        if not errors
        else f"**THIS RUN HAD {errors:,} UNEXPECTED ANSWERS OR SOCKET ERRORS.**"
    )
    parts += [
        "",
        "Under gunicorn, the pages benchmark's server and settings "
        f"(`gunicorn {' '.join(pages.GUNICORN_ARGS)}`, {pages.WORKERS} workers). " + client,
        "",
        "| request | path | expected | bytes | requests | req/s | req/s of the rounds "
        "| median ms | p99 ms | unexpected | socket errors | of bare rate |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rate_rows,
        "",
        summary,
        "",
        f"Aim: 304 answers at ≥ {MIN_SHARE:.0%} of the bare view's rate: {ok_share} ({share:.0%}).",
    ]
    return "\n".join(parts)
