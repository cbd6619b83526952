"""Wrong staff passwords lock the address for a while and go to the security log
(accounts/security.py, MLPS level 2); office admins read their staff's part of the log.

The clock stands at NOW (Monday 2026-12-07 08:00, Shanghai) and moves only when a test
moves it. Defaults: 5 wrong passwords within 30 minutes lock for 30 minutes.
"""

import datetime as dt
import logging
from http import HTTPStatus

import pytest
from allauth.account.adapter import get_adapter
from django.test import Client, RequestFactory

from accounts import security
from accounts.models import Role, SecurityEvent, SecurityEventKind
from accounts.security import SIGN_IN_LOCKED, SignInLocked, begin_password_attempt
from tests.conftest import NOW
from tests.factories import LawyerFactory, OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "a-long-staff-password-2026"
WRONG = "not-the-password-at-all"
ADDRESS = "zhang@example.org"
UNKNOWN = "zhou@example.org"
LOCKED_UNTIL_0830 = SIGN_IN_LOCKED % {"until": "12月7日 08:30"}


def mismatch() -> str:
    return str(get_adapter().error_messages["email_password_mismatch"])


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def staff(email: str = ADDRESS, office=None, **fields):
    user = UserFactory(
        role=Role.DESK,
        office=office or OfficeFactory(),
        phone=None,
        phone_verified=False,
        email=email,
        **fields,
    )
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def clerk(office):
    return staff(office=office)


def sign_in(client: Client, login: str, password: str):
    return client.post(LOGIN, {"login": login, "password": password}, secure=True)


def answer(response) -> tuple[int, list[str]]:
    """What whoever types sees: the status and the form's errors."""
    if response.status_code != HTTPStatus.OK:
        return response.status_code, []
    return response.status_code, [
        str(error) for error in response.context["form"].errors.get("__all__", [])
    ]


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_six_wrong_passwords_then_the_right_one_is_refused_until_the_lock_passes(clock, clerk):
    client = Client()
    for _ in range(5):
        assert answer(sign_in(client, ADDRESS, WRONG)) == (HTTPStatus.OK, [mismatch()])
    assert answer(sign_in(client, ADDRESS, WRONG)) == (HTTPStatus.OK, [LOCKED_UNTIL_0830])

    assert answer(sign_in(client, ADDRESS, PASSWORD)) == (HTTPStatus.OK, [LOCKED_UNTIL_0830])
    clock.shift(dt.timedelta(minutes=29, seconds=59))
    assert answer(sign_in(Client(), ADDRESS, PASSWORD)) == (HTTPStatus.OK, [LOCKED_UNTIL_0830])
    assert not signed_in(client)

    clock.shift(dt.timedelta(seconds=1))  # 08:30: the lock has passed
    response = sign_in(client, ADDRESS, PASSWORD)
    assert response.status_code == HTTPStatus.FOUND
    assert signed_in(client)


def test_the_lock_message_names_the_time_and_the_office_admin_in_english(clock, clerk):
    for _ in range(5):
        sign_in(Client(), ADDRESS, WRONG)
    response = Client().post(
        LOGIN, {"login": ADDRESS, "password": PASSWORD}, secure=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    [message] = answer(response)[1]
    assert "until 7 December 08:30" in message
    assert "ask your office admin" in message


def test_every_wrong_password_and_the_lock_are_in_the_security_log(clock, clerk, caplog):
    caplog.set_level(logging.WARNING, logger="accounts.security")
    for _ in range(6):
        sign_in(Client(), ADDRESS.upper(), WRONG)

    events = list(
        SecurityEvent.objects.order_by("pk").values_list("kind", "user", "identifier", "ip")
    )
    failed = (SecurityEventKind.LOGIN_FAILED, clerk.pk, "z***@example.org", "127.0.0.1")
    locked = (SecurityEventKind.ACCOUNT_LOCKED, clerk.pk, "z***@example.org", "127.0.0.1")
    # Five wrong passwords, the lock, and the sixth, refused without being checked.
    assert events == [failed] * 5 + [locked, failed]
    assert SecurityEvent.objects.get(kind=SecurityEventKind.ACCOUNT_LOCKED).at == NOW
    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) == 7
    assert all("z***@example.org" in line for line in logged)
    assert all(ADDRESS not in str(event.__dict__) for event in SecurityEvent.objects.all())


def test_an_unknown_address_gets_the_same_answers_and_is_logged_without_an_account(clock, clerk):
    def attempts(login: str, ip: str) -> list:
        # From two addresses: allauth's limit per client (10 a minute) is not the point.
        client = Client(REMOTE_ADDR=ip)
        answers = [answer(sign_in(client, login, WRONG)) for _ in range(6)]
        return [*answers, answer(sign_in(client, login, PASSWORD))]

    known, unknown = attempts(ADDRESS, "10.0.0.1"), attempts(UNKNOWN, "10.0.0.2")

    assert unknown == known
    assert known[-1] == (HTTPStatus.OK, [LOCKED_UNTIL_0830])
    aimed_at_unknown = SecurityEvent.objects.filter(identifier="z***@example.org", user=None)
    assert aimed_at_unknown.filter(kind=SecurityEventKind.ACCOUNT_LOCKED).count() == 1
    assert aimed_at_unknown.filter(kind=SecurityEventKind.LOGIN_FAILED).count() == 7


def test_one_address_locked_leaves_another_with_the_same_mask_alone(clock, clerk):
    for _ in range(5):
        sign_in(Client(), UNKNOWN, WRONG)  # z***@example.org as well
    client = Client()
    assert sign_in(client, ADDRESS, PASSWORD).status_code == HTTPStatus.FOUND


def test_a_right_password_before_the_lock_forgives_the_wrong_ones(clock, clerk):
    for _ in range(4):
        sign_in(Client(), ADDRESS, WRONG)
    assert sign_in(Client(), ADDRESS, PASSWORD).status_code == HTTPStatus.FOUND
    for _ in range(4):
        assert answer(sign_in(Client(), ADDRESS, WRONG)) == (HTTPStatus.OK, [mismatch()])
    assert sign_in(Client(), ADDRESS, PASSWORD).status_code == HTTPStatus.FOUND


def test_wrong_passwords_count_within_the_last_period_not_per_fixed_window(clock, clerk):
    for _ in range(4):
        sign_in(Client(), ADDRESS, WRONG)
    clock.shift(dt.timedelta(minutes=20))
    assert answer(sign_in(Client(), ADDRESS, WRONG)) == (HTTPStatus.OK, [mismatch()])
    locked = SIGN_IN_LOCKED % {"until": "12月7日 08:50"}
    assert answer(sign_in(Client(), ADDRESS, PASSWORD)) == (HTTPStatus.OK, [locked])


def test_wrong_passwords_older_than_the_period_no_longer_count(clock, clerk):
    for _ in range(4):
        sign_in(Client(), ADDRESS, WRONG)
    clock.shift(dt.timedelta(minutes=31))
    for _ in range(4):
        sign_in(Client(), ADDRESS, WRONG)
    assert sign_in(Client(), ADDRESS, PASSWORD).status_code == HTTPStatus.FOUND


def test_trying_during_the_lock_does_not_make_it_longer(clock, clerk):
    for _ in range(5):
        sign_in(Client(), ADDRESS, WRONG)
    for _ in range(5):
        clock.shift(dt.timedelta(minutes=5))
        sign_in(Client(), ADDRESS, WRONG)
    clock.shift(dt.timedelta(minutes=5))  # 08:30
    assert sign_in(Client(), ADDRESS, PASSWORD).status_code == HTTPStatus.FOUND


def test_the_settings_set_the_number_of_tries_and_the_time(clock, clerk, settings):
    settings.STAFF_LOCKOUT_ATTEMPTS, settings.STAFF_LOCKOUT_MINUTES = 3, 10
    for _ in range(3):
        sign_in(Client(), ADDRESS, WRONG)
    locked = SIGN_IN_LOCKED % {"until": "12月7日 08:10"}
    assert answer(sign_in(Client(), ADDRESS, PASSWORD)) == (HTTPStatus.OK, [locked])


def test_guesses_in_flight_count_before_their_passwords_are_checked(clock, clerk):
    """Parallel guesses get no more tries than guesses one after the other: each is
    counted as wrong when it starts, before the (slow) password check."""
    request = RequestFactory().post(LOGIN)
    for _ in range(5):
        begin_password_attempt(request=request, login=ADDRESS)
    with pytest.raises(SignInLocked):
        begin_password_attempt(request=request, login=ADDRESS)


def test_a_new_password_from_the_office_admin_lifts_the_lock(clock, clerk, office):
    for _ in range(5):
        sign_in(Client(), ADDRESS, WRONG)
    head = staff("head@example.org", office=office, is_staff=True)
    head.role = Role.OFFICE_ADMIN
    head.save(update_fields=["role"])
    head.user_permissions.add(*_permissions("view_user", "change_user"))
    admin = Client()
    admin.force_login(head)
    new_password = "a-new-password-for-zhang-2026"
    response = admin.post(
        f"/admin/accounts/user/{clerk.pk}/password/",
        {"password1": new_password, "password2": new_password, "usable_password": "true"},
        secure=True,
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]

    assert sign_in(Client(), ADDRESS, new_password).status_code == HTTPStatus.FOUND


def test_the_reentered_password_counts_too(clock, clerk):
    """allauth asks for the password again before sensitive changes: guesses there lock too."""
    client = Client()
    client.force_login(clerk)
    for _ in range(5):
        client.post("/accounts/reauthenticate/", {"password": WRONG}, secure=True)
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.ACCOUNT_LOCKED).count() == 1
    assert answer(sign_in(Client(), ADDRESS, PASSWORD)) == (HTTPStatus.OK, [LOCKED_UNTIL_0830])


def test_masks_keep_enough_to_read_and_too_little_to_learn():
    assert security.mask_identifier("zhang@example.org") == "z***@example.org"
    assert security.mask_identifier("+8613800138000") == "138****8000"
    assert security.mask_identifier("138****8000") == "138****8000"
    assert security.mask_identifier("") == ""


# --- the security log in the admin ---------------------------------------------------


def _permissions(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=codenames)


@pytest.fixture
def log_world(clock, office):
    other = OfficeFactory()
    clerk = staff(office=office)
    shared = LawyerFactory(offices=[office, other]).user
    elsewhere = staff("li@example.org", office=other)
    head = staff("head@example.org", office=office, is_staff=True)
    head.role = Role.OFFICE_ADMIN
    head.save(update_fields=["role"])
    for user, identifier in (
        (clerk, "zhang@example.org"),
        (shared, shared.email),
        (elsewhere, "li@example.org"),
        (None, "nobody@example.org"),
    ):
        security.record_event(
            kind=SecurityEventKind.LOGIN_FAILED, user=user, identifier=identifier, ip="10.0.0.9"
        )
    return {"head": head, "shared": shared}


def _listing(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/admin/accounts/securityevent/", secure=True)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_an_office_admin_reads_the_security_log_of_their_own_staff_only(log_world):
    body = _listing(log_world["head"])
    assert "z***@example.org" in body
    assert f"{log_world['shared'].email[0]}***@example.invalid" in body  # works here too
    assert "l***@example.org" not in body  # another office's clerk
    assert "n***@example.org" not in body  # no account: superusers only


def test_a_superuser_reads_all_of_the_security_log(log_world):
    root = UserFactory(
        email="root@example.org", is_staff=True, is_superuser=True, phone=None, phone_verified=False
    )
    body = _listing(root)
    for shown in ("z***@example.org", "l***@example.org", "n***@example.org"):
        assert shown in body


def test_the_security_log_is_read_only_in_the_admin(log_world):
    client = Client()
    client.force_login(log_world["head"])
    event = SecurityEvent.objects.get(identifier="z***@example.org")
    assert client.get("/admin/accounts/securityevent/add/", secure=True).status_code == 403
    delete = client.post(
        f"/admin/accounts/securityevent/{event.pk}/delete/", {"post": "yes"}, secure=True
    )
    assert delete.status_code == HTTPStatus.FORBIDDEN
    change = client.post(
        f"/admin/accounts/securityevent/{event.pk}/change/", {"details": "x"}, secure=True
    )
    assert change.status_code == HTTPStatus.FORBIDDEN
    event.refresh_from_db()
    assert event.details == ""


def test_desk_staff_do_not_read_the_security_log(log_world, office):
    desk = staff("desk@example.org", office=office, is_staff=True)
    client = Client()
    client.force_login(desk)
    response = client.get("/admin/accounts/securityevent/", secure=True)
    assert response.status_code == HTTPStatus.FORBIDDEN


# --- racing guesses ------------------------------------------------------------------


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_twelve_parallel_guesses_get_five_tries_and_no_more():
    """Real OS processes, each its own connection and address, released at once."""
    from tests import racing

    staff()

    def guess(index: int):
        def work() -> tuple[str, str]:
            response = sign_in(Client(REMOTE_ADDR=f"10.0.1.{index}"), ADDRESS, WRONG)
            status, errors = answer(response)
            return ("checked" if errors == [mismatch()] else "refused", str(status))

        return work

    outcomes = racing.race([guess(index) for index in range(12)])

    assert sorted(code for code, _status in outcomes) == ["checked"] * 5 + ["refused"] * 7
    assert {status for _code, status in outcomes} == {"200"}
    checked = SecurityEvent.objects.filter(details__startswith="wrong password")
    assert checked.count() == 5
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.ACCOUNT_LOCKED).count() == 1


def test_the_office_admin_reads_what_happened_in_their_language_with_local_times(
    clock, clerk, office
):
    """Issue 15.13: the details an office admin reads are words of the page's language,
    not the operators' English with ISO times."""
    for _ in range(5):
        sign_in(Client(), ADDRESS, WRONG)
    head = staff("head@example.org", office=office, is_staff=True)
    head.role = Role.OFFICE_ADMIN
    head.save(update_fields=["role"])

    body = _listing(head)

    until = (NOW + dt.timedelta(minutes=30)).strftime("%H:%M")
    assert "密码错误，允许5次，这是第1次。" in body
    assert f"密码错误5次后锁定，到12月7日 {until}。" in body
    assert "wrong password" not in body and "T08:" not in body
