import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.utils import translation

from tests.factories import (
    AppointmentFactory,
    LawyerFactory,
    OfficeFactory,
    RuleFactory,
    TopicFactory,
    UserFactory,
)

BROWSER_TESTS = Path(__file__).parent / "browser"
_ran_tests: set[str] = set()  # node ids, for --ran-file

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning, office time: the week ahead is empty and bookable.
NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)


def pytest_addoption(parser):
    parser.addoption(
        "--ran-file",
        metavar="PATH",
        help="write the node ids of the tests that ran (not skipped) to PATH, one a line; "
        "scripts/every-test-ran checks that the runs of `make test` together ran them all",
    )
    parser.addoption(
        "--collected-file",
        metavar="PATH",
        help="write the node ids of every collected test (before -m) to PATH, one a line",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Markers that decide where a test runs in `make test` (see the Makefile).

    one_database: the browser tests and the property-based (hypothesis) tests test pages
    and input handling, not SQL: `make test` runs them on SQLite only. Tryfirst, so that
    `-m` sees the marker.
    """
    for item in items:
        if BROWSER_TESTS in item.path.parents or getattr(item.obj, "is_hypothesis_test", False):
            item.add_marker(pytest.mark.one_database)
    path = config.getoption("collected_file")
    if path and getattr(config, "workerinput", {}).get("workerid", "gw0") == "gw0":
        Path(path).write_text("".join(f"{item.nodeid}\n" for item in items))


def pytest_runtest_logreport(report):
    """Record a test that ran: its call phase happened and was not a skip."""
    if report.when == "call" and (not report.skipped or hasattr(report, "wasxfail")):
        _ran_tests.add(report.nodeid)


def pytest_sessionfinish(session):
    path = session.config.getoption("ran_file")
    if path and not hasattr(session.config, "workerinput"):  # the controller writes it
        Path(path).write_text("".join(f"{nodeid}\n" for nodeid in sorted(_ran_tests)))


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def frozen_clock(time_machine):
    """The clock stands at NOW, for the code under test and for a live server alike."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def plain_http(settings):
    """Pages over plain HTTP from the test client, without the redirect to HTTPS."""
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def office(db):
    return OfficeFactory()


@pytest.fixture
def topic(db):
    return TopicFactory()


@pytest.fixture
def lawyer(office, topic):
    """A lawyer of the office who covers `topic`, weekdays 9:00–12:00, 30-minute slots."""
    lawyer = LawyerFactory(offices=[office], topics=[topic])
    for weekday in range(5):
        RuleFactory(lawyer=lawyer, office=office, weekday=weekday)
    return lawyer


@pytest.fixture
def resident(db):
    return UserFactory()


@pytest.fixture
def booked_appointment(lawyer, resident):
    """`resident`'s consultation with `lawyer`, in person on the Tuesday after NOW at 10:00,
    booked at NOW through the service (its confirmation text queued)."""
    tuesday = NOW.date() + dt.timedelta(days=1)
    return AppointmentFactory(
        resident=resident, lawyer=lawyer, starts_at=local(tuesday, 10), now=NOW
    )


@pytest.fixture
def desk_user(office):
    return UserFactory(role="desk", office=office, phone=None, phone_verified=False)


@pytest.fixture(scope="session", autouse=True)
def _var_dir_of_its_own(tmp_path_factory):
    """Each test process (each pytest-xdist worker) has a var/ of its own, and so have
    the subprocesses it starts: files written there never collide between workers."""
    var_dir = tmp_path_factory.mktemp("var")
    previous = os.environ.get("VAR_DIR")
    os.environ["VAR_DIR"] = str(var_dir)
    try:
        with override_settings(VAR_DIR=var_dir, STATIC_ROOT=var_dir / "static"):
            yield var_dir
    finally:
        if previous is None:
            del os.environ["VAR_DIR"]
        else:
            os.environ["VAR_DIR"] = previous


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Tests render templates without running collectstatic first (a test of its own)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits and public pages live in caches: each test starts with none."""
    for alias in ("default", "pages", "ratelimit"):
        caches[alias].clear()
    yield
    for alias in ("default", "pages", "ratelimit"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A page served in English leaves English active in the thread: reset it."""
    yield
    translation.activate("zh-hans")
