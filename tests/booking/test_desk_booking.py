"""The desk books for callers and walk-ins: find or register the resident, pick a time,
book with the desk as the channel, print a slip. Own office only; never the matter."""

import datetime as dt
import html
import json
import re
from http import HTTPStatus

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext

from accounts.models import Role, User
from accounts.validators import NOT_A_MOBILE_NUMBER
from booking.access_log import DESK_RESIDENT_DETAILS
from booking.desk_residents import mint_handle, read_handle
from booking.forms.desk import (
    CHOOSE_A_TIME,
    NAME_TO_REGISTER,
    PHONE_OR_NAME,
    TOLD_ABOUT_PRIVACY,
    VILLAGE_TO_FIND,
)
from booking.models import AccessLog, AccessPlace, Appointment, Channel, Mode, Status
from booking.services import book_appointment
from booking.views.desk.book import (
    DESK_CONFLICT,
    DESK_TIME_GONE,
    DESK_TOO_MANY,
    HANDLE_EXPIRED,
    NOT_A_RESIDENT_NUMBER,
    NOT_TEXTED,
    TEXTED,
)
from sms.models import Kind, Message
from tests.conftest import NOW, local
from tests.factories import LawyerFactory, OfficeFactory, RuleFactory, TopicFactory, UserFactory

MONDAY = NOW.date()
TUESDAY = MONDAY + dt.timedelta(days=1)
FIND = "/desk/book/"
NUMBER = "+8613912345678"
SECRET = "不该让窗口看到的案情"

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


@pytest.fixture
def at_desk(client, desk_user):
    client.force_login(desk_user)
    return client


@pytest.fixture
def reach(desk_user):
    """The address of the desk's pages for a resident, with the handle that the find step
    gives ``desk_user`` (the find step itself is tested below)."""

    def address(resident, topic=None) -> str:
        handle = mint_handle(resident_id=resident.pk, clerk=desk_user)
        return f"/desk/book/for/{handle}/" + (f"{topic.code}/" if topic else "")

    return address


def slot(start: dt.datetime, mode: str = Mode.IN_PERSON) -> str:
    return f"{start:%Y-%m-%dT%H:%M}|{mode}"


def answers(start: dt.datetime, **extra) -> dict:
    data = {"slot": slot(start), "privacy_accepted": "on", **extra}
    if extra.get("summary") or extra.get("opposing_party"):
        data["matter_consent"] = "on"  # asked on its own (issue 12.11)
    return data


def text(response) -> str:
    return response.content.decode()


def shown(message) -> str:
    """A message as the page shows it: in the active language, HTML-escaped."""
    return html.escape(str(message))


def checked_slot(page: str) -> str:
    """The value of the radio button chosen on the page."""
    return re.search(r'name="slot" value="([^"]+)" checked', page).group(1)


def book_for(client, url, start, **extra):
    return client.post(url, answers(start, **extra))


def links(page: str) -> list[str]:
    """The addresses of the residents a find page lists, in order."""
    return re.findall(r'href="(/desk/book/for/[^"/]+/)"', page)


def resident_of(link: str, clerk) -> int:
    """The resident a listed address leads ``clerk`` to."""
    return read_handle(link.split("/")[-2], clerk=clerk)


# Finding and registering the resident.


def test_a_new_caller_is_registered_by_the_number_as_typed(at_desk, lawyer, reach):
    page = text(at_desk.post(FIND, {"phone": "139 1234 5678", "action": "find"}))
    assert shown(gettext("No resident has this number yet.")) in page
    response = at_desk.post(FIND, {"phone": "139 1234 5678", "name": "李四", "action": "register"})
    resident = User.objects.get(phone=NUMBER)
    assert (resident.role, resident.display_name, resident.pending_until) == (
        Role.RESIDENT,
        "李四",
        None,
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reach(resident)


def test_a_known_number_finds_its_resident(at_desk, desk_user, lawyer):
    known = UserFactory(phone=NUMBER, display_name="王芳", village="枫树村")
    page = text(at_desk.post(FIND, {"phone": "+86 139-1234-5678", "action": "find"}))
    (link,) = links(page)
    assert resident_of(link, desk_user) == known.pk
    assert "王芳" in page and "枫树村" in page and "139****5678" in page
    # The number's owner is found: no second account and no register button.
    assert 'value="register"' not in page


def test_a_staff_number_is_refused_clearly(at_desk, lawyer):
    lawyer.user.phone = NUMBER
    lawyer.user.save()
    for action in ("find", "register"):
        response = at_desk.post(FIND, {"phone": "13912345678", "name": "李四", "action": action})
        assert response.status_code == HTTPStatus.OK
        assert shown(NOT_A_RESIDENT_NUMBER) in text(response)
    assert not User.objects.filter(role=Role.RESIDENT, display_name="李四").exists()


def test_a_landline_or_nothing_at_all_is_refused(at_desk):
    page = text(at_desk.post(FIND, {"phone": "0731-12345678", "action": "find"}))
    assert shown(NOT_A_MOBILE_NUMBER) in page
    assert shown(PHONE_OR_NAME) in text(at_desk.post(FIND, {"action": "find"}))
    page = text(at_desk.post(FIND, {"phone": "13912345678", "action": "register"}))
    assert shown(NAME_TO_REGISTER) in page
    assert not User.objects.filter(phone=NUMBER).exists()


def test_namesakes_of_the_village_are_shown_and_the_desk_picks_one(
    at_desk, desk_user, lawyer, topic
):
    UserFactory(display_name="张三", village="柳树村", phone=None, phone_verified=False)
    same = UserFactory(display_name="张三", village="枫树村", phone=None, phone_verified=False)
    namesake = UserFactory(display_name="张三", village="枫树村", phone="+8613900001234")
    page = text(at_desk.post(FIND, {"name": "张三", "village": "枫树村", "action": "find"}))
    found = [resident_of(link, desk_user) for link in links(page)]
    assert sorted(found) == sorted([same.pk, namesake.pk])  # not the one of 柳树村
    assert "柳树村" not in page.replace('value="柳树村"', "")
    assert "139****1234" in page and shown(gettext("No mobile number")) in page
    assert 'value="register"' in page  # or a third 张三

    link = links(page)[found.index(same.pk)]
    response = book_for(at_desk, f"{link}{topic.code}/", local(TUESDAY, 9))
    appointment = Appointment.objects.get()
    assert appointment.resident == same
    assert response["Location"] == f"/desk/book/done/{appointment.reference}/"


def test_a_new_namesake_is_registered_as_a_new_resident(at_desk):
    UserFactory(display_name="张三", village="枫树村", phone=None, phone_verified=False)
    at_desk.post(FIND, {"name": "张三", "village": "柳树村", "action": "register"})
    assert sorted(User.objects.filter(display_name="张三").values_list("village", flat=True)) == [
        "枫树村",
        "柳树村",
    ]


def default_action(page: str) -> str:
    """What Enter in a field of the find form does: the action of its first submit button
    in the page's order (inside the form, or after it with ``form="find-form"``)."""
    form = page.split('id="find-form"')[1]
    inside, after = form.split("</form>", 1)
    buttons = re.findall(r'<button[^>]*type="submit"[^>]*value="(\w+)"', inside)
    buttons += re.findall(r'<button[^>]*form="find-form"[^>]*value="(\w+)"', after)
    return buttons[0]


def test_when_nobody_is_found_enter_registers_and_the_name_comes_next(at_desk, lawyer, reach):
    page = text(at_desk.get(FIND))
    assert default_action(page) == "find"
    page = text(at_desk.post(FIND, {"phone": "139 1234 5678", "action": "find"}))
    assert default_action(page) == "register"
    assert re.search(r'<input[^>]*name="name"[^>]*autofocus', page)
    assert not re.search(r'<input[^>]*name="phone"[^>]*autofocus', page)
    searched = re.search(r'name="searched" value="([^"]+)"', page).group(1)
    response = at_desk.post(
        FIND,
        {"phone": "139 1234 5678", "name": "李四", "searched": searched, "action": "register"},
    )
    assert response["Location"] == reach(User.objects.get(phone=NUMBER, display_name="李四"))


def test_with_namesakes_found_enter_finds_again(at_desk):
    UserFactory(display_name="张三", village="枫树村", phone=None, phone_verified=False)
    page = text(at_desk.post(FIND, {"name": "张三", "village": "枫树村", "action": "find"}))
    assert default_action(page) == "find"
    assert 'value="register"' in page  # a click, not Enter


def test_a_register_for_other_details_than_were_searched_finds_them_first(at_desk, desk_user):
    known = UserFactory(display_name="张三丰", village="枫树村", phone=None, phone_verified=False)
    page = text(at_desk.post(FIND, {"name": "张三", "village": "枫树村", "action": "find"}))
    searched = re.search(r'name="searched" value="([^"]+)"', page).group(1)
    # The clerk corrects the name and presses Enter: the known 张三丰 is shown, not doubled.
    data = {"name": "张三丰", "village": "枫树村", "searched": searched, "action": "register"}
    page = text(at_desk.post(FIND, data))
    assert [resident_of(link, desk_user) for link in links(page)] == [known.pk]
    assert User.objects.filter(display_name="张三丰").count() == 1
    assert default_action(page) == "find"
    # Registering a namesake stays possible, with a click, for the details now searched.
    searched = re.search(r'name="searched" value="([^"]+)"', page).group(1)
    at_desk.post(FIND, {**data, "searched": searched})
    assert User.objects.filter(display_name="张三丰").count() == 2


# Booking.


def test_the_desk_books_for_a_caller_who_gets_the_sms(at_desk, desk_user, lawyer, topic, reach):
    resident = UserFactory(phone=NUMBER, display_name="王芳")
    page = text(at_desk.get(reach(resident, topic)))
    assert checked_slot(page) == slot(local(MONDAY, 9))  # the first free time
    assert "12月8日" in page  # the next days too

    response = book_for(
        at_desk,
        reach(resident, topic),
        local(TUESDAY, 10),
        opposing_party="某建筑公司",
        needs_interpreter="on",
        dialect="湘西话",
        summary=SECRET,
    )
    appointment = Appointment.objects.get()
    assert appointment.booked_by == desk_user
    assert appointment.channel == Channel.DESK
    assert (appointment.starts_at, appointment.lawyer, appointment.status) == (
        local(TUESDAY, 10),
        lawyer,
        Status.BOOKED,
    )
    assert appointment.opposing_party == "某建筑公司" and appointment.needs_interpreter
    assert appointment.summary == SECRET  # for the lawyer
    assert Message.objects.filter(kind=Kind.CONFIRMATION, recipient=NUMBER).exists()

    done = text(at_desk.get(response["Location"]))
    assert appointment.display_reference in done
    assert shown(TEXTED % {"number": "139****5678"}) in done and "湘西话" in done
    assert SECRET not in done
    assert SECRET not in text(at_desk.get(f"/desk/slip/{appointment.reference}/"))
    # The resident was told the privacy notice; the desk's look at their details is logged.
    resident.refresh_from_db()
    assert resident.consented_at == NOW
    log = AccessLog.objects.get(appointment__isnull=False)
    assert (log.viewer, log.appointment, log.place) == (desk_user, appointment, AccessPlace.DESK)
    assert "summary" not in log.details


def test_a_walk_in_without_a_phone_gets_a_slip_and_no_sms(at_desk, office, lawyer, topic, reach):
    at_desk.post(FIND, {"name": "赵大妈", "village": "枫树村", "action": "register"})
    resident = User.objects.get(display_name="赵大妈")
    page = text(at_desk.get(reach(resident, topic)))
    assert shown(gettext("No mobile number")) in page

    response = book_for(at_desk, reach(resident, topic), local(TUESDAY, 9, 30))
    appointment = Appointment.objects.get()
    assert not Message.objects.exists()
    done = text(at_desk.get(response["Location"]))
    assert shown(NOT_TEXTED) in done
    slip = text(at_desk.get(f"/desk/slip/{appointment.reference}/"))
    for fact in (appointment.display_reference, "12月8日", "星期二", "09:30", office.address):
        assert fact in slip
    assert office.phone in slip
    alone = text(at_desk.get(f"/desk/slip/{appointment.reference}/?print=1"))
    assert appointment.display_reference in alone and "desk-bar" not in alone


def test_a_resident_without_a_phone_is_offered_no_phone_consultations(
    at_desk, office, lawyer, topic, reach
):
    RuleFactory(
        lawyer=lawyer,
        office=office,
        weekday=1,
        start_time=dt.time(14),
        end_time=dt.time(15),
        mode=Mode.PHONE,
    )
    no_phone = UserFactory(phone=None, phone_verified=False)
    page = text(at_desk.get(reach(no_phone, topic)))
    assert slot(local(TUESDAY, 14), Mode.PHONE) not in page
    response = at_desk.post(
        reach(no_phone, topic),
        {"slot": slot(local(TUESDAY, 14), Mode.PHONE), "privacy_accepted": "on"},
    )
    assert response.status_code == HTTPStatus.OK and not Appointment.objects.exists()
    with_phone = UserFactory()
    assert slot(local(TUESDAY, 14), Mode.PHONE) in text(at_desk.get(reach(with_phone, topic)))


def test_the_name_is_asked_when_the_account_has_none(at_desk, lawyer, topic, reach):
    nameless = UserFactory(display_name="")
    page = text(at_desk.post(reach(nameless, topic), answers(local(TUESDAY, 9))))
    assert 'name="name"' in page and not Appointment.objects.exists()
    book_for(at_desk, reach(nameless, topic), local(TUESDAY, 9), name="孙七")
    nameless.refresh_from_db()
    assert nameless.display_name == "孙七" and Appointment.objects.get().resident == nameless


def test_nothing_is_booked_without_a_time_or_the_privacy_notice(
    at_desk, lawyer, topic, resident, reach
):
    page = text(at_desk.post(reach(resident, topic), {"privacy_accepted": "on"}))
    assert shown(CHOOSE_A_TIME) in page
    page = text(at_desk.post(reach(resident, topic), {"slot": slot(local(TUESDAY, 9))}))
    assert shown(TOLD_ABOUT_PRIVACY) in page
    assert checked_slot(page) == slot(local(TUESDAY, 9))  # the choice is kept
    assert not Appointment.objects.exists()


def test_a_time_taken_meanwhile_offers_the_nearest_times_with_the_answers_kept(
    at_desk, office, lawyer, topic, resident, reach
):
    book_appointment(
        resident=UserFactory(),
        office=office,
        topic=topic,
        lawyer=lawyer,
        starts_at=local(TUESDAY, 10),
        mode=Mode.IN_PERSON,
    )
    response = book_for(
        at_desk, reach(resident, topic), local(TUESDAY, 10), opposing_party="王五", dialect="湘西话"
    )
    assert response.status_code == HTTPStatus.OK
    page = text(response)
    assert shown(DESK_TIME_GONE) in page
    assert checked_slot(page) in {slot(local(TUESDAY, 9, 30)), slot(local(TUESDAY, 10, 30))}
    assert slot(local(TUESDAY, 10)) not in page
    assert 'value="王五"' in page and 'value="湘西话"' in page
    assert Appointment.objects.filter(resident=resident).count() == 0

    book_for(at_desk, reach(resident, topic), local(TUESDAY, 10, 30), opposing_party="王五")
    assert Appointment.objects.get(resident=resident).starts_at == local(TUESDAY, 10, 30)


def test_a_lawyer_who_advised_the_other_party_is_refused_neutrally(
    at_desk, office, lawyer, topic, resident, reach
):
    book_appointment(
        resident=UserFactory(display_name="王五"),
        office=office,
        topic=topic,
        lawyer=lawyer,
        starts_at=local(MONDAY, 11),
        mode=Mode.IN_PERSON,
    )
    page = text(book_for(at_desk, reach(resident, topic), local(TUESDAY, 9), opposing_party="王五"))
    assert shown(DESK_CONFLICT) in page
    assert "王五" not in page.replace('value="王五"', "")  # the page names no one else
    assert not Appointment.objects.filter(resident=resident).exists()


def test_a_resident_who_holds_the_maximum_is_told_so(
    at_desk, office, lawyer, topic, resident, reach
):
    for hour in (9, 10):
        book_appointment(
            resident=resident,
            office=office,
            topic=topic,
            lawyer=lawyer,
            starts_at=local(TUESDAY, hour),
            mode=Mode.IN_PERSON,
        )
    message = shown(DESK_TOO_MANY % {"name": resident, "limit": 2})
    assert message in text(at_desk.get(reach(resident)))
    assert message in text(at_desk.get(reach(resident, topic)))
    response = book_for(at_desk, reach(resident, topic), local(TUESDAY, 11))
    assert message in text(response)
    assert resident.appointments.count() == 2


def test_a_named_lawyer_and_a_mode_filter_the_times(
    at_desk, office, lawyer, topic, resident, reach
):
    other = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(
        lawyer=other, office=office, weekday=1, start_time=dt.time(14), end_time=dt.time(15)
    )
    page = text(at_desk.get(reach(resident, topic), {"lawyer": other.pk}))
    assert checked_slot(page) == slot(local(TUESDAY, 14))
    assert slot(local(MONDAY, 9)) not in page
    book_for(at_desk, reach(resident, topic), local(TUESDAY, 14), lawyer=other.pk)
    assert Appointment.objects.get().lawyer == other


def test_later_days_are_one_link_away(at_desk, lawyer, topic, resident, reach):
    page = text(at_desk.get(reach(resident, topic)))
    assert "12月11日" in page and "12月14日" not in page  # five weekdays
    later = re.search(r'href="(\?day=[^"]+)"', page).group(1)
    assert "12月14日" in text(at_desk.get(reach(resident, topic) + later.replace("&amp;", "&")))


# The desk reaches a resident only through the find step (issue 12.1).

# The ways the review's full number could appear on a page.
WHOLE_NUMBER = ("13912345678", "139 1234 5678", "139-1234-5678", "+86 139")


def found_part(page: str) -> str:
    """What a find page answers, without the form that holds what the clerk typed."""
    return page.partition('id="found-title"')[2]


def test_walking_resident_ids_reaches_no_one(at_desk, lawyer, topic):
    """The review walked /desk/book/1/ … /150/ and read every resident's details."""
    residents = [UserFactory(display_name=f"居民甲{index}") for index in range(5)]
    for resident in residents:
        for url in (
            f"/desk/book/{resident.pk}/",
            f"/desk/book/{resident.pk}/{topic.code}/",
            f"/desk/book/for/{resident.pk}/",
            f"/desk/book/for/{resident.pk}/{topic.code}/",
        ):
            response = at_desk.get(url)
            assert response.status_code == HTTPStatus.NOT_FOUND, url
            assert resident.display_name not in text(response)
    assert not AccessLog.objects.exists()


def test_a_handle_serves_only_the_clerk_who_found_the_resident(
    client, desk_user, office, lawyer, topic
):
    UserFactory(phone=NUMBER, display_name="王芳")
    client.force_login(desk_user)
    (link,) = links(text(client.post(FIND, {"phone": NUMBER, "action": "find"})))
    pages = (link, f"{link}{topic.code}/")
    for url in pages:
        assert client.get(url).status_code == HTTPStatus.OK
    colleague = UserFactory(role=Role.DESK, office=office, phone=None, phone_verified=False)
    head = UserFactory(role=Role.OFFICE_ADMIN, office=office, phone=None, phone_verified=False)
    elsewhere = UserFactory(
        role=Role.DESK, office=OfficeFactory(), phone=None, phone_verified=False
    )
    for other in (colleague, head, elsewhere):
        client.force_login(other)
        for url in pages:
            response = client.get(url)
            assert response.status_code == HTTPStatus.NOT_FOUND, (other.role, url)
            assert "王芳" not in text(response)
        response = client.post(pages[1], answers(local(TUESDAY, 9)))
        assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Appointment.objects.exists()
    assert set(AccessLog.objects.values_list("viewer", flat=True)) == {desk_user.pk}
    # Moved to another office, the clerk's own handle no longer opens the resident.
    desk_user.office = elsewhere.office
    desk_user.save(update_fields=["office"])
    client.force_login(desk_user)
    assert client.get(link).status_code == HTTPStatus.NOT_FOUND


def test_a_forged_or_altered_handle_is_refused(at_desk, desk_user, resident, lawyer, topic):
    payload, stamp, signature = mint_handle(resident_id=resident.pk, clerk=desk_user).split(":")
    other = UserFactory(display_name="别人")
    other_payload = signing.b64_encode(
        json.dumps([other.pk, desk_user.pk, desk_user.office_id], separators=(",", ":")).encode()
    ).decode()
    with_another_key = signing.TimestampSigner(
        key="not-our-secret-key", salt="booking.desk.resident-handle"
    ).sign_object([other.pk, desk_user.pk, desk_user.office_id])
    for forged in (
        f"{other_payload}:{stamp}:{signature}",  # another resident under this signature
        f"{payload}:{stamp}:{signature[::-1]}",
        f"{payload}:{stamp}",
        with_another_key,
        signing.dumps([other.pk, desk_user.pk, desk_user.office_id]),  # another purpose
        str(other.pk),
        "x",
    ):
        for url in (f"/desk/book/for/{forged}/", f"/desk/book/for/{forged}/{topic.code}/"):
            response = at_desk.get(url)
            assert response.status_code == HTTPStatus.NOT_FOUND, forged
            assert "别人" not in text(response)


def test_an_expired_handle_sends_the_clerk_back_to_find(
    at_desk, resident, lawyer, topic, reach, frozen_clock
):
    url = reach(resident, topic)
    # The clerk keeps working (staff sessions end after a while idle) until the hour is up.
    for _step in range(3):
        frozen_clock.shift(dt.timedelta(minutes=19, seconds=40))
        assert at_desk.get(url).status_code == HTTPStatus.OK
    frozen_clock.shift(dt.timedelta(minutes=2))
    for response in (at_desk.get(url), book_for(at_desk, url, local(TUESDAY, 9))):
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == FIND
    assert not Appointment.objects.exists()
    page = text(at_desk.get(FIND))
    assert shown(HANDLE_EXPIRED % {"minutes": 60}) in page
    assert resident.display_name not in page


def test_the_number_is_masked_on_every_desk_booking_page(at_desk, lawyer, topic):
    UserFactory(phone=NUMBER, display_name="王芳", village="枫树村")
    found = text(at_desk.post(FIND, {"phone": "139 1234 5678", "action": "find"}))
    (link,) = links(found)
    done = book_for(at_desk, f"{link}{topic.code}/", local(TUESDAY, 9))["Location"]
    pages = {
        "find": found_part(found),
        "topics": text(at_desk.get(link)),
        "form": text(at_desk.get(f"{link}{topic.code}/")),
        "done": text(at_desk.get(done)),
    }
    for name, page in pages.items():
        assert "139****5678" in page, name
        for whole in WHOLE_NUMBER:
            assert whole not in page, (name, whole)


def test_each_desk_look_at_a_resident_is_in_the_access_log(
    at_desk, desk_user, office, lawyer, topic, frozen_clock
):
    caller = UserFactory(phone=NUMBER, display_name="王芳", village="枫树村")
    namesakes = [
        UserFactory(display_name="张三", village="枫树村", phone=None, phone_verified=False)
        for _index in range(2)
    ]
    (link,) = links(text(at_desk.post(FIND, {"phone": NUMBER, "action": "find"})))
    row = AccessLog.objects.get()
    assert (row.resident, row.appointment, row.office, row.viewer, row.place) == (
        caller,
        None,
        office,
        desk_user,
        AccessPlace.DESK,
    )
    assert row.details == ",".join(DESK_RESIDENT_DETAILS) and "phone_masked" in row.details
    assert row.at == NOW and row.ip == "127.0.0.1"
    # The area of law and the time pages show the same: the day's first look is kept.
    for url in (link, f"{link}{topic.code}/", f"{link}{topic.code}/?day=2026-12-09"):
        assert at_desk.get(url).status_code == HTTPStatus.OK
    assert AccessLog.objects.count() == 1
    # Every namesake listed is seen; finding no one and refusals write nothing.
    at_desk.post(FIND, {"name": "张三", "village": "枫树村", "action": "find"})
    at_desk.post(FIND, {"name": "张三", "village": "柳树村", "action": "find"})
    at_desk.post(FIND, {"phone": "13900000000", "action": "find"})
    logged = sorted(AccessLog.objects.values_list("resident_id", flat=True))
    assert logged == sorted([caller.pk, *(namesake.pk for namesake in namesakes)])
    # Another day, another row.
    frozen_clock.shift(dt.timedelta(days=1))
    at_desk.force_login(desk_user)
    at_desk.post(FIND, {"phone": NUMBER, "action": "find"})
    assert AccessLog.objects.filter(resident=caller).count() == 2


def test_partial_input_lists_no_one(at_desk, desk_user, lawyer):
    UserFactory(phone=NUMBER, display_name="王芳", village="枫树村")
    latin = UserFactory(
        display_name="Ayxan Aliyev", village="Shimen", phone=None, phone_verified=False
    )
    for typed in ("139", "1391234", "139123456", "1391234567", "139123456789", "5678"):
        page = text(at_desk.post(FIND, {"phone": typed, "action": "find"}))
        assert shown(NOT_A_MOBILE_NUMBER) in page, typed
        assert links(page) == [] and "139****5678" not in page
    for name, village in (
        ("王", "枫树村"),
        ("芳", "枫树村"),
        ("王芳", "枫树"),
        ("王芳", "村"),
        ("王芳", "枫树村二组"),
        ("王%", "枫树村"),
        ("王_", "枫树村"),
        ("%", "%"),
        ("_", "_"),
        ("Ayxan", "Shimen"),
        ("Ayxan Aliyev", "Shi"),
    ):
        page = text(at_desk.post(FIND, {"name": name, "village": village, "action": "find"}))
        assert links(page) == [], (name, village)
        assert "139****5678" not in page
    page = text(at_desk.post(FIND, {"name": "王芳", "action": "find"}))
    assert shown(VILLAGE_TO_FIND) in page and links(page) == []
    # Whole, as people write it: spaces, a middle dot, full-width letters, case.
    for name, village in (
        ("王芳", "枫树村"),
        (" 王 芳 ", "枫树村 "),
        ("王·芳", "枫树村"),
        ("ayxan aliyev", "SHIMEN"),
        ("Ａｙｘａｎ Ａｌｉｙｅｖ", "Ｓｈｉｍｅｎ"),
        ("Ayxan·Aliyev", "Shimen"),
    ):
        page = text(at_desk.post(FIND, {"name": name, "village": village, "action": "find"}))
        assert len(links(page)) == 1, (name, village)
    assert resident_of(links(page)[0], desk_user) == latin.pk


def test_registering_without_a_phone_needs_the_village(at_desk):
    page = text(at_desk.post(FIND, {"name": "赵大妈", "action": "register"}))
    assert shown(VILLAGE_TO_FIND) in page
    assert not User.objects.filter(display_name="赵大妈").exists()


def test_the_find_page_is_rate_limited_per_clerk(client, desk_user, office, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "desk_find": "3/h/user,1000/h/ip"}
    UserFactory(phone=NUMBER, display_name="王芳")
    client.force_login(desk_user)
    for _index in range(3):
        assert client.post(FIND, {"phone": NUMBER, "action": "find"}).status_code == HTTPStatus.OK
    logged = AccessLog.objects.count()
    for data in (
        {"phone": NUMBER, "action": "find"},
        {"name": "李四", "village": "石门村", "action": "register"},
    ):
        response = client.post(FIND, data)
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert response["Retry-After"] and "王芳" not in text(response)
    assert not User.objects.filter(display_name="李四").exists()
    assert AccessLog.objects.count() == logged
    assert client.get(FIND).status_code == HTTPStatus.OK  # the empty form is no find
    # A colleague has a budget of their own.
    colleague = UserFactory(role=Role.DESK, office=office, phone=None, phone_verified=False)
    client.force_login(colleague)
    assert client.post(FIND, {"phone": NUMBER, "action": "find"}).status_code == HTTPStatus.OK


def test_the_find_page_is_rate_limited_per_address(client, desk_user, office, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "desk_find": "1000/h/user,3/h/ip"}
    colleague = UserFactory(role=Role.DESK, office=office, phone=None, phone_verified=False)
    for clerk in (desk_user, desk_user, colleague):
        client.force_login(clerk)
        assert client.post(FIND, {"phone": NUMBER, "action": "find"}).status_code == HTTPStatus.OK
    response = client.post(FIND, {"name": "李四", "village": "石门村", "action": "register"})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert not User.objects.filter(display_name="李四").exists()
    # Another address is not held up by this one.
    response = client.post(FIND, {"phone": NUMBER, "action": "find"}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == HTTPStatus.OK


# Whose pages these are.


def test_another_offices_slip_and_done_page_answer_404(at_desk, topic):
    elsewhere = LawyerFactory(offices=[OfficeFactory()], topics=[topic])
    RuleFactory(lawyer=elsewhere, office=elsewhere.offices.get(), weekday=1)
    theirs = book_appointment(
        resident=UserFactory(),
        office=elsewhere.offices.get(),
        topic=topic,
        lawyer=elsewhere,
        starts_at=local(TUESDAY, 9),
        mode=Mode.IN_PERSON,
    )
    for url in (f"/desk/slip/{theirs.reference}/", f"/desk/book/done/{theirs.reference}/"):
        assert at_desk.get(url).status_code == HTTPStatus.NOT_FOUND


def test_the_desk_cannot_book_another_offices_topics_or_lawyers(
    at_desk, office, lawyer, topic, resident, reach
):
    other_office = OfficeFactory()
    labour = TopicFactory(code="labour", name_zh_hans="劳动争议", name_en="Labour")
    theirs = LawyerFactory(offices=[other_office], topics=[topic, labour])
    for weekday in range(5):
        RuleFactory(
            lawyer=theirs,
            office=other_office,
            weekday=weekday,
            start_time=dt.time(14),
            end_time=dt.time(16),
        )
    assert "劳动争议" not in text(at_desk.get(reach(resident)))
    assert at_desk.get(reach(resident, labour)).status_code == HTTPStatus.NOT_FOUND
    response = at_desk.post(reach(resident, labour), answers(local(TUESDAY, 14)))
    assert response.status_code == HTTPStatus.NOT_FOUND
    response = book_for(at_desk, reach(resident, topic), local(TUESDAY, 14), lawyer=theirs.pk)
    assert response.status_code == HTTPStatus.NOT_FOUND
    # Their lawyer's hours are not offered at this office.
    assert slot(local(TUESDAY, 14)) not in text(at_desk.get(reach(resident, topic)))
    book_for(at_desk, reach(resident, topic), local(TUESDAY, 14))
    assert not Appointment.objects.exists()


def test_only_residents_are_booked_for(at_desk, lawyer, topic, desk_user, reach):
    assert at_desk.get(reach(lawyer.user, topic)).status_code == HTTPStatus.NOT_FOUND
    assert at_desk.get(reach(desk_user)).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("who", ["resident", "lawyer"])
def test_residents_and_lawyers_get_403(client, request, topic, who, reach):
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    resident = UserFactory()
    appointment_ref = "12345678"
    for url in (
        FIND,
        reach(resident),
        reach(resident, topic),
        f"/desk/book/done/{appointment_ref}/",
        f"/desk/slip/{appointment_ref}/",
    ):
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN, url
    assert (
        client.post(FIND, {"name": "张三", "action": "register"}).status_code
        == HTTPStatus.FORBIDDEN
    )
    assert not User.objects.filter(display_name="张三").exists()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(FIND)
    assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response["Location"]


# Cost of the pages.


def test_the_booking_form_costs_the_same_few_queries_as_the_office_grows(
    at_desk, office, lawyer, topic, resident, reach
):
    url = reach(resident, topic)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert at_desk.get(url).status_code == HTTPStatus.OK
        return len(captured)

    at_desk.get(url)  # the first look of the day also writes the access log
    few = queries()
    for _index in range(4):
        more = LawyerFactory(offices=[office], topics=[topic])
        for weekday in range(5):
            RuleFactory(lawyer=more, office=office, weekday=weekday)
        for hour in (9, 10, 11):
            book_appointment(
                resident=UserFactory(),
                office=office,
                topic=topic,
                lawyer=more,
                starts_at=local(TUESDAY, hour),
                mode=Mode.IN_PERSON,
            )
    assert queries() == few
    assert few <= 12


def test_the_find_and_done_pages_cost_few_queries(
    at_desk, django_assert_max_num_queries, office, lawyer, topic, resident, reach
):
    for _index in range(5):
        UserFactory(display_name="张三", village="枫树村", phone=None, phone_verified=False)
    at_desk.get(FIND)
    # The session, the clerk and their office (two), the residents, and the access log
    # (one read, one insert).
    with django_assert_max_num_queries(7):
        at_desk.post(FIND, {"name": "张三", "village": "枫树村", "action": "find"})
    response = book_for(at_desk, reach(resident, topic), local(TUESDAY, 9))
    with django_assert_max_num_queries(7):
        at_desk.get(response["Location"])
    with django_assert_max_num_queries(5):
        at_desk.get(response["Location"].replace("/desk/book/done/", "/desk/slip/"))


def test_a_discreet_slip_names_neither_the_office_nor_the_lawyer(
    at_desk, office, lawyer, topic, reach
):
    at_desk.post(FIND, {"name": "赵大妈", "village": "枫树村", "action": "register"})
    resident = User.objects.get(display_name="赵大妈")
    book_for(at_desk, reach(resident, topic), local(TUESDAY, 9, 30), safe_contact="on")
    appointment = Appointment.objects.get()
    assert appointment.safe_contact
    slip = text(at_desk.get(f"/desk/slip/{appointment.reference}/?print=1"))
    assert appointment.display_reference in slip and "09:30" in slip
    assert office.name not in slip and str(lawyer.user) not in slip
    assert "法院" not in slip  # nothing on the paper tells what the matter is
