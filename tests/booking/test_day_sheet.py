"""The desk's day sheet: the office's day by lawyer, check-in and its undo, never the matter."""

import datetime as dt
import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.day_sheet import get_day_sheet
from booking.errors import (
    CHECK_IN_BY_PHONE,
    CHECK_IN_NOT_BOOKED,
    CHECK_IN_NOT_TODAY,
    CheckInByPhone,
    CheckInNotBooked,
    CheckInNotToday,
    CheckInOtherOffice,
)
from booking.models import Appointment, Channel, Mode
from booking.services import cancel_appointment
from booking.services.check_in import check_in, undo_check_in
from booking.services.outcomes import save_note
from booking.views.desk.day import CHECK_IN_UNDONE, CHECKED_IN
from sms.models import Message
from tests.conftest import NOW, local
from tests.factories import (
    AppointmentFactory,
    LawyerFactory,
    OfficeFactory,
    RuleFactory,
    UserFactory,
)

MONDAY = NOW.date()
TUESDAY = MONDAY + dt.timedelta(days=1)
URL = "/desk/"
MATTER = "邻居占了我家的宅基地，不该让窗口看到"
OTHER_PARTY = "欧阳对方"
NOTE = "律师的私人备注"

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


def new_lawyer(office, topic, name, **rule):
    lawyer = LawyerFactory(offices=[office], topics=[topic], user__display_name=name)
    for weekday in range(5):
        RuleFactory(lawyer=lawyer, office=office, weekday=weekday, **rule)
    return lawyer


@pytest.fixture
def at_desk(client, desk_user):
    client.force_login(desk_user)
    return client


@pytest.fixture
def two_lawyers(lawyer, office, topic):
    """Wang (the `lawyer` fixture) and Li; Li's name sorts first."""
    lawyer.user.display_name = "王律师"
    lawyer.user.save()
    return [new_lawyer(office, topic, "李律师"), lawyer]


def section_names(html: str) -> list[str]:
    return re.findall(r'<h2 id="lawyer-\d+">律师：<span class="nobreak">([^<]+)</span>', html)


def words(html: str) -> str:
    """The page's text without its markup."""
    return re.sub(r"<[^>]+>", "", html)


def test_the_sheet_lists_the_days_appointments_by_lawyer_then_time(at_desk, two_lawyers):
    li, wang = two_lawyers
    wang_later = AppointmentFactory(lawyer=wang, starts_at=local(MONDAY, 11), now=NOW)
    wang_first = AppointmentFactory(lawyer=wang, starts_at=local(MONDAY, 9, 30), now=NOW)
    li_only = AppointmentFactory(lawyer=li, starts_at=local(MONDAY, 10), now=NOW)
    AppointmentFactory(lawyer=wang, starts_at=local(TUESDAY, 9), now=NOW)  # another day

    response = at_desk.get(URL)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert section_names(html) == ["李律师", "王律师"]
    rows = re.findall(r'<tr id="appointment-(\d+)"', html)
    assert rows == [str(a.pk) for a in (li_only, wang_first, wang_later)]
    assert "09:30–10:00" in words(html) and "3 个预约" in html


def test_the_desk_sees_what_it_needs_and_never_the_matter(at_desk, lawyer):
    resident = UserFactory(display_name="张桂兰", village="石门村", phone="+8613912345678")
    appointment = AppointmentFactory(
        lawyer=lawyer,
        starts_at=local(MONDAY, 9),
        resident=resident,
        summary=MATTER,
        opposing_party=OTHER_PARTY,
        opposing_party_phone="+8613800001111",
        matter_consent_at=NOW,
        needs_interpreter=True,
        dialect="湘语",
        accessibility_needs="轮椅",
        channel=Channel.DESK,
        now=NOW,
    )
    save_note(appointment=appointment, lawyer=lawyer, text=NOTE)

    with CaptureQueriesContext(connection) as queries:
        html = at_desk.get(URL).content.decode()

    for shown in ["张桂兰", "石门村", "139 1234 5678", appointment.display_reference,
                  "婚姻家庭", "到所面谈", "翻译", "湘语", "轮椅", "09:00–09:30"]:  # fmt: skip
        assert shown in words(html), shown
    for hidden in [MATTER, OTHER_PARTY, "138 0000 1111", NOTE]:
        assert hidden not in html, hidden
    # Not even read from the database for this page.
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert '"booking_appointment"."summary"' not in sql
    assert "opposing_party" not in sql and "appointmentnote" not in sql


def test_cancelled_appointments_are_listed_apart_not_in_a_lawyers_section(at_desk, lawyer):
    kept = AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9), now=NOW)
    dropped = AppointmentFactory(
        lawyer=lawyer,
        starts_at=local(MONDAY, 10),
        resident=UserFactory(display_name="取消了的人"),
        now=NOW,
    )
    cancel_appointment(appointment=dropped, by=dropped.resident, now=NOW)

    sheet = get_day_sheet(office=lawyer.offices.get(), day=MONDAY, now=NOW)

    assert [entry.pk for entry in sheet.sections[0].entries] == [kept.pk]
    assert [entry.pk for entry in sheet.cancelled] == [dropped.pk]
    html = at_desk.get(URL).content.decode()
    assert f'id="appointment-{dropped.pk}"' not in html
    assert "取消了的人" in html.split('id="day-cancelled"')[1]


def test_another_day_has_its_own_address_and_links_to_the_days_around(at_desk, lawyer):
    monday = AppointmentFactory(
        lawyer=lawyer,
        starts_at=local(MONDAY, 9),
        resident=UserFactory(display_name="周一的人"),
        now=NOW,
    )
    tuesday = AppointmentFactory(
        lawyer=lawyer,
        starts_at=local(TUESDAY, 9),
        resident=UserFactory(display_name="周二的人"),
        now=NOW,
    )

    html = at_desk.get(f"/desk/day/{TUESDAY}/").content.decode()

    assert "周二的人" in html and "周一的人" not in html
    assert 'href="/desk/day/2026-12-07/"' in html and 'href="/desk/day/2026-12-09/"' in html
    assert 'href="/desk/"' in html  # back to today
    assert 'value="check_in"' not in html  # residents are checked in on the day only
    assert f'id="appointment-{tuesday.pk}"' in html
    assert f'id="appointment-{monday.pk}"' in at_desk.get(URL).content.decode()
    assert at_desk.get("/desk/day/2026-02-30/").status_code == HTTPStatus.NOT_FOUND


def test_checking_in_marks_the_resident_and_tells_nobody(
    at_desk, lawyer, django_capture_on_commit_callbacks
):
    appointment = AppointmentFactory(
        lawyer=lawyer,
        starts_at=local(MONDAY, 9),
        resident=UserFactory(display_name="张桂兰"),
        now=NOW,
    )
    messages_before = Message.objects.count()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = at_desk.post(URL, {"appointment": appointment.pk, "action": "check_in"})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/desk/#appointment-{appointment.pk}"
    appointment.refresh_from_db()
    assert appointment.checked_in_at == NOW
    assert appointment.sequence == 0  # calendars and SMS see no change
    assert callbacks == [] and Message.objects.count() == messages_before
    html = at_desk.get(URL).content.decode()
    assert str(CHECKED_IN % {"name": "张桂兰"}) in html
    assert "已签到 08:00" in html
    assert 'value="undo"' in html and 'value="check_in"' not in html


def test_a_check_in_made_by_mistake_is_undone(at_desk, lawyer):
    appointment = AppointmentFactory(
        lawyer=lawyer,
        starts_at=local(MONDAY, 9),
        resident=UserFactory(display_name="张桂兰"),
        now=NOW,
    )
    at_desk.post(URL, {"appointment": appointment.pk, "action": "check_in"})

    response = at_desk.post(URL, {"appointment": appointment.pk, "action": "undo"}, follow=True)

    appointment.refresh_from_db()
    assert appointment.checked_in_at is None
    html = response.content.decode()
    assert str(CHECK_IN_UNDONE % {"name": "张桂兰"}) in html
    assert 'value="check_in"' in html


def test_a_second_click_keeps_the_first_check_in_time(lawyer, office, desk_user, frozen_clock):
    appointment = AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9), now=NOW)
    check_in(appointment=appointment, office=office, by=desk_user, now=NOW)
    check_in(
        appointment=appointment, office=office, by=desk_user, now=NOW + dt.timedelta(minutes=3)
    )
    appointment.refresh_from_db()
    assert appointment.checked_in_at == NOW


def test_the_check_in_refuses_what_it_cannot_record(lawyer, office, topic, desk_user):
    cancelled = AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9), now=NOW)
    cancel_appointment(appointment=cancelled, by=desk_user, now=NOW)
    tomorrow = AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 9), now=NOW)
    phone_lawyer = new_lawyer(office, topic, "电话律师", mode=Mode.PHONE)
    by_phone = AppointmentFactory(
        lawyer=phone_lawyer, starts_at=local(MONDAY, 10), mode=Mode.PHONE, now=NOW
    )
    elsewhere = OfficeFactory()
    staff_elsewhere = UserFactory(role="desk", office=elsewhere, phone=None, phone_verified=False)
    today = AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 10), now=NOW)

    for appointment, error in [
        (cancelled, CheckInNotBooked),
        (tomorrow, CheckInNotToday),
        (by_phone, CheckInByPhone),
    ]:
        with pytest.raises(error):
            check_in(appointment=appointment, office=office, by=desk_user, now=NOW)
        with pytest.raises(error):
            undo_check_in(appointment=appointment, office=office, by=desk_user, now=NOW)
    with pytest.raises(CheckInOtherOffice):
        check_in(appointment=today, office=elsewhere, by=staff_elsewhere, now=NOW)
    with pytest.raises(CheckInOtherOffice):
        check_in(appointment=today, office=office, by=staff_elsewhere, now=NOW)
    assert not Appointment.objects.filter(checked_in_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("cancelled", CHECK_IN_NOT_BOOKED),
        ("tomorrow", CHECK_IN_NOT_TODAY),
        ("by_phone", CHECK_IN_BY_PHONE),
    ],
)
def test_a_refused_check_in_says_why_and_changes_nothing(
    at_desk, lawyer, office, topic, desk_user, which, message
):
    if which == "by_phone":
        appointment = AppointmentFactory(
            lawyer=new_lawyer(office, topic, "电话律师", mode=Mode.PHONE),
            starts_at=local(MONDAY, 10),
            mode=Mode.PHONE,
            now=NOW,
        )
    else:
        appointment = AppointmentFactory(
            lawyer=lawyer, starts_at=local(TUESDAY if which == "tomorrow" else MONDAY, 9), now=NOW
        )
    if which == "cancelled":
        cancel_appointment(appointment=appointment, by=desk_user, now=NOW)

    response = at_desk.post(URL, {"appointment": appointment.pk, "action": "check_in"}, follow=True)

    assert str(message) in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.checked_in_at is None


def test_phone_consultations_have_no_check_in_button(at_desk, office, topic):
    phone_lawyer = new_lawyer(office, topic, "电话律师", mode=Mode.PHONE)
    appointment = AppointmentFactory(
        lawyer=phone_lawyer, starts_at=local(MONDAY, 10), mode=Mode.PHONE, now=NOW
    )
    html = at_desk.get(URL).content.decode()
    row = html.split(f'id="appointment-{appointment.pk}"')[1].split("</tr>")[0]
    assert "电话咨询" in row and 'value="check_in"' not in row


def test_another_offices_appointment_is_not_found_and_stays_unchanged(at_desk, topic):
    elsewhere = OfficeFactory()
    theirs = AppointmentFactory(
        lawyer=new_lawyer(elsewhere, topic, "外所律师"),
        starts_at=local(MONDAY, 9),
        office=elsewhere,
        now=NOW,
    )

    for action in ("check_in", "undo"):
        response = at_desk.post(URL, {"appointment": theirs.pk, "action": action})
        assert response.status_code == HTTPStatus.NOT_FOUND
    assert at_desk.post(URL, {"appointment": "x", "action": "check_in"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.checked_in_at is None


def test_the_desk_of_another_office_sees_none_of_this_offices_day(client, lawyer, topic):
    ours = AppointmentFactory(
        lawyer=lawyer,
        starts_at=local(MONDAY, 9),
        resident=UserFactory(display_name="本所居民"),
        now=NOW,
    )
    elsewhere = OfficeFactory(name="另一个司法所")
    theirs = AppointmentFactory(
        lawyer=new_lawyer(elsewhere, topic, "外所律师"),
        starts_at=local(MONDAY, 10),
        office=elsewhere,
        now=NOW,
    )
    client.force_login(UserFactory(role="desk", office=elsewhere, phone=None, phone_verified=False))

    html = client.get(URL).content.decode()

    assert "本所居民" not in html and f'id="appointment-{ours.pk}"' not in html
    assert f'id="appointment-{theirs.pk}"' in html and "另一个司法所" in html


@pytest.mark.parametrize("path", [URL, f"/desk/day/{TUESDAY}/"])
@pytest.mark.parametrize("who", ["resident", "lawyer"])
def test_residents_and_lawyers_cannot_open_or_post_to_the_day_sheet(client, request, who, path):
    appointment = AppointmentFactory(
        lawyer=request.getfixturevalue("lawyer"), starts_at=local(MONDAY, 9), now=NOW
    )
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    assert client.get(path).status_code == HTTPStatus.FORBIDDEN
    response = client.post(path, {"appointment": appointment.pk, "action": "check_in"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    appointment.refresh_from_db()
    assert appointment.checked_in_at is None


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response["Location"]


def test_office_admins_use_the_day_sheet_too(client, office, lawyer):
    AppointmentFactory(
        lawyer=lawyer,
        starts_at=local(MONDAY, 9),
        resident=UserFactory(display_name="张桂兰"),
        now=NOW,
    )
    client.force_login(
        UserFactory(role="office_admin", office=office, phone=None, phone_verified=False)
    )
    assert "张桂兰" in client.get(URL).content.decode()


def test_each_lawyer_is_a_print_section_headed_by_the_office_and_date(at_desk, two_lawyers, office):
    for lawyer in two_lawyers:
        AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9), now=NOW)

    html = at_desk.get(URL).content.decode()

    sections = re.findall(r'<section class="day-lawyer".*?</section>', html, flags=re.S)
    assert len(sections) == 2
    for section in sections:
        head = re.search(r'<p class="day-print-head">(.*?)</p>', section).group(1)
        assert office.name in head and "2026年12月7日" in head
        assert "<table" in section and "<thead>" in section


def test_one_lawyer_only_on_request(at_desk, two_lawyers):
    li, wang = two_lawyers
    AppointmentFactory(lawyer=li, starts_at=local(MONDAY, 9), now=NOW)
    AppointmentFactory(lawyer=wang, starts_at=local(MONDAY, 10), now=NOW)
    html = at_desk.get(f"{URL}?lawyer={wang.pk}").content.decode()
    assert section_names(html) == ["王律师"]
    assert section_names(at_desk.get(f"{URL}?lawyer=nonsense").content.decode()) == [
        "李律师",
        "王律师",
    ]


def queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == HTTPStatus.OK
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_day(
    at_desk, office, topic, lawyer, django_assert_max_num_queries
):
    AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9), now=NOW)
    few = queries_for(at_desk, URL)
    for index in range(3):
        other = new_lawyer(office, topic, f"律师{index}")
        for hour in (9, 10, 11):
            AppointmentFactory(
                lawyer=other,
                starts_at=local(MONDAY, hour),
                needs_interpreter=True,
                channel=Channel.DESK,
                now=NOW,
            )
        cancel_appointment(
            appointment=AppointmentFactory(lawyer=other, starts_at=local(MONDAY, 11, 30), now=NOW),
            by=other.user,
            now=NOW,
        )
    with django_assert_max_num_queries(few):
        html = at_desk.get(URL).content.decode()
    assert html.count('class="day-lawyer"') == 4
    assert few <= 7  # session, user, the staff TOTP check, office, the sheet, its texts
