from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission

from accounts.models import Role
from booking import services
from booking.models import Mode
from sms.models import Message, MessageStatus, mask_number
from tests.conftest import NOW, local
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_numbers_are_masked_like_138_stars_8000():
    assert mask_number("+8613800138000") == "138****8000"
    assert mask_number("+447700900123") == "+44****0123"


@pytest.fixture
def booked(resident, lawyer, office, topic):
    resident.phone = "+8613800138000"
    resident.save()
    return services.book_appointment(
        resident=resident, office=office, topic=topic, lawyer=lawyer,
        starts_at=local(NOW.date(), 11), mode=Mode.IN_PERSON, now=NOW,
    )  # fmt: skip


def staff_client(client, *, role, office, superuser=False):
    user = UserFactory(
        role=role, office=office, phone=None, phone_verified=False, is_staff=True,
        is_superuser=superuser,
    )  # fmt: skip
    user.user_permissions.add(Permission.objects.get(codename="view_message"))
    client.force_login(user)
    return client


def test_the_office_admin_sees_the_number_and_filters_by_status(client, office, booked):
    Message.objects.update(status=MessageStatus.FAILED, error="isv.MOBILE_NUMBER_ILLEGAL")
    client = staff_client(client, role=Role.OFFICE_ADMIN, office=office)
    page = client.get("/admin/sms/message/?status__exact=failed", secure=True)
    assert page.status_code == HTTPStatus.OK
    body = page.content.decode()
    assert "+8613800138000" in body
    assert "isv.MOBILE_NUMBER_ILLEGAL" in body


def test_anyone_else_sees_masked_numbers_and_never_the_parameters(client, office, booked):
    client = staff_client(client, role=Role.RESIDENT, office=None, superuser=True)
    listing = client.get("/admin/sms/message/", secure=True).content.decode()
    assert "138****8000" in listing
    assert "13800138000" not in listing
    message = Message.objects.first()
    detail = client.get(f"/admin/sms/message/{message.pk}/change/", secure=True).content.decode()
    assert "13800138000" not in detail
    assert message.params["reference"] not in detail
