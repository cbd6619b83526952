"""Issue 15.14: words and dates as each language writes them.

Every main page of each role is rendered in Chinese and in English over the demo office
(``manage.py demo``: its names, addresses, bookings and ten weeks of history), and its
visible text is read as a person reads it: Chinese pages use Chinese punctuation (no
half-width , . : ; ? ! ( ) next to a Chinese character, and no space after a full-width
colon, comma or full stop, nor before a full-width bracket: "电话：135…", not "电话： 135…"),
no page writes a day as
2026-12-20 in its text, and English pages write dates as English readers do ("Friday 4
December 2026, 15:15"), never "December 4" or "4 December Friday". A failure names the
page and quotes the offending text.
"""

import datetime as dt
import importlib
import re
from html.parser import HTMLParser
from http import HTTPStatus
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from booking import selectors
from booking.dates import format_when
from booking.desk_residents import mint_handle
from booking.models import Appointment, DutyDay, DutyException, Lawyer, Office, Status, Topic
from booking.picker import format_start
from tests.conftest import NOW, SHANGHAI, local
from tests.factories import FollowUpFactory, TimeOffFactory, UserFactory, WalkInFactory

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HALF_WIDTH = ",.:;?!()"
PUNCTUATION = re.escape(HALF_WIDTH)
# A half-width mark after or before a Chinese character (one space between at most), and
# what stands on the mark's other side.
AFTER_CJK = re.compile(rf"[{CJK}] ?[{PUNCTUATION}] ?(.?)")
BEFORE_CJK = re.compile(rf"(.?) ?[{PUNCTUATION}] ?[{CJK}]")
# A space after a full-width mark or before a full-width opening bracket: the mark holds
# its own space, and a space beside it opens a gap ("电话： 135…", "12月7日 （本周）").
SPACED_FULL_WIDTH = re.compile(r"[：，。；！？、] +\S|\S +[（「]")
LATIN = re.compile(r"[A-Za-z]")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
# "December 4", "Dec. 4, 2026", and a weekday after its date: "4 December Friday".
AMERICAN_DATE = re.compile(rf"(?<!\d )\b(?:{MONTHS})\.? \d{{1,2}}\b(?![:.]\d)")
WEEKDAY_AFTER = re.compile(rf"\b\d{{1,2}} (?:{MONTHS})(?: \d{{4}})?,? (?:{WEEKDAYS})\b")
# Text that is not words: addresses, e-mail addresses, numbers and times.
NOT_WORDS = re.compile(
    r"https?://\S+|[A-Za-z0-9_.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|(?<![A-Za-z0-9])/[A-Za-z0-9_./?=&%-]+|\d+(?:[.:]\d+)+"
)
TOMORROW = NOW.date() + dt.timedelta(days=1)


class VisibleText(HTMLParser):
    """The text of a page's body as a reader sees it: no scripts, styles or attributes."""

    SKIP = {"script", "style", "head", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in {"br", "p", "li", "dt", "dd", "td", "th", "h1", "h2", "h3", "div", "tr"}:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in {"p", "li", "dt", "dd", "td", "th", "h1", "h2", "h3", "div", "option"}:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            # White space as a browser shows it: a line break in the source is a space.
            self.parts.append(re.sub(r"\s+", " ", data))


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return re.sub(r"[ \t]*\n\s*", "\n", "".join(parser.parts)).strip()


def problems(text: str, language: str) -> list[str]:
    """What a reader of ``language`` would stumble on in ``text``, each with its context."""
    found = []

    def quote(match, source):
        start, end = max(match.start() - 12, 0), match.end() + 12
        return source[start:end].replace("\n", " ⏎ ")

    for match in ISO_DATE.finditer(text):
        found.append(f"ISO date: …{quote(match, text)}…")
    if language == "zh-hans":
        for match in SPACED_FULL_WIDTH.finditer(text):
            found.append(f"space beside full-width punctuation: …{quote(match, text)}…")
        words = NOT_WORDS.sub(" ", text)
        for pattern in (AFTER_CJK, BEFORE_CJK):
            for match in pattern.finditer(words):
                # Next to an English word it is an English sentence around a Chinese name:
                # a string not yet translated, which tests/test_translations.py reports.
                if not LATIN.match(match.group(1)):
                    found.append(f"half-width punctuation: …{quote(match, words)}…")
    else:
        for pattern, what in [
            (AMERICAN_DATE, "month before day"),
            (WEEKDAY_AFTER, "weekday after date"),
        ]:
            for match in pattern.finditer(text):
                found.append(f"{what}: …{quote(match, text)}…")
    return found


def load_demo() -> None:
    """``manage.py demo``, with the areas of law of migration booking 0003 (a test that
    flushed the database may have taken them)."""
    add_topics = importlib.import_module("booking.migrations.0003_topics").add_topics
    add_topics(apps, None)
    call_command("demo", stdout=StringIO())


@pytest.fixture
def demo(db, frozen_clock, plain_http):
    """The demo office at NOW, with a time off, a follow-up, a walk-in waiting and a
    resident who has booked nothing yet."""
    load_demo()
    office = Office.objects.get(slug="qingshi-demo")
    lawyer = Lawyer.objects.get(user__email="lawyer1@demo.invalid")
    resident = User.objects.get(phone="+8613800000101")
    TimeOffFactory(
        lawyer=lawyer,
        starts_at=local(NOW.date() + dt.timedelta(days=14), 0),
        ends_at=local(NOW.date() + dt.timedelta(days=16), 0),
        reason="培训",
    )
    TimeOffFactory(lawyer=lawyer, starts_at=local(NOW.date() + dt.timedelta(days=9), 14))
    attended = (
        Appointment.objects.filter(office=office, lawyer=lawyer, status=Status.ATTENDED)
        .order_by("-starts_at")
        .first()
    )
    FollowUpFactory(appointment=attended, invite_by=NOW.date() + dt.timedelta(days=13))
    walk_in = WalkInFactory(
        office=office,
        resident=UserFactory(display_name="欧阳秀英", village="白石村"),
        arrived_at=NOW - dt.timedelta(minutes=20),
    )
    return {
        "office": office,
        "lawyer": lawyer,
        "resident": resident,
        "newcomer": UserFactory(display_name="陈新来", phone="+8613700000999"),
        "booked": resident.appointments.filter(status=Status.BOOKED).order_by("starts_at")[0],
        "lawyers_appointment": lawyer.appointments.filter(status=Status.BOOKED)
        .order_by("starts_at")
        .first(),
        "attended": attended,
        "walk_in": walk_in,
        "desk": User.objects.get(email="desk@demo.invalid"),
        "head": User.objects.get(email="admin@demo.invalid"),
    }


def a_free_time(office, topic) -> dict:
    slot = selectors.list_free_slots(
        office=office,
        topic=topic,
        first_day=TOMORROW,
        last_day=TOMORROW + dt.timedelta(14),
        now=NOW,
    )[0]
    return {"start": format_start(slot.start, office.tz), "mode": slot.mode}


def pages(client, world, language) -> dict[str, str]:
    """Page name → visible text of every main page of each role, in ``language``."""
    client.cookies["django_language"] = language
    office, topic = world["office"], Topic.objects.get(code="family")
    seen = {}

    def read(name, url, *, method="get", data=None, status=HTTPStatus.OK):
        response = getattr(client, method)(url, data=data, follow=True)
        assert response.status_code == status, f"{name} ({url}): {response.status_code}"
        seen[name] = visible_text(response.content.decode())

    read("home", "/")
    read("sign in", reverse("account_login"))
    read("follow-up code", reverse("booking:follow_up_code"))
    read("not found", "/no-such-page/", status=HTTPStatus.NOT_FOUND)
    client.force_login(world["newcomer"])
    read("topics", reverse("booking:topics", kwargs={"office": office.slug}))
    slots = reverse("booking:slots", kwargs={"office": office.slug, "topic": topic.code})
    read("slots", slots)
    read("slots of a day", f"{slots}?day={(TOMORROW + dt.timedelta(days=1)).isoformat()}")
    chosen = a_free_time(office, topic)
    details = reverse("booking:details", kwargs={"office": office.slug, "topic": topic.code})
    read("details", details, data=chosen)
    form = {**chosen, "name": "陈新来", "privacy_accepted": "on"}
    read("review", details, method="post", data=form)
    read("booked", details, method="post", data={**form, "step": "confirm"})

    client.force_login(world["resident"])
    booked = world["booked"]
    read("my appointments", reverse("booking:my_appointments"))
    read("appointment", reverse("booking:appointment", kwargs={"reference": booked.reference}))
    read("move", reverse("booking:reschedule", kwargs={"reference": booked.reference}))
    read(
        "move: confirm",
        reverse("booking:reschedule_confirm", kwargs={"reference": booked.reference}),
        data=a_free_time(office, booked.topic),
    )
    read("cancel", reverse("booking:cancel", kwargs={"reference": booked.reference}))
    read("my data", reverse("booking:my_data"))

    client.force_login(world["desk"])
    read("day sheet", reverse("booking:desk_day"))
    read("day sheet tomorrow", f"{reverse('booking:desk_day')}?day={TOMORROW.isoformat()}")
    read("queue", reverse("booking:desk_queue"))
    read("slip", reverse("booking:desk_slip", kwargs={"reference": booked.reference}))
    read("follow-ups", reverse("booking:desk_follow_ups"))
    read("desk booking", reverse("booking:desk_book"))
    handle = mint_handle(resident_id=world["newcomer"].pk, clerk=world["desk"])
    read(
        "desk booking: times",
        reverse("booking:desk_book_form", kwargs={"handle": handle, "topic": topic.code}),
    )
    read("ticket", reverse("booking:desk_queue_ticket", kwargs={"pk": world["walk_in"].pk}))

    client.force_login(world["lawyer"].user)
    mine = world["lawyers_appointment"]
    read("agenda", reverse("booking:agenda"))
    read("agenda tomorrow", f"{reverse('booking:agenda')}?day={TOMORROW.isoformat()}")
    read("week", reverse("booking:agenda_week"))
    read(
        "lawyer's appointment",
        reverse("booking:lawyer_appointment", kwargs={"reference": mine.reference}),
    )
    read(
        "lawyer's past appointment",
        reverse("booking:lawyer_appointment", kwargs={"reference": world["attended"].reference}),
    )
    read("hours", reverse("booking:hours"))
    read("time off", reverse("booking:time_off"))
    read("time off: add", reverse("booking:time_off_add"))
    read("hours: add", reverse("booking:hours_add"))
    read("calendar", reverse("booking:calendar_settings"))

    client.force_login(world["head"])
    read("figures", reverse("booking:desk_figures"))
    return seen


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_main_page_writes_words_and_dates_as_its_language_does(client, demo, language):
    seen = pages(client, demo, language)
    found = [
        f"{name}: {problem}" for name, text in seen.items() for problem in problems(text, language)
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("zh-hans", "司法所将在 12月20日 星期日 前邀请居民。"),
        ("en", "The office will invite the resident by Sunday 20 December."),
    ],
)
def test_a_lawyers_follow_up_request_is_confirmed_with_the_day_in_words(
    client, demo, language, said
):
    client.cookies["django_language"] = language
    client.force_login(demo["lawyer"].user)
    url = reverse("booking:lawyer_appointment", kwargs={"reference": demo["attended"].reference})
    response = client.post(url, {"action": "follow_up", "invite_by": "2026-12-20"}, follow=True)
    text = visible_text(response.content.decode())
    assert said in text
    assert not problems(text, language), problems(text, language)


@pytest.mark.parametrize(
    ("language", "written"),
    [("zh-hans", ("2026年12月", "：")), ("en", ("December 2026", ": "))],
)
def test_records_named_in_the_admin_write_their_dates_in_words(
    language, written, lawyer, office, booked_appointment
):
    """What the admin's lists and messages call a record ("The time off “…” was
    deleted") names its day as the pages do, not 2026-12-14."""
    records = [
        TimeOffFactory(lawyer=lawyer, starts_at=local(NOW.date() + dt.timedelta(days=7), 9)),
        WalkInFactory(office=office, arrived_at=NOW),
        FollowUpFactory(appointment=booked_appointment),
        DutyException.objects.create(office=office, lawyer=lawyer, date=NOW.date()),
        DutyDay.objects.create(office=office, lawyer=lawyer, weekday=0),
    ]
    with translation.override(language):
        names = [str(record) for record in records]
    month, colon = written
    assert not [name for name in names if ISO_DATE.search(name)], names
    assert all(month in name for name in names[:4]), names
    assert colon in names[3] and colon in names[4], names


# The {% load when %} filters (booking/templatetags/when.py) and booking.dates.format_when


FRIDAY = dt.datetime(2026, 12, 4, 15, 15, tzinfo=SHANGHAI)


def render(source: str, language: str, **context) -> str:
    with translation.override(language), timezone.override(SHANGHAI):
        return Template("{% load when %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("source", "chinese", "english"),
    [
        ("{{ at|day }}", "12月4日 星期五", "Friday 4 December"),
        ("{{ at|day_time }}", "12月4日 星期五 15:15", "Friday 4 December, 15:15"),
        ("{{ at|day_year }}", "2026年12月4日 星期五", "Friday 4 December 2026"),
        ("{{ at|day_year_time }}", "2026年12月4日 星期五 15:15", "Friday 4 December 2026, 15:15"),
        ("{{ at.date|day_year }}", "2026年12月4日 星期五", "Friday 4 December 2026"),
        ("{{ nothing|day_time }}", "", ""),
    ],
)
def test_the_when_filters_write_the_weekday_where_each_language_does(source, chinese, english):
    assert render(source, "zh-hans", at=FRIDAY, nothing=None) == chinese
    assert render(source, "en", at=FRIDAY, nothing=None) == english


def test_the_when_filters_show_a_time_in_the_current_time_zone():
    """07:15 UTC is 15:15 in Shanghai: the page's zone, as Django's ``date`` filter does."""
    utc = FRIDAY.astimezone(dt.UTC)
    assert render("{{ at|day_time }}", "en", at=utc) == "Friday 4 December, 15:15"


def test_english_dates_without_a_weekday_read_day_month_year():
    with translation.override("en"):
        rendered = Template('{{ at|date:"DATE_FORMAT" }} · {{ at|date:"DATETIME_FORMAT" }}').render(
            Context({"at": FRIDAY.replace(tzinfo=None)})
        )
    assert rendered == "4 December 2026 · 4 December 2026, 15:15"


def test_messages_written_in_python_use_the_same_words():
    assert format_when(FRIDAY, "day_time", "zh-hans") == "12月4日 星期五 15:15"
    assert format_when(FRIDAY.date(), "day", "en") == "Friday 4 December"
    with translation.override("en"):
        assert format_when(FRIDAY.date(), "day_year") == "Friday 4 December 2026"


def test_the_reader_checks_catch_what_issue_15_found():
    """The checks of this module flag the very texts of the issue, and pass their fixes."""
    assert problems("紧急情况请拨打 110. 法律援助热线：12348。", "zh-hans")
    assert problems("青石镇司法所, 湖南省湘潭县", "zh-hans")
    assert problems("司法所将在 2026-12-20 前邀请居民。", "zh-hans")
    assert problems("Dec. 4, 2026 Friday 15:15", "en")
    assert problems("4 December 2026 Friday 15:15", "en")
    assert problems("电话： 135 0000 0101", "zh-hans")
    assert problems("12月7日 （本周）", "zh-hans")
    assert problems("青石镇司法所， 湖南省", "zh-hans")
    assert not problems("紧急情况请拨打 110。法律援助热线：12348。", "zh-hans")
    assert not problems("电话：135 0000 0101\n12月7日（本周）", "zh-hans")
    assert not problems("青石镇司法所，湖南省湘潭县 · 09:30 · 10.5 · desk@demo.invalid", "zh-hans")
    assert not problems("Friday 4 December 2026, 15:15 · 4 December 10:30", "en")
