import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import caches
from django.utils import translation

from tests.factories import (
    AppointmentFactory,
    LawyerFactory,
    OfficeFactory,
    RuleFactory,
    TopicFactory,
    UserFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning, office time: the week ahead is empty and bookable.
NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)


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
