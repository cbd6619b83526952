"""The demo can be tried as the README and `make run` print it: the resident they name
can book straight away, and both say that texts wait for the end of quiet hours."""

import datetime as dt
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from booking import selectors, services
from booking.models import Lawyer, Office, Status
from tests.conftest import NOW, SHANGHAI

pytestmark = pytest.mark.django_db

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def readme_resident() -> str:
    """The number the README gives for booking as a resident, as typed (137 0000 0107)."""
    found = re.search(r"\*\*Booking as a resident\.\*\* Sign in with `([0-9 ]+)`", README)
    assert found, "the README names a demo resident to book with"
    return found[1]


def test_the_resident_the_readme_names_can_book_twice_right_after_the_demo(frozen_clock):
    printed = run_demo()
    number = readme_resident()
    line = next(line for line in printed.splitlines() if number in line)
    assert "can book 2 more" in line and "book with this one" in line
    resident = User.objects.get(phone="+86" + number.replace(" ", ""))
    office = Office.objects.get(slug="qingshi-demo")
    topic = selectors.list_bookable_topics(office=office)[0]
    tomorrow = NOW.date() + dt.timedelta(days=1)
    slots = selectors.list_free_slots(
        office=office,
        topic=topic,
        first_day=tomorrow,
        last_day=tomorrow + dt.timedelta(14),
        now=NOW,
    )
    for slot in (slots[0], slots[-1]):  # the office's limit is two
        booked = services.book_appointment(
            resident=resident,
            office=office,
            topic=topic,
            lawyer=Lawyer.objects.get(pk=slot.lawyer_id),
            starts_at=slot.start,
            mode=slot.mode,
            now=NOW,
        )
        assert booked.status == Status.BOOKED


def test_the_other_demo_residents_show_the_limit_and_a_cancelled_booking(frozen_clock):
    printed = run_demo()
    office = Office.objects.get(slug="qingshi-demo")
    at_limit = [line for line in printed.splitlines() if "holds the office's limit" in line]
    assert len(at_limit) == 5
    assert "1 booked, can book 1 more" in printed
    assert office.appointments.filter(status=Status.CANCELLED, starts_at__gt=NOW).exists()


def test_the_readme_and_make_run_say_texts_wait_for_the_end_of_quiet_hours(time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 7, 23, 30, tzinfo=SHANGHAI), tick=False)
    printed = run_demo()
    assert "quiet hours, 21:00–08:00" in printed
    assert "It is 23:30 at the office now: quiet hours" in printed
    assert "/admin/sms/message/?status=queued" in printed
    assert "quiet hours (21:00–08:00" in README
    assert "/admin/sms/message/?status=queued" in README
