"""The admin site as an office admin uses it: their own office, no escalation."""

import datetime as dt
import re
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import Role
from booking import services
from booking.access_log import record_access
from booking.models import Appointment, Mode, TimeOff
from sms.models import Message
from tests.conftest import NOW, local
from tests.factories import LawyerFactory, OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "office-admin-password-1"


@pytest.fixture
def office_admin(office):
    group = Group.objects.create(name="office admin")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["accounts", "booking"],
            codename__regex=r"^(view|add|change|delete)_",
        )
    )
    user = UserFactory(
        role=Role.OFFICE_ADMIN,
        office=office,
        phone=None,
        phone_verified=False,
        email="head@example.invalid",
        is_staff=True,
    )
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(group)
    return user


@pytest.fixture
def admin_client(client, office_admin):
    client.force_login(office_admin)
    return client


def test_an_office_admin_cannot_make_anyone_a_superuser(admin_client, office_admin, office):
    url = f"/admin/accounts/user/{office_admin.pk}/change/"
    form = admin_client.get(url, secure=True)
    assert form.status_code == HTTPStatus.OK
    assert 'name="is_superuser"' not in form.content.decode()
    admin_client.post(
        url,
        {
            "email": office_admin.email,
            "display_name": "x",
            "preferred_language": "zh-hans",
            "role": Role.DESK,
            "is_superuser": "on",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
        secure=True,
    )
    office_admin.refresh_from_db()
    assert not office_admin.is_superuser


def test_an_office_admin_sees_their_staff_and_lawyers_but_no_residents(
    admin_client, office, lawyer
):
    resident = UserFactory(display_name="居民甲")
    other_desk = UserFactory(
        role=Role.DESK,
        office=OfficeFactory(),
        phone=None,
        phone_verified=False,
        display_name="别所职员",
    )
    body = admin_client.get("/admin/accounts/user/", secure=True).content.decode()
    assert str(lawyer.user) in body
    assert resident.display_name not in body
    assert other_desk.display_name not in body


def test_appointments_are_read_only_and_never_deleted_in_the_admin(
    admin_client, office, topic, lawyer, resident
):
    appointment = services.book_appointment(
        resident=resident,
        office=office,
        topic=topic,
        lawyer=lawyer,
        starts_at=local(NOW.date(), 9, 30),
        mode=Mode.IN_PERSON,
        now=NOW,
        summary="私密内容",
        matter_consent_at=NOW,
    )
    listing = admin_client.get("/admin/booking/appointment/", secure=True)
    assert listing.status_code == HTTPStatus.OK
    assert appointment.display_reference in listing.content.decode()
    detail = admin_client.get(f"/admin/booking/appointment/{appointment.pk}/change/", secure=True)
    assert "私密内容" not in detail.content.decode()  # the matter stays with the lawyer
    delete = admin_client.post(
        f"/admin/booking/appointment/{appointment.pk}/delete/", {"post": "yes"}, secure=True
    )
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert Appointment.objects.filter(pk=appointment.pk).exists()


def test_an_office_admin_does_not_see_another_offices_lawyers(admin_client):
    stranger = LawyerFactory(offices=[OfficeFactory()])
    body = admin_client.get("/admin/booking/lawyer/", secure=True).content.decode()
    assert str(stranger.user) not in body


def test_time_off_in_the_admin_never_strands_booked_consultations(
    admin_client, lawyer, office, resident, plain_http
):
    services.book_appointment(
        resident=resident, office=office, topic=lawyer.topics.get(), lawyer=lawyer,
        starts_at=local(NOW.date() + dt.timedelta(days=1), 10), mode=Mode.IN_PERSON, now=NOW,
    )  # fmt: skip
    day = (NOW.date() + dt.timedelta(days=1)).isoformat()
    data = {
        "lawyer": lawyer.pk,
        "starts_at_0": day, "starts_at_1": "08:00",
        "ends_at_0": day, "ends_at_1": "18:00",
    }  # fmt: skip
    response = admin_client.post("/admin/booking/timeoff/add/", data)
    assert response.status_code == 200  # the form again, with the reason
    assert "1 个已预约的咨询" in response.content.decode()
    assert not TimeOff.objects.exists()
    data["starts_at_0"] = data["ends_at_0"] = (NOW.date() + dt.timedelta(days=2)).isoformat()
    assert admin_client.post("/admin/booking/timeoff/add/", data).status_code == 302
    assert TimeOff.objects.count() == 1


# Issue 15.13: the admin reads as the site does, in both languages.


def admin_page(client, url: str, language: str) -> str:
    client.cookies["django_language"] = language
    response = client.get(url, secure=True)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def column_headings(body: str) -> list[str]:
    head = body.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return [re.sub(r"<[^>]+>|\s+", "", cell) for cell in head.split("</th>")[:-1]]


def test_the_admin_is_named_after_the_product_not_django(admin_client):
    english = admin_page(admin_client, "/admin/", "en")
    assert "Free legal consultations: administration" in english
    assert "Django" not in english
    chinese = admin_page(admin_client, "/admin/", "zh-hans")
    assert "| 免费法律咨询</title>" in chinese
    assert "Django" not in chinese


def test_the_appointment_list_names_its_reference_column(admin_client, booked_appointment):
    english = admin_page(admin_client, "/admin/booking/appointment/", "en")
    assert "Referencecode" in column_headings(english)
    assert "Reference code" in english and "Display reference" not in english
    assert booked_appointment.display_reference in english
    chinese = admin_page(admin_client, "/admin/booking/appointment/", "zh-hans")
    assert "预约号" in column_headings(chinese)
    assert not [heading for heading in column_headings(chinese) if re.search("[A-Za-z]", heading)]


def test_the_access_log_says_in_words_what_was_seen_and_by_whom(
    admin_client, booked_appointment, desk_user
):
    record_access(
        viewer=desk_user,
        appointments=[booked_appointment],
        place="day_sheet",
        details=("name", "phone", "needs"),
        ip="127.0.0.1",
    )
    english = admin_page(admin_client, "/admin/booking/accesslog/", "en")
    assert "name, phone, needs (interpreter, dialect, access)" in english
    assert '<td class="field-role">Desk staff</td>' in english
    assert "name,phone" not in english
    assert ">Desk staff</a>" in english  # the filter by role, by its name
    chinese = admin_page(admin_client, "/admin/booking/accesslog/", "zh-hans")
    assert "姓名、电话、特殊需要（翻译、方言、无障碍）" in chinese
    assert '<td class="field-role">窗口工作人员</td>' in chinese


def test_a_lawyers_offices_and_areas_of_law_are_boxes_to_tick(admin_client, lawyer):
    body = admin_page(admin_client, f"/admin/booking/lawyer/{lawyer.pk}/change/", "en")
    assert 'type="checkbox" name="topics"' in body
    assert 'type="checkbox" name="offices"' in body
    assert "selectfilter" not in body  # the JavaScript two-list selector, in English
    assert "Hold down" not in body


def test_dates_and_times_in_admin_forms_are_named_for_screen_readers(admin_client, lawyer):
    body = admin_page(admin_client, "/admin/booking/timeoff/add/", "en")
    assert 'aria-label="From: date"' in body
    assert 'aria-label="From: time"' in body
    rules = admin_page(admin_client, f"/admin/booking/lawyer/{lawyer.pk}/change/", "en")
    assert 'aria-label="Delete"' in rules  # the weekly hours' table: no label per cell


def test_the_admins_javascript_catalogue_is_chinese(admin_client):
    # The two-list selector a superuser still meets (a user's permissions).
    catalogue = admin_page(admin_client, "/admin/jsi18n/", "zh-hans")
    assert "\\u9009\\u62e9\\u5168\\u90e8%s" in catalogue  # 选择全部%s: "Choose all %s"


def test_the_admin_index_links_read_change_not_the_language_buttons_word(admin_client):
    """The language button's "Change" (切换) has a context of its own: Django's "Change"
    links keep their word."""
    body = admin_page(admin_client, "/admin/", "zh-hans")
    assert ">修改</a>" in body
    assert ">切换</a>" not in body


def test_the_new_password_page_speaks_the_readers_language(admin_client, lawyer):
    url = f"/admin/accounts/user/{lawyer.user_id}/password/"
    english = admin_page(admin_client, url, "en")
    assert "Disabled: this person can no longer sign in with a password" in english
    assert "If disabled, the current password for this user will be lost." in english
    assert "用户是否能够" not in english  # Django's note, fixed in Chinese at import
    chinese = admin_page(admin_client, url, "zh-hans")
    assert "LDAP" not in chinese  # Django's note speaks of other ways to sign in


def test_a_text_names_its_language_and_keeps_the_outboxs_codes_from_the_office(
    admin_client, office_admin, booked_appointment
):
    office_admin.groups.get().permissions.add(Permission.objects.get(codename="view_message"))
    text = Message.objects.filter(appointment=booked_appointment).first()
    body = admin_page(admin_client, f"/admin/sms/message/{text.pk}/change/", "en")
    assert "Simplified Chinese" in body
    assert ">zh-hans<" not in body
    assert text.idempotency_key not in body
    assert "field-template" not in body
