"""Benchmark "pages": requests per second of real pages under gunicorn, beside a bare view.

The demo office (``manage.py demo``) is loaded into the benchmark database, which by then
also holds the data of the other benchmarks (their offices are listed on the home page
too). gunicorn serves the site from the virtual environment on loopback with production
settings: DEBUG off, the site's whole middleware, WhiteNoise with the manifest storage
(``collectstatic`` into the temporary VAR_DIR), persistent database connections and the
database cache. Only two things differ from production: ``bench/settings.py`` adds the
bare view's URL (``bench/urls.py``), and ``SECURE_SSL_REDIRECT=0`` lets plain HTTP on
loopback through instead of redirecting it to HTTPS (which a TLS proxy would terminate).

One server serves every URL, with the same settings: each URL gets a warm-up, then the
URLs take turns in a few rounds of a fixed time under a fixed number of keep-alive
connections from wrk (C, one thread), which also counts the answers that are not 200.
Client and server share the machine's cores, with whatever else runs on it: the rates
are those of this machine, to be read beside the bare view's rate of the same run.
"""

import http.client
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from bench.slots import MAIN
from bench.urls import BARE_BODY
from booking.management.commands.demo import BOOKS_FIRST
from booking.management.commands.demo import OFFICE as DEMO_OFFICE
from booking.models import Office, Topic
from booking.selectors import list_free_slots

HOST = "127.0.0.1"
WORKERS = os.cpu_count() or 1  # one per core, for every URL
# gthread keeps connections alive, as behind a proxy that reuses them. Tried on 2 cores: a
# second thread per worker only shares its GIL (every rate fell by about half), and the
# sync worker, which closes every connection, was 40–60 % slower.
THREADS = 1
CONNECTIONS = 2 * WORKERS * THREADS  # a request waiting at each thread while one runs
WARMUP_SECONDS = 2
ROUNDS = 3
ROUND_SECONDS = 3
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DEBUG": "0",
    "ALLOWED_HOSTS": HOST,
    "SECURE_SSL_REDIRECT": "0",
}
GUNICORN_ARGS = [
    "--workers",
    str(WORKERS),
    "--worker-class",
    "gthread",
    "--threads",
    str(THREADS),
    "config.wsgi:application",
]
WRK = shutil.which("wrk") or "wrk"
WRK_SCRIPT = Path(__file__).with_name("pages.lua")
LARGE_SLUG = f"bench-{MAIN[0]}"  # the main office of the free-slots benchmark (bench/slots.py)
MIN_SHARE = 0.40


@dataclass(frozen=True)
class Data:
    demo: Office
    demo_topic: Topic
    demo_slots: int
    large: Office | None
    large_topic: Topic | None
    large_slots: int
    # The Cookie header of a real session of the demo resident who can book (signed in).
    resident_cookie: str


@dataclass(frozen=True)
class Page:
    """A measured URL: ``kwargs`` gives the arguments of ``reverse``, or None without data."""

    label: str
    url_name: str
    kwargs: Callable[[Data], dict | None] = lambda data: {}
    min_share: float | None = None  # the aim, as a share of the bare view's rate
    # "?uncached=1": pages.lua then makes every request's address new, missing the cache.
    query: str = ""
    # Requested with the resident's session cookie: the page as the person who books sees it.
    signed_in: bool = False


PAGES = [
    Page("home page", "booking:home"),
    Page(
        "slot page, demo office",
        "booking:slots",
        lambda data: {"office": data.demo.slug, "topic": data.demo_topic.code},
        min_share=MIN_SHARE,
    ),
    Page(
        "slot page, demo office, every request rendered (no page cache)",
        "booking:slots",
        lambda data: {"office": data.demo.slug, "topic": data.demo_topic.code},
        query="?uncached=1",
    ),
    Page(
        "slot page, larger office",
        "booking:slots",
        lambda data: data.large and {"office": data.large.slug, "topic": data.large_topic.code},
    ),
    # Issue 16: a resident signs in before choosing a time, so these are the pages of the
    # person who books; the aims are issue 16's.
    Page("home page, signed in", "booking:home", min_share=MIN_SHARE, signed_in=True),
    Page(
        "slot page, demo office, signed in",
        "booking:slots",
        lambda data: {"office": data.demo.slug, "topic": data.demo_topic.code},
        min_share=MIN_SHARE,
        signed_in=True,
    ),
    Page(
        "slot page, larger office, signed in",
        "booking:slots",
        lambda data: data.large and {"office": data.large.slug, "topic": data.large_topic.code},
        min_share=MIN_SHARE,
        signed_in=True,
    ),
]


@dataclass(frozen=True)
class Load:
    """What wrk measured for one URL."""

    requests: int
    duration_us: int
    bytes: int
    not_200: int
    socket_errors: int
    p50_us: int
    p99_us: int

    @property
    def rate(self) -> float:
        return self.requests / (self.duration_us / 1e6)


def most_free_slots(office: Office) -> tuple[Topic, int]:
    """The area of law with the most free slots at ``office``, over its booking horizon."""
    counts = {
        topic: len(list_free_slots(office=office, topic=topic))
        for topic in Topic.objects.filter(is_active=True)
    }
    topic = max(counts, key=counts.__getitem__)
    return topic, counts[topic]


def prepare() -> Data:
    call_command("demo", stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)
    demo = Office.objects.get(name=DEMO_OFFICE["name"])
    demo_topic, demo_slots = most_free_slots(demo)
    large = Office.objects.filter(slug=LARGE_SLUG).first()
    large_topic, large_slots = most_free_slots(large) if large else (None, 0)
    cookie = resident_session_cookie(User.objects.get(phone=BOOKS_FIRST))
    # The server's processes have their own connections; on SQLite an idle one here
    # would only hold the file open.
    connections.close_all()
    return Data(demo, demo_topic, demo_slots, large, large_topic, large_slots, cookie)


def resident_session_cookie(resident: User) -> str:
    """A real session of ``resident`` in the site's session store, as its Cookie header:
    what a browser sends after the sign-in by code."""
    client = Client()
    client.force_login(resident)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    client = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        client.request("GET", path, headers=headers or {})
        response = client.getresponse()
        return response.status, response.read()
    finally:
        client.close()


@contextmanager
def gunicorn(args: list[str] | None = None, env: dict[str, str] | None = None) -> Iterator[int]:
    """A gunicorn server on a free loopback port, answering the bare view; its port.

    ``args`` and ``env`` replace this benchmark's (the load test brings its own).
    """
    port = free_port()
    args = GUNICORN_ARGS if args is None else args
    command = [sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}", *args]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(  # noqa: S603 -- our own command line
            command,
            cwd=settings.BASE_DIR,
            env={**os.environ, **(SERVER_ENV if env is None else env)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

        def fail(reason: str) -> None:
            log.seek(0)
            raise RuntimeError(f"gunicorn {reason}:\n{log.read().decode(errors='replace')}")

        try:
            started = time.monotonic()
            while True:
                if server.poll() is not None:
                    fail(f"exited with status {server.returncode}")
                try:
                    status, body = fetch(port, reverse("bench_bare", urlconf="bench.urls"))
                except OSError:
                    status, body = None, b""
                if status == 200 and body == BARE_BODY:
                    break
                if status is not None or time.monotonic() - started > 60:
                    fail(f"does not serve the bare view (status {status})")
                time.sleep(0.1)
            yield port
            if server.poll() is not None:
                fail(f"exited during the run with status {server.returncode}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wrk(
    port: int, path: str, seconds: int, headers: dict[str, str] | None = None, expect: int = 200
) -> Load:
    """wrk's figures for ``path``; ``Load.not_200`` counts the answers other than ``expect``."""
    command = [
        *(WRK, "--threads", "1", "--connections", str(CONNECTIONS)),
        *("--duration", f"{seconds}s", "--timeout", "10s", "--script", str(WRK_SCRIPT)),
    ]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    command += [f"http://{HOST}:{port}{path}", "--", str(expect)]
    finished = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    output = finished.stdout
    for line in output.splitlines():
        if line.startswith("BENCH-JSON "):
            return Load(**json.loads(line.removeprefix("BENCH-JSON ")))
    raise RuntimeError(f"wrk printed no figures:\n{output}")


def wrk_version() -> str:
    # wrk has no version flag: its usage text starts with the version.
    usage = subprocess.run([WRK, "--version"], capture_output=True, text=True)  # noqa: S603
    return (usage.stdout or usage.stderr).split(" Copyright")[0].strip()


@dataclass(frozen=True)
class Measured:
    """One URL: its first answer, then its load in every round."""

    status: int
    size: int
    rounds: tuple[Load, ...]

    @property
    def requests(self) -> int:
        return sum(load.requests for load in self.rounds)

    @property
    def rate(self) -> float:
        return self.requests / (sum(load.duration_us for load in self.rounds) / 1e6)

    @property
    def errors(self) -> int:
        return sum(load.not_200 + load.socket_errors for load in self.rounds)

    def row(self, label: str, path: str, bare: "Measured") -> str:
        checked = "" if self.status == 200 else f" (**first answer: {self.status}**)"
        rates = [load.rate for load in self.rounds]
        return (
            f"| {label}{checked} | `{path}` | {self.size:,} | {self.requests:,} "
            f"| **{self.rate:,.0f}** | {min(rates):,.0f}–{max(rates):,.0f} "
            f"| {statistics.median(load.p50_us for load in self.rounds) / 1000:.1f} "
            f"| {max(load.p99_us for load in self.rounds) / 1000:.1f} "
            f"| {sum(load.not_200 for load in self.rounds):,} "
            f"| {sum(load.socket_errors for load in self.rounds):,} "
            f"| {self.rate / bare.rate:.0%} |"
        )


Target = tuple[str, dict[str, str]]  # a path and the headers it is requested with


def measure_urls(port: int, targets: list[Target]) -> list[Measured]:
    """Each URL's first answer and a warm-up, then rounds in which each takes its turn.

    Taking turns spreads a change in the machine's load (the client and server share it
    with whatever else runs) over every URL instead of one.
    """
    answers = [fetch(port, path, headers) for path, headers in targets]
    for path, headers in targets:
        wrk(port, path, WARMUP_SECONDS, headers)
    rounds: list[list[Load]] = [[] for _ in targets]
    for number in range(ROUNDS):
        print(f"bench: pages under gunicorn, round {number + 1} of {ROUNDS}…", file=sys.stderr)
        for (path, headers), loads in zip(targets, rounds, strict=True):
            loads.append(wrk(port, path, ROUND_SECONDS, headers))
    return [
        Measured(status, len(body), tuple(loads))
        for (status, body), loads in zip(answers, rounds, strict=True)
    ]


def resolve(page: Page, data: Data) -> tuple[str | None, str]:
    """The page's path, or None and why it is not measured."""
    kwargs = page.kwargs(data)
    if kwargs is None:
        return None, "no data"
    try:
        return reverse(page.url_name, kwargs=kwargs) + page.query, ""
    except NoReverseMatch:
        return None, f"not built yet: `{page.url_name}` does not reverse"


def run() -> str:
    if shutil.which(WRK) is None:
        print("bench: wrk is not installed, the HTTP benchmark is skipped", file=sys.stderr)
        return "### Pages under gunicorn\n\nNot measured: `wrk` is not installed (Debian: wrk)."
    print("bench: loading the demo office, collecting static files…", file=sys.stderr)
    data = prepare()
    targets = [(page, *resolve(page, data)) for page in PAGES]
    for page, path, skipped in targets:
        if path is None:
            print(f"bench: {page.label}: {skipped}", file=sys.stderr)
    bare_path = reverse("bench_bare", urlconf="bench.urls")
    measured_pages = [(page, path) for page, path, _ in targets if path is not None]
    requests = [(bare_path, {})] + [
        (path, {"Cookie": data.resident_cookie} if page.signed_in else {})
        for page, path in measured_pages
    ]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    with gunicorn() as port:
        bare, *measured = measure_urls(port, requests)
        # The signed-in rows must be served as signed in: the sign-out form is on the page.
        for (page, path), (_, headers) in zip(measured_pages, requests[1:], strict=True):
            if (
                page.signed_in
                and b'action="/accounts/logout/"' not in fetch(port, path, headers)[1]
            ):
                raise RuntimeError(f"{page.label}: the session cookie did not sign in")
    results = {
        page.label: result for (page, _), result in zip(measured_pages, measured, strict=True)
    }

    rows = [bare.row("bare Django view, a constant", bare_path, bare)]
    verdicts = []
    for page, path, skipped in targets:
        if path is None:
            rows.append(f"| {page.label} | — | {skipped} | | | | | | | | |")
        else:
            rows.append(results[page.label].row(page.label, path, bare))
        if page.min_share is not None:
            aim = f"{page.label} at ≥ {page.min_share:.0%} of the bare view's rate:"
            if path is None:
                verdicts.append(f"{aim} not measured ({skipped}).")
            else:
                share = results[page.label].rate / bare.rate
                ok = "yes" if share >= page.min_share else "**NO**"
                verdicts.append(f"{aim} {ok} ({share:.0%}).")
    errors = sum(result.errors for result in [bare, *measured])
    first_answers = sum(result.status != 200 for result in [bare, *measured])
    if errors or first_answers:
        summary = (
            f"**THIS RUN HAD ERRORS: {errors:,} answers other than 200 or socket errors under "
            f"load, {first_answers} first answers other than 200; the rates count them as "
            "requests.**"
        )
        print(f"bench: {summary}", file=sys.stderr)
    else:
        summary = "Errors: none (every answer was 200, no socket errors)."
    large = (
        f"`{data.large.slug}`, the main office of the free-slots benchmark "
        f"({MAIN[0]} lawyers; its bookings are in 2025, so every slot is free), "
        f"topic `{data.large_topic.code}`, {data.large_slots:,} free slots"
        if data.large
        else "none (the free-slots benchmark did not run)"
    )
    return "\n".join(
        [
            "### Pages under gunicorn",
            "",
            f"Data: the demo office (`manage.py demo`); its slot page for the area of law with "
            f"the most free slots: `{data.demo.slug}`, topic `{data.demo_topic.code}`, "
            f"{data.demo_slots:,} free slots in its {data.demo.horizon_days}-day horizon. "
            f"Larger office: {large}. The home page lists all "
            f"{Office.objects.count()} offices of the database. GETs without cookies, except "
            "the rows “signed in”, which send the session cookie of the demo resident who can "
            "book (a real session in the site's session store, as after the sign-in by code; "
            "pages never cached for signed-in visitors). Without cookies: "
            "visitors who are not signed in get the home and slot pages from the page cache "
            "(`booking/pagecache.py`: one query for the schedule version, then the stored "
            "page) until a booking or a change of hours bumps the version; the row marked "
            "“every request rendered” adds a new query parameter to every request, so that "
            "each one renders the page as for a signed-in resident or after a booking.",
            "",
            f"Server: `gunicorn {' '.join(GUNICORN_ARGS)}` ({WORKERS} workers × {THREADS} "
            "thread, the same server for every URL), `DJANGO_SETTINGS_MODULE=bench.settings` "
            "(the site's settings plus the bare view's URL), DEBUG=0, "
            "SECURE_SSL_REDIRECT=0 (plain HTTP on loopback); every other setting as in "
            "production: the whole middleware, WhiteNoise after `collectstatic`, persistent "
            "database connections, the database cache.",
            "",
            f"Client: {wrk_version()}, 1 thread, {CONNECTIONS} keep-alive connections, on the "
            f"same machine. Per URL a {WARMUP_SECONDS} s warm-up, then {ROUNDS} rounds of "
            f"{ROUND_SECONDS} s in which the URLs take turns. req/s: all requests over all "
            "rounds; median ms: the median of the rounds' medians; p99 ms: the highest of the "
            f"rounds' 99th percentiles. Load average before this benchmark: {load}.",
            "",
            "| page | path | bytes | requests | req/s | req/s of the rounds | median ms "
            "| p99 ms | non-200 | socket errors | of bare rate |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            summary,
            "",
            "Aim: " + " ".join(verdicts),
        ]
    )
