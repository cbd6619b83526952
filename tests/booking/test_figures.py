"""The office head's figures: exact counts, "<5" for small ones, never a person, own office.

The data set is known to the last cell: the week of 30 November (last week at NOW) holds
ten appointments of office 1, this week two upcoming ones; office 2 has five of its own
that must never show.
"""

import csv
import datetime as dt
import io
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.figures import (
    MONTH,
    WEEK,
    Period,
    get_figures,
    list_next_free,
    list_periods,
    median_days,
    share,
    suppress,
)
from booking.models import Appointment, Channel, Mode, Status
from booking.reference import format_reference, new_reference
from booking.views.desk.figures import CHART_ALL_HIDDEN, CHART_ALL_ZERO
from tests.conftest import NOW, SHANGHAI, local
from tests.factories import LawyerFactory, OfficeFactory, RuleFactory, TopicFactory, UserFactory

URL = "/desk/figures/"
CSV_URL = "/desk/figures.csv"
LAST_MONDAY = dt.date(2026, 11, 30)

pytestmark = pytest.mark.usefixtures("plain_http")

IN, PHONE = Mode.IN_PERSON, Mode.PHONE
ONLINE, DESK, LAWYER = Channel.ONLINE, Channel.DESK, Channel.LAWYER
ATTENDED, NO_SHOW, CANCELLED, BOOKED = (
    Status.ATTENDED,
    Status.NO_SHOW,
    Status.CANCELLED,
    Status.BOOKED,
)
# (day, hour, minute, topic, mode, channel, status, days booked ahead)
LAST_WEEK = [
    (dt.date(2026, 11, 30), 9, 0, "family", IN, ONLINE, ATTENDED, 3),
    (dt.date(2026, 11, 30), 9, 30, "family", IN, ONLINE, ATTENDED, 3),
    (dt.date(2026, 12, 1), 9, 0, "family", PHONE, ONLINE, ATTENDED, 1),
    (dt.date(2026, 12, 1), 9, 30, "family", IN, DESK, ATTENDED, 0),
    (dt.date(2026, 12, 2), 9, 0, "family", IN, ONLINE, NO_SHOW, 5),
    (dt.date(2026, 12, 2), 9, 30, "family", PHONE, DESK, ATTENDED, 2),
    (dt.date(2026, 12, 3), 9, 0, "labour", IN, ONLINE, ATTENDED, 7),
    (dt.date(2026, 12, 3), 9, 30, "labour", PHONE, LAWYER, ATTENDED, 14),
    (dt.date(2026, 12, 4), 9, 0, "family", IN, ONLINE, CANCELLED, 2),
    (dt.date(2026, 12, 4), 10, 0, "family", IN, ONLINE, BOOKED, 1),  # outcome not recorded
]
THIS_WEEK = [
    (dt.date(2026, 12, 7), 9, 0, "family", IN, ONLINE, BOOKED, 2),
    (dt.date(2026, 12, 8), 9, 0, "labour", PHONE, DESK, BOOKED, 1),
]


def make(office, lawyer, topics, row, *, resident=None):
    day, hour, minute, topic, mode, channel, status, ahead = row
    resident = resident or UserFactory(village="白石村")
    appointment = Appointment.objects.create(
        reference=new_reference(),
        resident=resident,
        lawyer=lawyer,
        office=office,
        topic=topics[topic],
        starts_at=local(day, hour, minute),
        ends_at=local(day, hour, minute) + dt.timedelta(minutes=30),
        mode=mode,
        channel=channel,
        status=status,
        summary=f"{resident.display_name}的欠款纠纷，对方不还钱",
        opposing_party=f"对方{resident.pk}号",
        opposing_party_phone=f"+86139{resident.pk:08d}",
    )
    booked = dt.datetime.combine(day - dt.timedelta(days=ahead), dt.time(7, 30), SHANGHAI)
    Appointment.objects.filter(pk=appointment.pk).update(created_at=booked)
    return appointment


@pytest.fixture
def topics(topic):
    labour = TopicFactory(
        code="labour", name_zh_hans="劳动与欠薪", name_en="Labour and unpaid wages"
    )
    return {"family": topic, "labour": labour}


@pytest.fixture
def head(office):
    return UserFactory(role="office_admin", office=office, phone=None, phone_verified=False)


@pytest.fixture
def as_head(client, head, frozen_clock):
    """The office head's browser, in English: the texts asserted below are msgids."""
    client.force_login(head)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def data(office, lawyer, topics):
    """Office 1's known appointments and office 2's, which must never be counted."""
    mine = [make(office, lawyer, topics, row) for row in LAST_WEEK + THIS_WEEK]
    elsewhere = OfficeFactory()
    their_lawyer = LawyerFactory(offices=[elsewhere], topics=[topics["family"]])
    theirs = (
        [
            make(
                elsewhere,
                their_lawyer,
                topics,
                (LAST_MONDAY, 14, 30 * n, "family", IN, DESK, ATTENDED, 1),
            )
            for n in range(2)
        ]
        + [
            make(
                elsewhere,
                their_lawyer,
                topics,
                (dt.date(2026, 12, 2), 14, 30 * n, "labour", IN, ONLINE, NO_SHOW, 1),
            )
            for n in range(2)
        ]
        + [
            make(
                elsewhere,
                their_lawyer,
                topics,
                (LAST_MONDAY, 16, 0, "family", PHONE, ONLINE, ATTENDED, 0),
            )
        ]
    )
    return mine, theirs


# The small-number rule.


@pytest.mark.parametrize(("count", "shown"), [(0, "0"), (1, "<5"), (4, "<5"), (5, "5"), (17, "17")])
def test_counts_from_1_to_4_are_shown_as_less_than_5_and_zero_as_zero(count, shown):
    assert suppress(count) == shown


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (0, 4, "–"),  # too few in all
        (3, 7, "–"),  # both parts hidden
        (0, 10, "0%"),
        (10, 10, "100%"),
        (5, 10, "50%"),
        (1, 8, "<42%"),  # 1 of 8: only "fewer than 5 of 7 + 5" is said
        (7, 8, ">58%"),  # the hidden rest, from the shown 7 alone
        (1, 400, "<2%"),
        (6, 800, "1%"),  # never 0% when some
    ],
)
def test_a_share_never_gives_a_hidden_count_away(part, whole, shown):
    assert share(part, whole) == shown


def test_the_bound_for_a_hidden_part_depends_on_the_shown_rest_only():
    # Whatever the hidden part (1–4), the rest being 7 gives the same text.
    assert {share(part, part + 7) for part in range(1, 5)} == {"<42%"}
    assert {share(7, 7 + rest) for rest in range(1, 5)} == {">58%"}


def test_the_median_needs_5_bookings():
    assert median_days({1: 2, 3: 2}) is None
    assert median_days({0: 1, 1: 2, 2: 1, 3: 2, 5: 1, 7: 1}) == 2


def test_weeks_start_on_monday_and_months_on_the_first_in_office_time():
    weeks = list_periods(WEEK, NOW.date())
    assert len(weeks) == 8
    assert weeks[-1] == Period(WEEK, dt.date(2026, 12, 7), dt.date(2026, 12, 13), True)
    assert weeks[0].first_day == dt.date(2026, 10, 19)
    months = list_periods(MONTH, NOW.date())
    assert len(months) == 12
    assert months[0] == Period(MONTH, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert months[-2] == Period(MONTH, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert months[-1].current


def test_a_consultation_late_on_sunday_counts_in_its_local_week(office, lawyer, topics):
    # Sunday 6 December 23:30 in Shanghai is 15:30 UTC the same day; Monday 00:30 local
    # is still Sunday in UTC.
    make(office, lawyer, topics, (dt.date(2026, 12, 6), 23, 30, "family", IN, ONLINE, ATTENDED, 1))
    make(office, lawyer, topics, (dt.date(2026, 12, 7), 0, 30, "family", IN, ONLINE, ATTENDED, 1))
    report = get_figures(office=office, now=NOW)
    assert [item.consultations for item in report.weeks[-2:]] == [1, 1]


def test_a_hidden_desk_channel_is_not_given_away_by_the_shares(office, lawyer, topics):
    # Online 10, walk-ins 5, desk 2: the desk's 7 in all is shown, but the channel table
    # shows walk-ins 5, so an exact share (7 of 17: 41%) would tell the desk's 2.
    day = dt.date(2026, 11, 30)
    rows = [(ONLINE, 10), (Channel.WALK_IN, 5), (DESK, 2)]
    slot = 0
    for channel, count in rows:
        for _ in range(count):
            hour, minute = 8 + slot // 2, 30 * (slot % 2)
            make(office, lawyer, topics, (day, hour, minute, "family", IN, channel, ATTENDED, 1))
            slot += 1
    last_week = get_figures(office=office, now=NOW).weeks[-2]
    assert (last_week.online_share, last_week.desk_share) == ("–", "–")


# Exact figures of the known data set.


def test_last_weeks_figures_cell_by_cell(data, office):
    report = get_figures(office=office, now=NOW)
    last_week = report.weeks[-2]
    assert last_week.period.first_day == LAST_MONDAY

    def shown(dimension):
        return {cell.value: cell.shown for cell in report.cells(last_week, dimension)}

    topics = {cell.label: cell.shown for cell in report.cells(last_week, "topic")}
    assert topics == {"婚姻家庭": "7", "劳动与欠薪": "<5"}
    assert last_week.consultations_shown == "9"
    assert shown("mode") == {"in_person": "6", "phone": "<5"}
    assert shown("channel") == {"online": "6", "desk": "<5", "walk_in": "0", "lawyer": "<5"}
    assert shown("outcome") == {
        "upcoming": "0",
        "attended": "7",
        "no_show": "<5",
        "not_recorded": "<5",
        "cancelled": "<5",
    }
    assert last_week.no_show_rate == "<42%"
    assert last_week.online_share == ">54%"
    assert last_week.desk_share == "<46%"
    assert last_week.median_days_ahead == 2


def test_this_week_counts_upcoming_consultations_by_their_day(data, office):
    this_week = get_figures(office=office, now=NOW).weeks[-1]
    assert this_week.counts["outcome"] == {"upcoming": 2}
    assert this_week.consultations_shown == "<5"
    assert this_week.no_show_rate == "–"
    assert this_week.median_days_ahead is None


def test_months_add_up_by_calendar_month(data, office):
    report = get_figures(office=office, now=NOW)
    november, december = report.months[-2:]
    assert november.consultations == 2  # 30 November
    assert december.consultations == 9
    assert sum(item.consultations for item in report.months[:-2]) == 0


def test_the_page_shows_the_cells_of_the_chosen_week(as_head, data):
    page = as_head.get(URL, {"period": LAST_MONDAY.isoformat()}).content.decode()
    assert "<caption>Area of law</caption>" in page
    assert '<th scope="row">Family and marriage</th><td>7</td>' in page
    assert '<th scope="row">Labour and unpaid wages</th><td>&lt;5</td>' in page
    assert '<th scope="row">Walk-in</th><td>0</td>' in page
    assert "<dd>&lt;42%</dd>" in page and "<dd>&gt;54%</dd>" in page
    assert 'aria-current="true">30 November</a>' in page


def test_the_page_defaults_to_this_week_and_switches_to_months(as_head, data):
    page = as_head.get(URL).content.decode()
    # The current period's mark is part of its link, so that no space stands before the
    # bracket where the language writes none (Chinese: 12月7日（本周）).
    assert 'aria-current="true">7 December <span class="sub-inline">(this week)</span></a>' in page
    page = as_head.get(URL, {"by": "month"}).content.decode()
    assert (
        'aria-current="true">December 2026 <span class="sub-inline">(this month)</span></a>' in page
    )
    assert "<dd>9</dd>" in page


def test_the_page_is_in_chinese_by_default(client, head, data, frozen_clock):
    client.force_login(head)
    page = client.get(URL, {"period": LAST_MONDAY.isoformat()}).content.decode()
    assert '<html lang="zh-hans">' in page
    assert '<th scope="row">婚姻家庭</th><td>7</td>' in page
    assert 'aria-current="true">11月30日</a>' in page


def test_charts_are_inline_svg_with_a_title_and_no_bar_for_a_hidden_count(as_head, data):
    page = as_head.get(URL, {"period": LAST_MONDAY.isoformat()}).content.decode()
    assert page.count('<svg class="chart" role="img" aria-labelledby=') == 6
    assert "<script" not in page and "style=" not in page
    topic_chart = page.split('id="chart-topic-title"')[1].split("</svg>")[0]
    assert topic_chart.count("<rect") == 1  # 7 family consultations; labour is "<5"
    assert "&lt;5" in topic_chart


def test_the_chosen_period_comes_first_and_the_tables_fold_in_closed_details(as_head, data):
    page = as_head.get(URL, {"period": LAST_MONDAY.isoformat()}).content.decode()
    glance = page.index('<section id="period"')
    assert glance < page.index("<details") < page.index("<table")
    assert page.count('<details class="figures-more">') == 3  # none of them open
    assert "<details open" not in page and "<table" not in page[glance : page.index("<details")]
    assert '<h2 id="period-heading">Week of 30 November</h2>' in page
    assert "<dd>9</dd>" in page[glance : page.index("<details")]


def test_a_chart_whose_counts_are_all_hidden_says_so_in_words(as_head, data):
    """This week: one consultation of each area, mode and channel, two to come."""
    page = as_head.get(URL).content.decode()
    assert page.count(str(CHART_ALL_HIDDEN)) == 4
    assert 'id="chart-topic-none"' in page and 'id="chart-topic-title"' not in page
    assert 'id="chart-trend-title"' in page  # last week's 9 are drawn
    assert '<th scope="row">Family and marriage</th><td>&lt;5</td>' in page  # the table stays


def test_a_chart_of_nothing_but_zeros_says_so_in_words(as_head):
    page = as_head.get(URL).content.decode()
    assert page.count(str(CHART_ALL_ZERO)) == 5  # the trend and the four tables
    assert str(CHART_ALL_HIDDEN) not in page
    assert '<svg class="chart"' not in page  # no lawyer, no free times either


def test_the_csv_has_a_row_per_period_dimension_and_value_with_the_same_rule(as_head, data):
    response = as_head.get(CSV_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    header, rows = rows[0], rows[1:]
    assert header == ["period", "first day", "last day", "figure", "value", "count"]
    last_week = [row[3:] for row in rows if row[:3] == ["week", "2026-11-30", "2026-12-06"]]
    assert ["Area of law", "Family and marriage", "7"] in last_week
    assert ["Area of law", "Labour and unpaid wages", "<5"] in last_week
    assert ["Booked through", "Walk-in", "0"] in last_week
    assert ["Outcome", "Did not come", "<5"] in last_week
    assert ["Consultations", "", "9"] in last_week
    december = [row[3:] for row in rows if row[:2] == ["month", "2026-12-01"]]
    assert ["Consultations", "", "9"] in december
    # 8 weeks and 12 months, each with the total and every value of the four figures.
    assert len(rows) == 20 * (1 + 2 + 2 + 4 + 5)


def personal_strings(appointments) -> set[str]:
    found = set()
    for appointment in appointments:
        resident = appointment.resident
        found |= {
            resident.display_name,
            resident.village,
            resident.phone.as_e164,
            resident.phone.as_national,
            str(resident.phone.national_number),
            appointment.summary,
            appointment.opposing_party,
            appointment.opposing_party_phone.as_e164,
            appointment.reference,
            format_reference(appointment.reference),
        }
    return {text for text in found if text}


def test_neither_page_nor_csv_carries_anything_about_a_person(as_head, data):
    mine, theirs = data
    secrets = personal_strings(mine + theirs)
    assert len(secrets) > 50
    pages = [
        as_head.get(URL, {"period": LAST_MONDAY.isoformat()}).content.decode(),
        as_head.get(URL, {"by": "month"}).content.decode(),
        as_head.get(CSV_URL).content.decode(),
    ]
    for text in pages:
        assert [secret for secret in secrets if secret in text] == []


def test_another_offices_appointments_are_never_counted(data, office):
    _mine, theirs = data
    elsewhere = theirs[0].office
    report = get_figures(office=office, now=NOW)
    assert report.weeks[-2].consultations == 9
    their_week = get_figures(office=elsewhere, now=NOW).weeks[-2]
    assert their_week.consultations == 5
    assert their_week.counts["outcome"] == {"attended": 3, "no_show": 2}


def test_the_office_admin_of_another_office_sees_only_their_own(client, data, frozen_clock):
    _mine, theirs = data
    other_head = UserFactory(
        role="office_admin", office=theirs[0].office, phone=None, phone_verified=False
    )
    client.force_login(other_head)
    report = client.get(URL, {"period": LAST_MONDAY.isoformat()}).context["selected"]
    assert report.consultations == 5


@pytest.mark.parametrize("url", [URL, CSV_URL])
@pytest.mark.parametrize("role", ["desk", "lawyer", "resident"])
def test_only_office_admins_may_see_the_figures(client, office, lawyer, desk_user, url, role):
    user = {"desk": desk_user, "lawyer": lawyer.user, "resident": UserFactory()}[role]
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "booking/office_admin_only.html" in [template.name for template in response.templates]


@pytest.mark.parametrize("url", [URL, CSV_URL])
def test_signed_out_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith("/accounts/login/")


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(captured)


def test_the_page_and_csv_take_a_fixed_number_of_queries(
    as_head, data, office, lawyer, topics, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):
        as_head.get(URL)
    before = (queries(as_head, URL), queries(as_head, CSV_URL))
    resident = UserFactory()
    for week in range(1, 8):
        monday = LAST_MONDAY - dt.timedelta(weeks=week)
        for day in range(5):
            for hour in (14, 15, 16, 17):
                row = (monday + dt.timedelta(days=day), hour, 0, "labour", PHONE, DESK, ATTENDED, 2)
                make(office, lawyer, topics, row, resident=resident)
    assert (queries(as_head, URL), queries(as_head, CSV_URL)) == before


# The next free time per area of law.


def test_the_next_free_time_per_area_of_law_is_what_residents_could_book(office, lawyer, topics):
    labour_lawyer = LawyerFactory(offices=[office], topics=[topics["labour"]])
    RuleFactory(lawyer=labour_lawyer, office=office, weekday=3)  # Thursdays 9–12
    # The family lawyer's Monday 9:00 is taken: the next is 9:30 (60 minutes' notice).
    make(office, lawyer, topics, (NOW.date(), 9, 0, "family", IN, ONLINE, BOOKED, 1))
    found, days = list_next_free(office=office, now=NOW)
    assert days == 30
    assert [(item.topic.code, item.slot.start, item.days) for item in found] == [
        ("family", local(NOW.date(), 9, 30), 0),
        ("labour", local(dt.date(2026, 12, 10), 9), 3),
    ]


def test_an_area_without_free_time_says_none(as_head, office, lawyer, topics):
    LawyerFactory(offices=[office], topics=[topics["labour"]])  # no hours at all
    found, _days = list_next_free(office=office, now=NOW)
    assert [(item.topic.code, item.slot) for item in found][1] == ("labour", None)
    page = as_head.get(URL).content.decode()
    assert '<th scope="row">Labour and unpaid wages</th>\n              <td>none</td>' in page
