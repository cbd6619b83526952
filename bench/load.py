"""Load test: residents browsing and booking at once against gunicorn and PostgreSQL.

    python -m bench.load --seconds 60      # `make load` (LOAD_SECONDS=… to change)

Needs the empty PostgreSQL database named by DATABASE_URL (`make load` starts a
throwaway cluster with scripts/with-postgres); the site's tables are created and filled
there, so a database that already has tables is refused, as in bench/run.py.

Data: the demo office (``manage.py demo``) and ``--residents`` more residents (200), each
with a signed-in session made directly in the session store, as ``Client.force_login``
does: the sign-in by SMS code is not part of the test. The office's pause after repeated
late cancellations is switched off, since these residents cancel to book again.

Server: gunicorn on a free port of 127.0.0.1 with the benchmark server's settings
without the limits on booking per address and per account (bench/load_settings.py:
every simulated resident comes from 127.0.0.1); production settings otherwise, but for
plain HTTP on loopback.

Client: one Python process, asyncio and aiohttp (already installed with the SMS SDKs),
all on 127.0.0.1. Not locust: it would add gevent and a dozen packages for what a few
classes do here, and its time-bounded headless run would still need this module's data
set, server and checks around it; one event loop also leaves more of the two cores to
the server than a thread per simulated person would. Each simulated person has a
keep-alive connection and cookies of its own, pauses between pages as a reader does, and
follows the pages as a browser would: links and forms are read from the HTML, forms are
posted with their CSRF token.

- Visitors (``--browsers``, not signed in): home page, the booking button, the areas of
  law, the free times of one, sometimes another day.
- Residents (``--bookers`` at once, each flow as one of the residents at random, so
  that one resident now and then books in two tabs): the slot page (sometimes filtered
  to one lawyer), one of the first few times offered — everyone aims at the same few
  times, so that bookings race — the details form, its review, the confirmation, the
  appointment's page. A time taken meanwhile is a correct answer, counted apart. A
  resident who holds the most bookings allowed cancels the latest one instead.

Every flow starts before the end of ``--seconds`` and runs to its end. Then the database
is checked: no two active appointments of one lawyer overlap, no resident holds (or held
at any moment of the run) more than the office's ``max_active_bookings``, and the
bookings in the database are the bookings answered. The figures are printed and written
to the "Load test" section of bench/RESULTS.md (bench.run.write_section keeps the other
sections); the exit status is 1 if an answer was a 5xx, a connection failed, a page was
not the one a browser would get, or a check failed.
"""

import argparse
import asyncio
import html
import io
import math
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlencode, urlsplit

import aiohttp

from bench import run

HOST = "127.0.0.1"
SECTION = "Load test"
DEFAULT_SECONDS = 60
RESIDENTS = 200
BROWSERS = 20
BOOKERS = 20
# 4 processes on 2 cores: while one waits for a lock or a query, another runs, so that
# bookings of the same time really meet in the database.
WORKERS = 4
GUNICORN_ARGS = [
    *("--workers", str(WORKERS), "--worker-class", "gthread", "--threads", "1"),
    # Keep-alive longer than any pause between pages (gunicorn's default is 2 s), as a
    # proxy in front would keep its connections.
    *("--keep-alive", "30"),
    "config.wsgi:application",
]
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.load_settings",
    "DEBUG": "0",
    "ALLOWED_HOSTS": HOST,
    "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback, as in bench/pages.py
}
THINK_SECONDS = (0.2, 1.0)  # a pause between two pages, drawn evenly
FIRST_TIMES = 3  # residents pick one of the first times offered on the day shown
ONE_LAWYER_SHARE = 0.3  # residents who first filter the times to one lawyer
ANOTHER_DAY_SHARE = 0.5  # visitors who look at a second day
# Areas of law the residents book, with lawyers in common (demo: 周明华 takes both of the
# first two), so that two areas race for one lawyer's time too.
BOOK_TOPICS = ("neighbours", "family", "labour")
ACCEPT_LANGUAGE = "zh-CN,zh;q=0.9"  # a phone set to Chinese; the site answers zh-hans
DRAIN_SECONDS = 60  # the most that flows under way may take after the end
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
GIVEN_NAMES = ["秀英", "建国", "桂兰", "志强", "春梅", "德福", "丽华", "国平", "冬梅", "海军"]
SUMMARIES = [
    "邻居建房占了我家的出路。",
    "对方一直不给孩子抚养费。",
    "老板拖欠工资两个月。",
    "",
]
OTHER_PARTIES = ["", "", "", "湘潭某建筑公司"]

# Outcomes of a resident's flow, in the order of the report.
BOOKED = "booked (302 to the appointment)"
TAKEN_FORM = "time taken: answered at the details form"
TAKEN_REVIEW = "time taken: answered at the review"
TAKEN_CONFIRM = "time taken: answered at the confirmation"
LIMIT = "limit reached after the slot page (the same resident booking in two tabs)"
CANCELLED = "at the limit on the slot page: cancelled the latest booking"
CANCEL_REFUSED = "at the limit: cancellation refused (already cancelled in another tab)"
NOTHING_TO_CANCEL = "at the limit on the slot page, nothing cancellable online"
NO_TIMES = "no free time offered"
OUTCOMES = [
    BOOKED,
    TAKEN_FORM,
    TAKEN_REVIEW,
    TAKEN_CONFIRM,
    LIMIT,
    CANCELLED,
    CANCEL_REFUSED,
    NOTHING_TO_CANCEL,
    NO_TIMES,
]
TAKEN = (TAKEN_FORM, TAKEN_REVIEW, TAKEN_CONFIRM)


# --- the data set --------------------------------------------------------------------


@dataclass(frozen=True)
class Resident:
    pk: int
    session_key: str


@dataclass(frozen=True)
class Data:
    office_slug: str
    office_name: str
    max_active: int
    lawyers: int
    topics: tuple[str, ...]
    residents: tuple[Resident, ...]
    session_cookie: str
    appointments_before: int


def prepare(residents: int) -> Data:
    """The demo office, ``residents`` residents with sessions, collected static files."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils.module_loading import import_string

    from accounts.models import Role, User
    from booking import selectors
    from booking.management.commands.demo import OFFICE as DEMO_OFFICE
    from booking.models import Appointment, Office

    call_command("demo", stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)
    office = Office.objects.get(name=DEMO_OFFICE["name"])
    office.cooldown_strikes = 0
    office.save(update_fields=["cooldown_strikes"])
    bookable = [topic.code for topic in selectors.list_bookable_topics(office=office)]
    topics = tuple(code for code in BOOK_TOPICS if code in bookable) or tuple(bookable[:3])

    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    backend = settings.AUTHENTICATION_BACKENDS[0]
    rng = random.Random(2026)
    made = []
    with transaction.atomic():
        for number in range(1, residents + 1):
            user = User.objects.create_user(
                phone=f"+8613700{number:06d}",
                phone_verified=True,
                display_name=rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
                role=Role.RESIDENT,
            )
            # What django.contrib.auth.login() stores, without its request.
            session = store()
            session[SESSION_KEY] = user._meta.pk.value_to_string(user)
            session[BACKEND_SESSION_KEY] = backend
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            made.append(Resident(user.pk, session.session_key))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Data(
        office_slug=office.slug,
        office_name=office.name,
        max_active=office.max_active_bookings,
        lawyers=office.lawyers.count(),
        topics=topics,
        residents=tuple(made),
        session_cookie=settings.SESSION_COOKIE_NAME,
        appointments_before=Appointment.objects.count(),
    )


# --- the server ----------------------------------------------------------------------


def gunicorn():
    """gunicorn with the load test's settings on a free loopback port (bench/pages.py)."""
    from bench import pages

    return pages.gunicorn(args=GUNICORN_ARGS, env=SERVER_ENV)


# --- reading pages as a browser does ----------------------------------------------------


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    checkboxes: list[str] = field(default_factory=list)  # unticked: not sent unless ticked
    selects: dict[str, list[str]] = field(default_factory=dict)


class FormReader(HTMLParser):
    """The forms of a page: what a browser would send from each, before anyone types."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(action=attrs.get("action", "")))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind == "checkbox":
                if "checked" in attrs:
                    form.fields.append((name, attrs.get("value", "on")))
                else:
                    form.checkboxes.append(name)
            elif kind in ("submit", "button"):
                form.buttons.append((name, attrs.get("value", "")))
            else:
                form.fields.append((name, attrs.get("value", "")))
        elif tag == "button" and name:
            form.buttons.append((name, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select = name
            form.selects[name] = []
        elif tag == "option" and self._select is not None:
            form.selects[self._select].append(attrs.get("value", ""))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None and self.forms:
            self.forms[-1].fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None


def forms(body: str) -> list[Form]:
    reader = FormReader()
    reader.feed(body)
    reader.close()
    return reader.forms


def form_with_button(body: str, name: str, value: str) -> Form | None:
    return next((form for form in forms(body) if (name, value) in form.buttons), None)


def links(body: str, pattern: str) -> list[str]:
    """Distinct link targets matching ``pattern``, in the order of the page."""
    found = [html.unescape(href) for href in re.findall(r'href="([^"]+)"', body)]
    return list(dict.fromkeys(href for href in found if re.match(pattern, href)))


@dataclass(frozen=True)
class Titles:
    """Headings (as the site renders them in Chinese) that tell the pages apart."""

    taken: str
    limit: str

    @classmethod
    def load(cls) -> "Titles":
        from django.conf import settings
        from django.utils import translation
        from django.utils.html import escape

        with translation.override(settings.LANGUAGE_CODE):
            return cls(
                taken=f"<h1>{escape(translation.gettext('Please choose another time'))}</h1>",
                limit=f"<h1>{escape(translation.gettext('You cannot book more now'))}</h1>",
            )


# --- the simulated people ----------------------------------------------------------------


class FlowStopped(Exception):
    """An answer no browser should get (recorded already): this flow stops here."""


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    outcomes: Counter = field(default_factory=Counter)
    server_errors: int = 0
    connection_errors: int = 0
    unexpected: int = 0
    samples: list[str] = field(default_factory=list)
    first_request: float | None = None
    last_answer: float = 0.0
    load_after: str = ""  # the machine's load average at the end: others' work shows

    def problem(self, text: str) -> None:
        if len(self.samples) < 10:
            self.samples.append(text)
        print(f"load: {text}", file=sys.stderr)


@dataclass
class Answer:
    status: int
    body: str
    location: str


class Person:
    """One simulated person: a keep-alive connection, cookies, a random pause per page."""

    def __init__(self, session: aiohttp.ClientSession, base: str, stats: Stats, rng):
        self.session = session
        self.base = base
        self.stats = stats
        self.rng = rng
        self.cookies: dict[str, str] = {}

    async def think(self) -> None:
        await asyncio.sleep(self.rng.uniform(*THINK_SECONDS))

    async def request(
        self, label: str, path: str, *, data=None, expect=(200,), referer: str = ""
    ) -> Answer:
        method = "GET" if data is None else "POST"
        headers = {"Accept-Language": ACCEPT_LANGUAGE}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in self.cookies.items())
        body = None
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.base
            body = urlencode(data)
        if referer:
            headers["Referer"] = self.base + referer
        stats = self.stats
        started = time.monotonic()
        if stats.first_request is None:
            stats.first_request = started
        try:
            async with self.session.request(
                method, self.base + path, data=body, headers=headers, allow_redirects=False
            ) as response:
                text = await response.text()
                status = response.status
                set_cookies = response.headers.getall("Set-Cookie", [])
                location = response.headers.get("Location", "")
        except (aiohttp.ClientError, TimeoutError) as failure:
            stats.connection_errors += 1
            stats.problem(f"{label} {method} {path}: {failure!r}")
            raise FlowStopped from failure
        finished = time.monotonic()
        stats.last_answer = max(stats.last_answer, finished)
        stats.latencies[label].append(finished - started)
        stats.statuses[label][status] += 1
        self._keep_cookies(set_cookies)
        if status >= 500:
            stats.server_errors += 1
            stats.problem(f"{label} {method} {path}: {status}")
            raise FlowStopped
        if status not in expect:
            self.unexpected(f"{label} {method} {path}: {status}, expected {expect}")
        return Answer(status, text, location)

    def unexpected(self, text: str) -> None:
        self.stats.unexpected += 1
        self.stats.problem(f"unexpected answer: {text}")
        raise FlowStopped

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            jar = SimpleCookie()
            try:
                jar.load(header)
            except CookieError:
                continue
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.coded_value


class Visitor(Person):
    """Not signed in: looks at the office's areas of law and free times."""

    async def run(self) -> None:
        self.cookies = {}
        await self.request("browse: home page", "/")
        await self.think()
        answer = await self.request("browse: booking button", "/book/", expect=(200, 302))
        topics_path = urlsplit(answer.location).path if answer.status == 302 else None
        if topics_path is None:  # several offices: a list to choose from
            topics_path = self.rng.choice(links(answer.body, r"^/book/[^/]+/$"))
            await self.think()
        answer = await self.request("browse: areas of law", topics_path)
        choices = links(answer.body, r"^/book/[^/]+/[^/]+/$")
        if not choices:
            self.unexpected(f"no area of law on {topics_path}")
        await self.think()
        slots_path = self.rng.choice(choices)
        answer = await self.request("browse: free times", slots_path)
        days = links(answer.body, r"^\?.*day=")
        if days and self.rng.random() < ANOTHER_DAY_SHARE:
            await self.think()
            await self.request(
                "browse: free times, another day", slots_path + self.rng.choice(days)
            )


class Booker(Person):
    """A signed-in resident who books one of the first free times, as a browser does."""

    def __init__(self, *args, data: Data, titles: Titles, **kwargs):
        super().__init__(*args, **kwargs)
        self.data = data
        self.titles = titles

    def page(self, answer: Answer) -> str:
        if self.titles.taken in answer.body:
            return "taken"
        if self.titles.limit in answer.body:
            return "limit"
        return "other"

    def refused(self, answer: Answer, taken: str) -> bool:
        """Whether ``answer`` is a correct refusal (counted), not the next step."""
        outcome = {"taken": taken, "limit": LIMIT}.get(self.page(answer))
        if outcome:
            self.stats.outcomes[outcome] += 1
        return outcome is not None

    async def run(self) -> None:
        resident = self.rng.choice(self.data.residents)
        self.cookies = {self.data.session_cookie: resident.session_key}
        office = self.data.office_slug
        slots_path = f"/book/{office}/{self.rng.choice(self.data.topics)}/"
        answer = await self.request("book: free times", slots_path)
        times_pattern = rf"^/book/{office}/[^/]+/details/\?"
        times = links(answer.body, times_pattern)
        if not times and 'class="cta" href="/my/"' in answer.body:
            await self.think()
            await self.cancel_latest()
            return
        filters = next((form for form in forms(answer.body) if "lawyer" in form.selects), None)
        lawyers = [value for value in (filters.selects["lawyer"] if filters else []) if value]
        if lawyers and self.rng.random() < ONE_LAWYER_SHARE:
            await self.think()
            query = urlencode({"lawyer": self.rng.choice(lawyers), "mode": ""})
            answer = await self.request("book: free times", f"{slots_path}?{query}")
            times = links(answer.body, times_pattern)
        if not times:
            self.stats.outcomes[NO_TIMES] += 1
            return

        await self.think()
        chosen = self.rng.choice(times[:FIRST_TIMES])
        answer = await self.request("book: details form", chosen, referer=slots_path)
        if self.refused(answer, TAKEN_FORM):
            return
        form = form_with_button(answer.body, "step", "review")
        if form is None:
            self.unexpected(f"no details form at {chosen}")
        await self.think()
        answer = await self.request(
            "book: review", form.action, data=self.fill_in(form), referer=chosen
        )
        if self.refused(answer, TAKEN_REVIEW):
            return
        form = form_with_button(answer.body, "step", "confirm")
        if form is None:
            self.unexpected(f"no review after the details form of {chosen}")

        await self.think()
        answer = await self.request(
            "book: confirmation",
            form.action,
            data=[*form.fields, ("step", "confirm")],
            expect=(200, 302),
            referer=form.action,
        )
        if answer.status == 200:
            if not self.refused(answer, TAKEN_CONFIRM):
                self.unexpected(f"confirmation of {chosen}: neither booked nor refused")
            return
        appointment = urlsplit(answer.location).path
        if not re.fullmatch(r"/my/[^/]+/", appointment):
            self.unexpected(f"booking went to {answer.location}")
        self.stats.outcomes[BOOKED] += 1
        await self.request("book: appointment page", appointment)

    def fill_in(self, form: Form) -> list[tuple[str, str]]:
        """The details form as a resident fills it: the name is there, a few words more."""
        typed = {
            "summary": self.rng.choice(SUMMARIES),
            "opposing_party": self.rng.choice(OTHER_PARTIES),
        }
        fields = [(name, typed.get(name, value)) for name, value in form.fields]
        for box in form.checkboxes:
            if box == "privacy_accepted" or self.rng.random() < 0.1:
                fields.append((box, "on"))
        return [*fields, ("step", "review")]

    async def cancel_latest(self) -> None:
        """At the limit: my appointments, then cancel the latest one that can be."""
        answer = await self.request("book: my appointments", "/my/")
        cancels = links(answer.body, r"^/my/[^/]+/cancel/$")
        if not cancels:
            self.stats.outcomes[NOTHING_TO_CANCEL] += 1
            return
        await self.think()
        path = cancels[-1]  # upcoming ones come by time: the latest, most likely not late
        answer = await self.request("book: cancel page", path)
        form = next((form for form in forms(answer.body) if form.action == path), None)
        if form is None:
            self.cancel_refused(answer, path)
            return
        await self.think()
        answer = await self.request(
            "book: cancel", path, data=form.fields, expect=(200, 302), referer=path
        )
        if answer.status == 200:
            self.cancel_refused(answer, path)
            return
        self.stats.outcomes[CANCELLED] += 1
        await self.request("book: my appointments", urlsplit(answer.location).path)

    def cancel_refused(self, answer: Answer, path: str) -> None:
        """No cancel button, or a refusal: cancelled meanwhile in another tab."""
        if 'class="message error"' not in answer.body:
            self.unexpected(f"cancel {path}: neither cancelled nor refused")
        self.stats.outcomes[CANCEL_REFUSED] += 1


async def person(make, deadline: float, seed: int, stats: Stats, port: int) -> None:
    """One simulated person's flows, back to back with a pause, until the deadline."""
    rng = random.Random(seed)
    connector = aiohttp.TCPConnector(limit=1)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        someone = make(session, f"http://{HOST}:{port}", stats, rng)
        await asyncio.sleep(rng.uniform(0, 1))  # not all at the same instant
        while time.monotonic() < deadline:
            with suppress(FlowStopped):  # recorded already; the next flow starts afresh
                await someone.run()
            await someone.think()


async def load(*, port: int, seconds: int, browsers: int, bookers: int, data: Data) -> Stats:
    stats = Stats()
    titles = Titles.load()

    def booker(session, base, stats, rng):
        return Booker(session, base, stats, rng, data=data, titles=titles)

    deadline = time.monotonic() + seconds
    people = [person(Visitor, deadline, seed, stats, port) for seed in range(browsers)]
    people += [person(booker, deadline, 10_000 + seed, stats, port) for seed in range(bookers)]
    await asyncio.wait_for(asyncio.gather(*people), seconds + DRAIN_SECONDS)
    stats.load_after = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return stats


# --- the checks in the database ----------------------------------------------------------

OVERLAP_SQL = """
SELECT count(*) FROM booking_appointment a
JOIN booking_appointment b ON b.lawyer_id = a.lawyer_id AND b.id > a.id
WHERE a.status IN ('booked', 'attended') AND b.status IN ('booked', 'attended')
  AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
"""
OVER_LIMIT_SQL = """
SELECT count(*) FROM (
  SELECT a.resident_id FROM booking_appointment a
  JOIN booking_office o ON o.id = a.office_id
  WHERE a.status = 'booked' AND a.ends_at > %s
  GROUP BY a.resident_id, a.office_id, o.max_active_bookings
  HAVING count(*) > o.max_active_bookings
) AS over_limit
"""


@dataclass(frozen=True)
class Checks:
    overlaps: int
    over_limit_now: int
    over_limit_ever: int
    most_held: int
    booked_in_database: int
    cancelled_in_database: int


def peak_holdings(rows) -> dict[int, int]:
    """Each resident's most upcoming bookings held at one moment, from (resident,
    created, cancelled or None) rows of appointments made during the run."""
    events = defaultdict(list)
    for resident_id, created, cancelled in rows:
        events[resident_id].append((created, 1))
        if cancelled is not None:
            events[resident_id].append((cancelled, -1))
    peaks = {}
    for resident_id, changes in events.items():
        held = peak = 0
        for _moment, change in sorted(changes):  # at one instant, a cancellation first
            held += change
            peak = max(peak, held)
        peaks[resident_id] = peak
    return peaks


def check_database(data: Data, started: datetime) -> Checks:
    """The checks after the run, on what the database holds."""
    from django.db import connection
    from django.utils import timezone

    from booking.models import Appointment, Status

    with connection.cursor() as cursor:
        cursor.execute(OVERLAP_SQL)
        overlaps = cursor.fetchone()[0]
        cursor.execute(OVER_LIMIT_SQL, [timezone.now()])
        over_limit_now = cursor.fetchone()[0]
    # Held at any moment of the run: the residents held nothing before it, and nothing
    # booked during it ends during it (the office's minimum notice is longer than a run).
    ours = Appointment.objects.filter(
        resident_id__in=[resident.pk for resident in data.residents], created_at__gte=started
    )
    peaks = peak_holdings(ours.values_list("resident_id", "created_at", "cancelled_at"))
    return Checks(
        overlaps=overlaps,
        over_limit_now=over_limit_now,
        over_limit_ever=sum(peak > data.max_active for peak in peaks.values()),
        most_held=max(peaks.values(), default=0),
        booked_in_database=ours.count(),
        cancelled_in_database=ours.filter(status=Status.CANCELLED).count(),
    )


# --- the report --------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of ``values`` (sorted), in milliseconds."""
    rank = max(1, math.ceil(share / 100 * len(values)))
    return values[rank - 1] * 1000


def latency_row(label: str, values: list[float], statuses: Counter, elapsed: float) -> str:
    values = sorted(values)
    answers = ", ".join(f"{status}: {count:,}" for status, count in sorted(statuses.items()))
    return (
        f"| {label} | {len(values):,} | {len(values) / elapsed:,.1f} "
        f"| {percentile(values, 50):.1f} | {percentile(values, 99):.1f} "
        f"| {values[-1] * 1000:.0f} | {answers} |"
    )


def report(
    *, args, data: Data, stats: Stats, checks: Checks, machine: str, date: datetime
) -> tuple[str, list[str]]:
    elapsed = stats.last_answer - stats.first_request
    labels = sorted(stats.latencies, key=lambda label: (not label.startswith("browse"), label))
    rows = []
    for label in labels:
        rows.append(latency_row(label, stats.latencies[label], stats.statuses[label], elapsed))
    for kind in ("browse", "book"):
        values = [v for label in labels if label.startswith(kind) for v in stats.latencies[label]]
        statuses = sum((stats.statuses[la] for la in labels if la.startswith(kind)), Counter())
        if values:
            rows.append(latency_row(f"**all {kind}**", values, statuses, elapsed))
    every = [v for values in stats.latencies.values() for v in values]
    rows.append(latency_row("**all**", every, sum(stats.statuses.values(), Counter()), elapsed))

    booked = stats.outcomes[BOOKED]
    taken = sum(stats.outcomes[outcome] for outcome in TAKEN)
    cancelled = stats.outcomes[CANCELLED]
    failures = []
    if stats.server_errors:
        failures.append(f"{stats.server_errors} answers were 5xx")
    if stats.connection_errors:
        failures.append(f"{stats.connection_errors} requests failed to connect or time out")
    if stats.unexpected:
        failures.append(f"{stats.unexpected} answers were not the page a browser would get")
    if checks.overlaps:
        failures.append(f"{checks.overlaps} pairs of active appointments of a lawyer overlap")
    if checks.over_limit_now or checks.over_limit_ever:
        failures.append(
            f"{max(checks.over_limit_now, checks.over_limit_ever)} residents held more than "
            f"{data.max_active} upcoming bookings"
        )
    if (checks.booked_in_database, checks.cancelled_in_database) != (booked, cancelled):
        failures.append(
            f"the database holds {checks.booked_in_database} bookings "
            f"({checks.cancelled_in_database} cancelled) made during the run, the answers "
            f"said {booked} ({cancelled} cancelled)"
        )
    outcome_rows = [f"| {outcome} | {stats.outcomes[outcome]:,} |" for outcome in OUTCOMES]
    yes_no = "**FAILED: " + "; ".join(failures) + ".**" if failures else "passed."
    samples = "".join(f"\n- `{sample}`" for sample in stats.samples)
    body = "\n".join(
        [
            f"## {SECTION}",
            "",
            f"- Command: `make load` (`python -m bench.load --seconds {args.seconds} "
            f"--browsers {args.browsers} --bookers {args.bookers} "
            f"--residents {args.residents}` under `scripts/with-postgres`)",
            f"- Date: {date:%Y-%m-%d %H:%M %Z}",
            f"- Machine: {machine}",
            f"- Result: {yes_no}",
            "",
            f"Data: the demo office (`manage.py demo`, {data.lawyers} lawyers, "
            f"{data.appointments_before} appointments booked by it) and "
            f"{len(data.residents)} more residents. Their sessions are made directly in the "
            "session store, as `Client.force_login` does: the sign-in by SMS code is not part "
            "of the test. The office's pause after late cancellations is switched off, since "
            f"these residents cancel to book again. At most {data.max_active} upcoming "
            "bookings per resident (the office's `max_active_bookings`).",
            "",
            f"Server: `gunicorn {' '.join(GUNICORN_ARGS)}` on 127.0.0.1, "
            "`DJANGO_SETTINGS_MODULE=bench.load_settings` (the site's settings and the bare "
            "view's URL, without the limits on booking per address and per account: every "
            "simulated resident comes from 127.0.0.1), DEBUG=0, SECURE_SSL_REDIRECT=0 (plain "
            "HTTP on loopback); otherwise as in "
            "production: whole middleware, WhiteNoise after `collectstatic`, persistent "
            "connections, the database cache. PostgreSQL in a throwaway cluster "
            "(fsync off). No SMS worker: confirmations stay queued.",
            "",
            f"Client: one Python process (asyncio and aiohttp) on the same machine, "
            f"{args.browsers + args.bookers} people at once, each with its own keep-alive "
            "connection and cookies, a pause of "
            f"{THINK_SECONDS[0]}–{THINK_SECONDS[1]} s between pages, links and forms read "
            f"from the HTML and posted with their CSRF token. {args.browsers} visitors not "
            "signed in: home page, booking button (302), areas of law, the free times of "
            f"one, half of them another day. {args.bookers} residents, each flow as one of "
            f"the {len(data.residents)} at random: free times of "
            f"{', '.join(f'`{code}`' for code in data.topics)} ({ONE_LAWYER_SHARE:.0%} "
            f"filtered to one lawyer), one of the first {FIRST_TIMES} times offered, details "
            "form, review, confirmation, appointment page; at the limit, my appointments and "
            "the cancellation of the latest one. Static files are not requested.",
            "",
            f"Duration: flows started for {args.seconds} s and ran to their end: "
            f"{elapsed:.1f} s from the first request to the last answer. req/s over that time; "
            "latency from sending the request to the last byte of the answer, each request "
            "on its own (redirects are separate requests). Load average at the end (server, "
            f"client and whatever else ran on the machine): {stats.load_after}.",
            "",
            "| request | requests | req/s | p50 ms | p99 ms | max ms | answers |",
            "|---|---:|---:|---:|---:|---:|---|",
            *rows,
            "",
            "Residents' flows:",
            "",
            "| outcome | flows |",
            "|---|---:|",
            *outcome_rows,
            "",
            f"Bookings made: **{booked:,}**; “time taken” answers: **{taken:,}** (correct "
            f"answers, 200 with the nearest free times); cancellations: {cancelled:,}.",
            "",
            f"Errors: 5xx answers: **{stats.server_errors}**; connection failures and "
            f"timeouts: {stats.connection_errors}; other unexpected answers: "
            f"{stats.unexpected}.{samples}",
            "",
            "Checks in the database after the run:",
            "",
            "- Overlapping active appointments of one lawyer (pairs of `booked`/`attended` "
            f"rows with the same lawyer and `a.starts_at < b.ends_at AND b.starts_at < "
            f"a.ends_at`): **{checks.overlaps}**.",
            f"- Residents holding more than {data.max_active} upcoming bookings at the office "
            f"after the run: **{checks.over_limit_now}**; at any moment of the run (bookings "
            "and cancellations replayed in the order of their timestamps): "
            f"**{checks.over_limit_ever}**; the most one resident held: {checks.most_held}.",
            f"- Bookings made during the run in the database: {checks.booked_in_database:,}, "
            f"{checks.cancelled_in_database:,} of them cancelled; answered: {booked:,} "
            f"booked, {cancelled:,} cancelled.",
        ]
    )
    return body, failures


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--seconds",
        type=int,
        default=int(os.environ.get("LOAD_SECONDS") or DEFAULT_SECONDS),
        help=f"how long new flows start (default {DEFAULT_SECONDS}, or LOAD_SECONDS)",
    )
    parser.add_argument("--browsers", type=int, default=BROWSERS, help="visitors at once")
    parser.add_argument("--bookers", type=int, default=BOOKERS, help="residents booking at once")
    parser.add_argument("--residents", type=int, default=RESIDENTS, help="residents in all")
    parser.add_argument(
        "--no-write", action="store_true", help="print the figures only, leave RESULTS.md"
    )
    args = parser.parse_args()
    if args.seconds < 1 or args.residents < 1 or args.browsers + args.bookers < 1:
        parser.error("--seconds, --residents and the people at once must be positive")

    with tempfile.TemporaryDirectory(prefix="legalaid-load-") as var_dir:
        run.setup_django("postgresql", var_dir)
        run.prepare_database("postgresql")
        from django.db import connections
        from django.utils import timezone

        print(
            "load: loading the demo office and residents, collecting static files…", file=sys.stderr
        )
        data = prepare(args.residents)
        machine = run.machine()
        date = datetime.now().astimezone()
        started = timezone.now()
        connections.close_all()
        with gunicorn() as port:
            print(
                f"load: {args.browsers} visitors and {args.bookers} residents for "
                f"{args.seconds} s on 127.0.0.1:{port}…",
                file=sys.stderr,
            )
            stats = asyncio.run(
                load(
                    port=port,
                    seconds=args.seconds,
                    browsers=args.browsers,
                    bookers=args.bookers,
                    data=data,
                )
            )
        checks = check_database(data, started)
        connections.close_all()

    body, failures = report(
        args=args, data=data, stats=stats, checks=checks, machine=machine, date=date
    )
    print(body)
    if not args.no_write:
        run.write_section(SECTION, body)
        print(f"\nload: wrote the {SECTION} section of {run.RESULTS}", file=sys.stderr)
    if failures:
        print("load: FAILED: " + "; ".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
