"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

The browser is always /usr/bin/chromium from Debian (`make deps` installs it), never one
that Playwright downloads. Without it these tests skip on a developer's machine and fail
when CI is set, so that CI cannot pass without having run them.

Each page opens in a fresh browser context that records the URL of every request and
aborts any request to another host: a page that starts loading a font or script from a
CDN fails its test without the browser ever reaching the outside world.

Known limits: Chromium only. Pages render with the machine's fonts; a bare Debian has no
CJK font, so Chinese text is laid out with full-width fallback boxes, close to the width
a phone's font gives but not the same.
"""

import http.client
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from playwright.sync_api import Browser, Page, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # tests run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    # Without these Chromium calls Google (updates, sync, field trials, QUIC probes).
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The phone the pages are designed for: 360 × 740 CSS pixels, Chinese interface. Mobile
# mode honours the viewport meta tag and, as a phone does, zooms out a page wider than
# the screen; innerWidth then grows with the page, so layout checks compare
# scrollWidth with clientWidth (the layout viewport) and expect innerWidth unchanged.
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
# Schemes that never leave the browser.
LOCAL_SCHEMES = {"data", "blob", "about"}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}


@pytest.fixture(scope="session", autouse=True)
def _live_server_over_http(django_db_setup, request) -> None:
    """Start the live server without HTTPS redirects: it speaks plain HTTP only.

    SecurityMiddleware reads SECURE_SSL_REDIRECT once, when the live server builds its
    handler on first start, and the server lives for the whole session. So the setting
    is overridden while the server starts, here, ahead of every function-scoped fixture
    (a `settings` override in a test comes after pytest-django has started the server);
    other tests keep the real setting. A probe fails clearly if another test started the
    server before.
    """
    with override_settings(SECURE_SSL_REDIRECT=False):
        live_server = request.getfixturevalue("live_server")
    address = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    # Through the middleware to a view that needs no database (the 404 page reads the
    # offices' phones): a redirect home, 302, unless the server redirects to HTTPS first.
    connection.request("HEAD", "/i18n/setlang/")
    status = connection.getresponse().status
    connection.close()
    if status == HTTPStatus.MOVED_PERMANENTLY:
        pytest.fail(
            "The live server redirects to HTTPS: another test started it before the "
            "browser tests could turn SECURE_SSL_REDIRECT off.",
            pytrace=False,
        )


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for all browser tests.

    Package scope, not session: Playwright's sync API keeps an asyncio loop running in
    the test thread while it is started, which breaks `async_to_sync` and Django's
    async-safety check for any test that runs after this package.
    """
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} (Debian package chromium) is missing; `make deps` installs it."
        if in_ci():
            pytest.fail(f"CI must run the browser tests: {reason}", pytrace=False)
        pytest.skip(reason)
    # Django refuses ORM calls from a thread with a running event loop. The calls here
    # are plain synchronous test code (factories), so the guard protects nothing.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class RequestLog:
    """The URLs a test's pages requested, and the one host they may request from."""

    own_host: str
    urls: list[str] = field(default_factory=list)
    # What the browser refused under the site's Content-Security-Policy (console).
    policy_violations: list[str] = field(default_factory=list)

    def hosts(self) -> set[str]:
        """host:port of every request that leaves the browser."""
        return {urlsplit(url).netloc for url in self.urls if not self._is_local(url)}

    def to_other_hosts(self) -> list[str]:
        return [
            url
            for url in self.urls
            if not self._is_local(url) and urlsplit(url).netloc != self.own_host
        ]

    @staticmethod
    def _is_local(url: str) -> bool:
        return urlsplit(url).scheme in LOCAL_SCHEMES


@pytest.fixture
def request_log(live_server) -> RequestLog:
    return RequestLog(own_host=urlsplit(live_server.url).netloc)


@pytest.fixture
def new_page(browser, request_log) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context: the phone, with any context option overridden.

    For example `new_page(java_script_enabled=False)` or `new_page(viewport={...})`; the
    options are those of Playwright's `Browser.new_context`.
    """
    contexts = []

    def guard(route: Route) -> None:
        request_log.urls.append(route.request.url)
        if urlsplit(route.request.url).netloc == request_log.own_host:
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def note_violation(message) -> None:
        if "Content Security Policy" in message.text:
            request_log.policy_violations.append(f"{message.location.get('url')}: {message.text}")

    def open_page(**options) -> Page:
        context = browser.new_context(**{**PHONE, **options})
        context.set_default_timeout(5_000)
        context.route("**/*", guard)
        contexts.append(context)
        page = context.new_page()
        page.on("console", note_violation)
        return page

    yield open_page
    for context in contexts:
        context.close()
    # Every browser test fails on a page that breaks the policy (inline style, script).
    assert request_log.policy_violations == []


@pytest.fixture
def page(new_page) -> Page:
    """A page on the phone: 360 × 740 CSS pixels, mobile, locale zh-CN, JavaScript on."""
    return new_page()
