import datetime as dt

import pytest

from booking.dbfunctions import EpochCeil, EpochFloor
from booking.models import TimeOff
from tests.factories import LawyerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (
            dt.datetime(2026, 12, 8, 1, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 8, 1, 30, tzinfo=dt.UTC),
            (1796691600, 1796693400),
        ),
        (
            dt.datetime(2026, 12, 8, 1, 0, 0, 999_999, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 8, 1, 30, 0, 1, tzinfo=dt.UTC),
            (1796691600, 1796693401),
        ),
    ],
)
def test_the_database_reads_times_as_epoch_seconds_rounded_outwards(start, end, expected):
    TimeOff.objects.create(lawyer=LawyerFactory(), starts_at=start, ends_at=end)
    row = TimeOff.objects.values_list(EpochFloor("starts_at"), EpochCeil("ends_at")).get()
    assert row == expected
    assert expected[0] == int(start.replace(microsecond=0).timestamp())
