"""The walk-in queue: numbers per office and day, a lawyer taking the next person now,
and the desk's queue page (own office only)."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Role, User
from booking import errors, selectors
from booking.forms.queue import NAME_OR_PHONE, VILLAGE_NEEDED
from booking.models import (
    Appointment,
    Channel,
    DutyException,
    Mode,
    Office,
    Status,
    Topic,
    WalkIn,
    WalkInStatus,
)
from booking.services.walk_ins import (
    mark_left,
    put_back_in_queue,
    register_walk_in,
    take_walk_in,
)
from booking.views.desk.queue import BACK_IN_QUEUE, STAFF_NUMBER
from sms.models import Message
from tests import racing
from tests.conftest import NOW, local
from tests.factories import (
    AppointmentFactory,
    LawyerFactory,
    OfficeFactory,
    RuleFactory,
    TimeOffFactory,
    TopicFactory,
    UserFactory,
)

MONDAY = NOW.date()
URL = "/desk/queue/"

pytestmark = pytest.mark.usefixtures("plain_http")


@pytest.fixture(autouse=True)
def clock(frozen_clock):
    return frozen_clock


def arrive(office, desk_user, *, resident=None, topic=None, now=NOW, **extra) -> WalkIn:
    return register_walk_in(
        office=office,
        resident=resident or UserFactory(),
        topic=topic or TopicFactory(),
        by=desk_user,
        now=now,
        **extra,
    )


@pytest.fixture
def at_desk(client, desk_user):
    client.force_login(desk_user)
    return client


# Numbers


def test_numbers_go_1_2_3_per_office_and_start_again_the_next_day(office, desk_user):
    assert [arrive(office, desk_user).number for _ in range(3)] == [1, 2, 3]
    other = OfficeFactory()
    other_desk = UserFactory(role=Role.DESK, office=other, phone=None, phone_verified=False)
    assert arrive(other, other_desk).number == 1
    tomorrow = arrive(office, desk_user, now=NOW + dt.timedelta(days=1))
    assert (tomorrow.number, tomorrow.day) == (1, MONDAY + dt.timedelta(days=1))
    assert tomorrow.display_number == "001"


def test_the_day_is_the_offices_local_day(office, desk_user):
    late = dt.datetime(2026, 12, 7, 23, 30, tzinfo=dt.UTC)  # 07:30 on Tuesday in Shanghai
    assert arrive(office, desk_user, now=late).day == MONDAY + dt.timedelta(days=1)


def test_someone_already_waiting_gets_no_second_number(office, desk_user, resident):
    arrive(office, desk_user, resident=resident)
    with pytest.raises(errors.AlreadyWaiting) as refused:
        arrive(office, desk_user, resident=resident)
    assert refused.value.message == str(errors.ALREADY_WAITING) % {"number": "001"}


# Taking the next person


def test_taking_someone_makes_an_attended_walk_in_that_holds_the_lawyers_time(
    office, topic, lawyer, desk_user, clock
):
    office.min_notice_minutes = 0
    office.save()
    walk_in = arrive(office, desk_user, topic=topic, opposing_party="王五", matter_consent=True)
    now = local(MONDAY, 8, 50) + dt.timedelta(seconds=27)

    def starts():
        return {
            slot.start
            for slot in selectors.list_free_slots(
                office=office,
                topic=topic,
                lawyer=lawyer,
                first_day=MONDAY,
                last_day=MONDAY,
                now=now,
            )
        }

    assert local(MONDAY, 9) in starts()
    appointment = take_walk_in(walk_in=walk_in, lawyer=lawyer, by=desk_user, now=now)

    assert (appointment.starts_at, appointment.ends_at) == (
        local(MONDAY, 8, 50),
        local(MONDAY, 9, 20),
    )
    assert appointment.status == Status.ATTENDED and appointment.channel == Channel.WALK_IN
    assert appointment.mode == Mode.IN_PERSON and appointment.checked_in_at == now
    assert appointment.booked_by == desk_user and appointment.reference
    assert appointment.opposing_party_key == "王五"
    assert appointment.resident_name_key == walk_in.resident.display_name
    walk_in.refresh_from_db()
    assert walk_in.status == WalkInStatus.SEEN
    assert (walk_in.seen_at, walk_in.appointment) == (now, appointment)
    # The time is the lawyer's no more: 9:00 is gone online, 9:30 is still there.
    assert local(MONDAY, 9) not in starts() and local(MONDAY, 9, 30) in starts()
    assert not Message.objects.exists()  # no text message: the resident is here


@pytest.mark.parametrize(
    ("slot_minutes", "weekday", "expected"),
    [(45, MONDAY.weekday(), 45), (45, MONDAY.weekday() + 1, 30)],
    ids=["the lawyer's length that day", "30 minutes without hours that day"],
)
def test_the_visit_lasts_the_lawyers_consultation_length(
    office, topic, desk_user, slot_minutes, weekday, expected
):
    lawyer = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(lawyer=lawyer, office=office, weekday=weekday, slot_minutes=slot_minutes)
    now = local(MONDAY, 10)
    appointment = take_walk_in(
        walk_in=arrive(office, desk_user, topic=topic), lawyer=lawyer, by=desk_user, now=now
    )
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=expected)


def test_the_visit_is_cut_short_before_the_lawyers_next_booking(office, topic, lawyer, desk_user):
    AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9, 30), now=NOW)
    appointment = take_walk_in(
        walk_in=arrive(office, desk_user, topic=topic),
        lawyer=lawyer,
        by=desk_user,
        now=local(MONDAY, 9, 5),
    )
    assert (appointment.starts_at, appointment.ends_at) == (
        local(MONDAY, 9, 5),
        local(MONDAY, 9, 30),
    )


def test_a_lawyer_with_someone_cannot_take_anyone_until_they_are_free(
    office, topic, lawyer, desk_user
):
    AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9), now=NOW)
    # back to back: busy until 10:00
    AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9, 30), now=NOW)
    walk_in = arrive(office, desk_user, topic=topic)
    with pytest.raises(errors.LawyerBusy) as refused:
        take_walk_in(walk_in=walk_in, lawyer=lawyer, by=desk_user, now=local(MONDAY, 9, 10))
    params = {"lawyer": str(lawyer.user), "until": "10:00"}
    assert refused.value.message == str(errors.LAWYER_BUSY) % params
    walk_in.refresh_from_db()
    assert walk_in.status == WalkInStatus.WAITING
    assert not Appointment.objects.filter(channel=Channel.WALK_IN).exists()


def test_a_lawyer_with_a_consultation_within_ten_minutes_cannot_take_anyone(
    office, topic, lawyer, desk_user
):
    AppointmentFactory(lawyer=lawyer, starts_at=local(MONDAY, 9), now=NOW)
    walk_in = arrive(office, desk_user, topic=topic)
    with pytest.raises(errors.LawyerBusySoon) as refused:
        take_walk_in(walk_in=walk_in, lawyer=lawyer, by=desk_user, now=local(MONDAY, 8, 52))
    assert refused.value.message == str(errors.LAWYER_SOON) % {
        "lawyer": str(lawyer.user),
        "at": "09:00",
    }
    # Eleven minutes before is enough: a ten-minute visit.
    appointment = take_walk_in(
        walk_in=walk_in, lawyer=lawyer, by=desk_user, now=local(MONDAY, 8, 49)
    )
    assert appointment.ends_at == local(MONDAY, 9)


def test_a_lawyer_on_time_off_cannot_take_anyone(office, topic, lawyer, desk_user):
    TimeOffFactory(
        lawyer=lawyer, starts_at=local(MONDAY, 8), ends_at=local(MONDAY, 11), reason="私事"
    )
    with pytest.raises(errors.LawyerAway) as refused:
        take_walk_in(
            walk_in=arrive(office, desk_user, topic=topic),
            lawyer=lawyer,
            by=desk_user,
            now=local(MONDAY, 9),
        )
    assert "11:00" in refused.value.message and "私事" not in refused.value.message


def test_a_lawyer_who_advised_the_other_party_is_refused_neutrally(
    office, topic, lawyer, desk_user
):
    AppointmentFactory(
        lawyer=lawyer,
        starts_at=local(MONDAY, 11),
        now=NOW,
        resident=UserFactory(display_name="王五"),
    )
    walk_in = arrive(office, desk_user, topic=topic, opposing_party="王 五", matter_consent=True)
    with pytest.raises(errors.WalkInConflict) as refused:
        take_walk_in(walk_in=walk_in, lawyer=lawyer, by=desk_user, now=local(MONDAY, 9))
    assert refused.value.message == str(errors.WALK_IN_CONFLICT)
    assert "王五" not in refused.value.message
    walk_in.refresh_from_db()
    assert walk_in.status == WalkInStatus.WAITING


def test_nobody_is_taken_twice_and_who_left_cannot_be_taken(office, topic, lawyer, desk_user):
    walk_in = arrive(office, desk_user, topic=topic)
    take_walk_in(walk_in=walk_in, lawyer=lawyer, by=desk_user, now=local(MONDAY, 9))
    colleague = LawyerFactory(offices=[office], topics=[topic])
    with pytest.raises(errors.WalkInNotWaiting):
        take_walk_in(walk_in=walk_in, lawyer=colleague, by=desk_user, now=local(MONDAY, 9))
    with pytest.raises(errors.WalkInNotWaiting):
        mark_left(walk_in=walk_in, by=desk_user, now=local(MONDAY, 9))
    gone = arrive(office, desk_user, topic=topic)
    assert mark_left(walk_in=gone, by=desk_user, now=NOW).status == WalkInStatus.LEFT
    with pytest.raises(errors.WalkInNotWaiting):
        take_walk_in(walk_in=gone, lawyer=colleague, by=desk_user, now=local(MONDAY, 9))
    assert Appointment.objects.filter(channel=Channel.WALK_IN).count() == 1


def test_yesterdays_number_and_another_offices_lawyer_are_refused(office, topic, lawyer, desk_user):
    yesterday = arrive(office, desk_user, topic=topic, now=NOW - dt.timedelta(days=1))
    with pytest.raises(errors.WalkInOtherDay):
        take_walk_in(walk_in=yesterday, lawyer=lawyer, by=desk_user, now=local(MONDAY, 9))
    stranger = LawyerFactory(offices=[OfficeFactory()], topics=[topic])
    with pytest.raises(errors.LawyerNotAtOffice):
        take_walk_in(
            walk_in=arrive(office, desk_user, topic=topic),
            lawyer=stranger,
            by=desk_user,
            now=local(MONDAY, 9),
        )


# Left without being seen, and its undo


def test_marking_someone_as_left_records_who_and_when_and_the_undo_clears_it(
    office, topic, desk_user
):
    walk_in = arrive(office, desk_user, topic=topic)
    later = local(MONDAY, 9, 40)
    gone = mark_left(walk_in=walk_in, by=desk_user, now=later)
    gone.refresh_from_db()
    assert (gone.status, gone.left_by, gone.left_at) == (WalkInStatus.LEFT, desk_user, later)

    back = put_back_in_queue(walk_in=gone, now=local(MONDAY, 9, 45))
    back.refresh_from_db()
    assert (back.status, back.number, back.left_by, back.left_at) == (
        WalkInStatus.WAITING,
        walk_in.number,
        None,
        None,
    )
    with pytest.raises(errors.WalkInNotLeft):  # waiting: nothing to undo
        put_back_in_queue(walk_in=back, now=local(MONDAY, 9, 50))


def test_the_undo_is_for_the_same_day_and_not_for_who_has_a_new_number(office, topic, desk_user):
    resident = UserFactory()
    first = mark_left(walk_in=arrive(office, desk_user, topic=topic), by=desk_user, now=NOW)
    with pytest.raises(errors.WalkInOtherDay):
        put_back_in_queue(walk_in=first, now=NOW + dt.timedelta(days=1))
    gone = arrive(office, desk_user, topic=topic, resident=resident)
    mark_left(walk_in=gone, by=desk_user, now=NOW)
    again = arrive(office, desk_user, topic=topic, resident=resident)  # came back in
    with pytest.raises(errors.AlreadyWaiting) as refused:
        put_back_in_queue(walk_in=gone, now=NOW)
    assert refused.value.message == str(errors.ALREADY_WAITING) % {"number": again.display_number}
    gone.refresh_from_db()
    assert gone.status == WalkInStatus.LEFT


def test_the_queue_says_who_marked_someone_as_left_and_when_and_puts_them_back(
    at_desk, office, topic, lawyer, desk_user, clock
):
    desk_user.display_name = "窗口小王"
    desk_user.save()
    first = arrive(office, desk_user, topic=topic, resident=UserFactory(display_name="先来的"))
    arrive(office, desk_user, topic=topic, resident=UserFactory(display_name="后来的"))
    clock.move_to(local(MONDAY, 9, 12), tick=False)
    at_desk.force_login(desk_user)
    response = at_desk.post(reverse("booking:desk_queue_left", args=[first.pk]))
    assert response["Location"] == f"{URL}?left={first.pk}#undo"
    page = at_desk.get(response["Location"]).content.decode()
    undo = page.split('id="undo"')[1].split("</section>")[0]
    assert "先来的" in undo and "窗口小王" in undo and "09:12" in undo
    back = reverse("booking:desk_queue_back", args=[first.pk])
    assert f'action="{back}"' in undo
    done = page.split('id="done-title"')[1]
    assert "窗口小王" in done and "09:12" in done
    assert page.index('id="next"') < page.index("后来的") < page.index('id="done-title"')

    page = at_desk.post(back, follow=True).content.decode()
    first.refresh_from_db()
    assert (first.status, first.left_by, first.left_at) == (WalkInStatus.WAITING, None, None)
    assert escape(BACK_IN_QUEUE % {"number": "001", "name": "先来的"}) in page
    assert page.split('id="next"')[1].index("先来的") < page.split('id="next"')[1].index("后来的")
    assert 'id="undo"' not in page and 'id="done-title"' not in page
    # A second undo (another tab): said, nothing changed.
    page = at_desk.post(back, follow=True).content.decode()
    assert escape(str(errors.NOT_LEFT)) in page


def test_another_offices_desk_cannot_mark_or_undo(client, office, topic, desk_user):
    walk_in = arrive(office, desk_user, topic=topic)
    other = OfficeFactory()
    client.force_login(UserFactory(role=Role.DESK, office=other, phone=None, phone_verified=False))
    left = client.post(reverse("booking:desk_queue_left", args=[walk_in.pk]))
    assert left.status_code == HTTPStatus.NOT_FOUND
    walk_in.refresh_from_db()
    assert walk_in.status == WalkInStatus.WAITING
    mark_left(walk_in=walk_in, by=desk_user, now=NOW)
    back = client.post(reverse("booking:desk_queue_back", args=[walk_in.pk]))
    assert back.status_code == HTTPStatus.NOT_FOUND
    walk_in.refresh_from_db()
    assert (walk_in.status, walk_in.left_by) == (WalkInStatus.LEFT, desk_user)


# The queue page


def test_the_desk_registers_an_arrival_by_mobile_number_and_sees_the_number(
    at_desk, office, topic, lawyer
):
    response = at_desk.post(
        URL, {"phone": "139 1234 5678", "name": "李四", "topic": topic.pk}, follow=True
    )
    walk_in = WalkIn.objects.get()
    assert walk_in.resident.phone == "+8613912345678" and walk_in.resident.display_name == "李四"
    assert response.redirect_chain[-1][0] == f"{URL}?new={walk_in.pk}#number"
    page = response.content.decode()
    assert '<strong class="queue-number">001</strong>' in page
    assert reverse("booking:desk_queue_ticket", args=[walk_in.pk]) in page
    ticket = at_desk.get(reverse("booking:desk_queue_ticket", args=[walk_in.pk])).content.decode()
    assert "001" in ticket and office.name in ticket and topic.name not in ticket


def test_someone_without_a_phone_needs_a_name_and_village(at_desk, topic, lawyer):
    page = at_desk.post(URL, {"topic": topic.pk}).content.decode()
    assert str(NAME_OR_PHONE) in page
    page = at_desk.post(URL, {"name": "赵大爷", "topic": topic.pk}).content.decode()
    assert str(VILLAGE_NEEDED) in page
    assert not WalkIn.objects.exists()
    at_desk.post(URL, {"name": "赵大爷", "village": "石门村", "topic": topic.pk})
    resident = WalkIn.objects.get().resident
    assert (resident.display_name, resident.village, resident.phone) == ("赵大爷", "石门村", None)


def test_a_namesake_is_chosen_by_the_desk_not_guessed(at_desk, topic, lawyer):
    known = UserFactory(display_name="赵大爷", village="石门村", phone=None, phone_verified=False)
    form = {"name": "赵大爷", "village": "石门村", "topic": topic.pk}
    page = at_desk.post(URL, form).content.decode()
    assert f'value="{known.pk}"' in page and not WalkIn.objects.exists()
    at_desk.post(URL, {**form, "who": known.pk})
    assert WalkIn.objects.get().resident == known
    at_desk.post(URL, {**form, "who": "new"})
    assert WalkIn.objects.filter(number=2).get().resident != known
    assert User.objects.filter(display_name="赵大爷").count() == 2


def test_a_staff_number_is_not_a_residents(at_desk, topic, lawyer, desk_user):
    staff = UserFactory(role=Role.DESK, office=desk_user.office)
    page = at_desk.post(URL, {"phone": str(staff.phone), "topic": topic.pk}).content.decode()
    assert escape(str(STAFF_NUMBER)) in page and not WalkIn.objects.exists()


def test_the_queue_offers_the_next_person_to_the_lawyers_on_duty(
    at_desk, office, topic, lawyer, desk_user, clock
):
    busy = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(lawyer=busy, office=office, weekday=MONDAY.weekday())
    AppointmentFactory(lawyer=busy, starts_at=local(MONDAY, 9), now=NOW)
    first = arrive(office, desk_user, topic=topic, resident=UserFactory(display_name="先来的"))
    second = arrive(office, desk_user, topic=topic, resident=UserFactory(display_name="后来的"))
    clock.move_to(local(MONDAY, 9, 10), tick=False)
    at_desk.force_login(desk_user)  # signed out after 30 minutes idle: in again
    page = at_desk.get(URL).content.decode()
    take_first = reverse("booking:desk_queue_take", args=[first.pk])
    assert page.count(f'action="{take_first}"') == 1  # only the free lawyer
    assert f"{busy.user}：" in page and "09:30" in page
    assert page.index("先来的") < page.index("后来的")

    response = at_desk.post(take_first, {"lawyer": busy.pk}, follow=True)
    assert (
        str(errors.LAWYER_BUSY) % {"lawyer": str(busy.user), "until": "09:30"}
        in response.content.decode()
    )
    # The second person, out of turn, to the free lawyer.
    take_second = reverse("booking:desk_queue_take", args=[second.pk])
    at_desk.post(take_second, {"lawyer": lawyer.pk})
    second.refresh_from_db()
    assert second.status == WalkInStatus.SEEN and second.appointment.lawyer == lawyer
    at_desk.post(reverse("booking:desk_queue_left", args=[first.pk]))
    first.refresh_from_db()
    assert first.status == WalkInStatus.LEFT
    page = at_desk.get(URL).content.decode()
    assert "09:10" in page.split('id="done-title"')[1]


def test_with_nobody_on_duty_the_lawyers_covering_the_area_of_law_are_offered(
    at_desk, office, topic, lawyer, desk_user
):
    DutyException.objects.create(office=office, lawyer=lawyer, date=MONDAY, on_duty=False)
    other_topic = TopicFactory(code="labour")
    LawyerFactory(offices=[office], topics=[other_topic])
    arrive(office, desk_user, topic=topic)
    page = at_desk.get(URL).content.decode()
    assert page.count('name="lawyer"') == 1 and f'value="{lawyer.pk}"' in page


def test_another_offices_walk_ins_are_not_found(at_desk, topic, lawyer):
    other = OfficeFactory()
    theirs = arrive(other, UserFactory(role=Role.DESK, office=other), topic=topic)
    for name in ("desk_queue_take", "desk_queue_left"):
        response = at_desk.post(reverse(f"booking:{name}", args=[theirs.pk]), {"lawyer": lawyer.pk})
        assert response.status_code == HTTPStatus.NOT_FOUND
    ticket = at_desk.get(reverse("booking:desk_queue_ticket", args=[theirs.pk]))
    assert ticket.status_code == HTTPStatus.NOT_FOUND
    theirs.refresh_from_db()
    assert theirs.status == WalkInStatus.WAITING
    assert "queue-ticket-no" not in at_desk.get(URL).content.decode()


def test_a_lawyer_of_another_office_is_not_sent_anyone(at_desk, office, topic, desk_user):
    mine = arrive(office, desk_user, topic=topic)
    stranger = LawyerFactory(offices=[OfficeFactory()], topics=[topic])
    at_desk.post(reverse("booking:desk_queue_take", args=[mine.pk]), {"lawyer": stranger.pk})
    mine.refresh_from_db()
    assert mine.status == WalkInStatus.WAITING


@pytest.mark.parametrize("who", ["resident", "lawyer"])
@pytest.mark.parametrize(
    "name", ["desk_queue", "desk_queue_ticket", "desk_queue_left", "desk_queue_back"]
)
def test_residents_and_lawyers_cannot_use_the_queue(client, request, office, desk_user, who, name):
    walk_in = arrive(office, desk_user)
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    url = reverse(f"booking:{name}", args=[] if name == "desk_queue" else [walk_in.pk])
    assert client.post(url).status_code == HTTPStatus.FORBIDDEN
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    walk_in.refresh_from_db()
    assert walk_in.status == WalkInStatus.WAITING


def test_the_queue_page_costs_the_same_queries_for_one_or_twenty_waiting(
    at_desk, office, topic, lawyer, desk_user, django_assert_max_num_queries
):
    colleague = LawyerFactory(offices=[office], topics=[topic])
    RuleFactory(lawyer=colleague, office=office, weekday=MONDAY.weekday())
    arrive(office, desk_user, topic=topic)
    with django_assert_max_num_queries(14) as few:
        at_desk.get(URL)
    seen = arrive(office, desk_user, topic=topic)
    take_walk_in(walk_in=seen, lawyer=colleague, by=desk_user, now=NOW)
    mark_left(walk_in=arrive(office, desk_user, topic=topic), by=desk_user, now=NOW)
    for _ in range(19):
        arrive(office, desk_user, topic=TopicFactory(code="labour"))
    with CaptureQueriesContext(connection) as many:
        page = at_desk.get(URL).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert page.count("queue-ticket-no") == 22


# Races


def _registering(office_id: int, resident_id: int, topic_id: int):
    def work() -> tuple[str, int]:
        walk_in = register_walk_in(
            office=Office.objects.get(pk=office_id),
            resident=User.objects.get(pk=resident_id),
            topic=Topic.objects.get(pk=topic_id),
            by=None,
            now=NOW,
        )
        return ("numbered", walk_in.number)

    return work


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_desks_registering_at_once_give_distinct_consecutive_numbers():
    office, topic = OfficeFactory(), TopicFactory()
    residents = [UserFactory() for _ in range(12)]
    outcomes = racing.race([_registering(office.pk, r.pk, topic.pk) for r in residents])
    assert sorted(number for _code, number in outcomes) == list(range(1, 13))
    assert WalkIn.objects.filter(office=office, day=MONDAY).count() == 12


def test_a_lawyer_who_no_longer_works_is_not_sent_anyone(office, topic, lawyer, desk_user):
    lawyer.is_active = False
    lawyer.save()
    with pytest.raises(errors.LawyerNotAtOffice):
        take_walk_in(
            walk_in=arrive(office, desk_user, topic=topic),
            lawyer=lawyer,
            by=desk_user,
            now=local(MONDAY, 9),
        )
    assert not Appointment.objects.filter(channel=Channel.WALK_IN).exists()
