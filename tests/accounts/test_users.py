import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Role, User
from accounts.validators import NOT_A_MOBILE_NUMBER, REGION_NOT_SERVED, validate_mobile_number
from tests.factories import UserFactory


@pytest.mark.parametrize("typed", ["13800138000", "+86 138 0013 8000", "138-0013-8000"])
def test_mainland_mobile_numbers_are_accepted_as_typed(typed):
    validate_mobile_number(typed)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("010-12345678", NOT_A_MOBILE_NUMBER),  # a Beijing landline
        ("0731-84123456", NOT_A_MOBILE_NUMBER),  # a Changsha landline
        ("12345", NOT_A_MOBILE_NUMBER),
        ("+1 202 555 0143", REGION_NOT_SERVED),
    ],
)
def test_numbers_that_cannot_receive_sms_here_are_refused(typed, message):
    with pytest.raises(ValidationError) as refused:
        validate_mobile_number(typed)
    assert refused.value.messages == [str(message)]


@pytest.mark.django_db
def test_a_mobile_number_belongs_to_one_user_and_is_stored_as_e164():
    user = UserFactory(phone="138 0013 8000")
    user.refresh_from_db()
    assert str(user.phone) == "+8613800138000"
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(phone="+8613800138000")


@pytest.mark.django_db
def test_staff_e_mail_is_unique_whatever_its_case():
    User.objects.create_user(email="Lawyer@Example.org", password="x-long-password-1")
    assert User.objects.get().email == "lawyer@example.org"
    with pytest.raises((IntegrityError, ValidationError)), transaction.atomic():
        User.objects.create_user(email="LAWYER@example.org", password="x-long-password-2")


@pytest.mark.django_db
def test_residents_may_have_neither_phone_nor_e_mail():
    """The desk registers people who have no phone at all."""
    UserFactory(phone=None, phone_verified=False, display_name="王奶奶")
    UserFactory(phone=None, phone_verified=False, display_name="李爷爷")
    assert User.objects.filter(phone__isnull=True, email__isnull=True).count() == 2


@pytest.mark.django_db
def test_desk_staff_and_office_admins_must_belong_to_an_office(office):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(role=Role.DESK, office=None, phone=None, phone_verified=False)
    UserFactory(role=Role.OFFICE_ADMIN, office=office, phone=None, phone_verified=False)


@pytest.mark.django_db
def test_a_phone_cannot_be_verified_without_a_number():
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(phone=None, phone_verified=True)
