"""A small world in which every protected object belongs to someone, for the URL × role
table of tests/test_authorization.py.

Office 1 has lawyers X and Y, a desk member and an office admin (in the demo's "office
admin" group); office 2 has lawyer Z and a desk member. Resident A booked lawyer X at
office 1 (and lawyer Z at office 2); resident B booked lawyer Y at office 1 and waits as
a walk-in there. Lawyer X also has hours, time off, a calendar feed, a follow-up for the
office to arrange, a verified e-mail address and an authenticator app (TOTP). Two
superusers: one who works at office 1, one of no office. Lawyer W works for both offices
(Monday hours at office 1, Wednesday hours at office 2, time off); office 2 has an office
admin too, outside the table's roles, for the shared lawyer's own test. Bookings, the
follow-up, the
walk-in and the feed are made by the services, as users make them; residents have no
password (they sign in by SMS code), staff have one.
"""

import datetime as dt
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django_tasks_db.models import DBTaskResult

from accounts.models import Role, SecurityEvent, SecurityEventKind, User
from booking.access_log import record_access
from booking.management.commands.demo import ADMIN_GROUP, ADMIN_PERMISSIONS
from booking.models import (
    AccessLog,
    AccessPlace,
    Appointment,
    AvailabilityRule,
    CalendarFeed,
    DutyDay,
    DutyException,
    FollowUp,
    Lawyer,
    Mode,
    Office,
    TimeOff,
    Topic,
    WalkIn,
)
from booking.services import book_appointment
from booking.services.availability import add_time_off
from booking.services.calendar import get_or_create_feed
from booking.services.outcomes import request_follow_up
from booking.services.walk_ins import register_walk_in
from sms.models import Message
from tests.conftest import NOW, local
from tests.factories import LawyerFactory, OfficeFactory, RuleFactory, TopicFactory, UserFactory

TOMORROW = NOW.date() + dt.timedelta(days=1)  # a Tuesday
STAFF_PASSWORD = "staff-password-for-the-table-1"
ROLES = (
    "anonymous",
    "resident_a",
    "resident_b",
    "lawyer_x",
    "lawyer_y",
    "desk_1",
    "admin_1",
    "desk_2",
)


@dataclass
class World:
    office_1: Office
    office_2: Office
    topic: Topic
    users: dict[str, User | None]  # by role; None for the anonymous visitor
    superuser_1: User  # a superuser who works at office 1 (create_superuser allows it)
    superuser: User  # a superuser of no office
    lawyer_x: Lawyer
    lawyer_y: Lawyer
    lawyer_z: Lawyer
    lawyer_w: Lawyer  # of office 1 and office 2
    rule_w_1: AvailabilityRule  # W's hours at office 1
    rule_w_2: AvailabilityRule  # W's hours at office 2
    time_off_w: TimeOff
    admin_2: User  # office 2's admin (not one of ROLES)
    appointment_a: Appointment  # resident A with lawyer X, office 1
    appointment_a2: Appointment  # resident A with lawyer Z, office 2
    appointment_b: Appointment  # resident B with lawyer Y, office 1
    rule_x: AvailabilityRule
    time_off_x: TimeOff
    time_off_z: TimeOff
    feed_x: CalendarFeed
    follow_up_1: FollowUp
    walk_in_1: WalkIn
    group: Group
    email_x: EmailAddress
    authenticator_x: Authenticator
    task: DBTaskResult
    message_1: Message
    message_2: Message
    duty_day_1: DutyDay
    duty_day_2: DutyDay
    duty_exception_1: DutyException
    duty_exception_2: DutyException
    access_log_1: AccessLog
    access_log_2: AccessLog
    security_event_1: SecurityEvent  # about office 1's desk member
    security_event_2: SecurityEvent  # about office 2's desk member
    security_event_unknown: SecurityEvent  # about an address without an account


def _staff(role: str, office: Office | None, **extra) -> User:
    return UserFactory(role=role, office=office, phone=None, phone_verified=False, **extra)


def _office_admin_group() -> Group:
    """The demo's "office admin" group, with the demo's permissions."""
    group, _created = Group.objects.get_or_create(name=ADMIN_GROUP)
    for label, actions in ADMIN_PERMISSIONS.items():
        app_label, model = label.split(".")
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label,
                codename__in=[f"{action}_{model}" for action in actions],
            )
        )
    return group


def _book(resident: User, lawyer: Lawyer, office: Office, topic: Topic, hour: int):
    return book_appointment(
        resident=resident,
        office=office,
        topic=topic,
        lawyer=lawyer,
        starts_at=local(TOMORROW, hour),
        mode=Mode.IN_PERSON,
        summary="只给律师看的案情",
        matter_consent_at=NOW,
        now=NOW,
    )


def build_world() -> World:
    office_1 = OfficeFactory(slug="office-one")
    office_2 = OfficeFactory(slug="office-two")
    topic = TopicFactory()
    lawyers = {}
    for name, office in (("x", office_1), ("y", office_1), ("z", office_2)):
        lawyer = LawyerFactory(offices=[office], topics=[topic])
        for weekday in range(5):
            RuleFactory(lawyer=lawyer, office=office, weekday=weekday)
        lawyers[name] = lawyer
    lawyer_w = LawyerFactory(offices=[office_1, office_2], topics=[topic])
    rule_w_1 = RuleFactory(lawyer=lawyer_w, office=office_1, weekday=0)
    rule_w_2 = RuleFactory(lawyer=lawyer_w, office=office_2, weekday=2)
    lawyer_w.user.set_password(STAFF_PASSWORD)
    lawyer_w.user.save(update_fields=["password"])
    group = _office_admin_group()
    admin_1 = _staff(Role.OFFICE_ADMIN, office_1, is_staff=True, email="head-1@example.invalid")
    admin_1.groups.add(group)
    admin_2 = _staff(Role.OFFICE_ADMIN, office_2, is_staff=True, email="head-2@example.invalid")
    admin_2.groups.add(group)
    users = {
        "anonymous": None,
        "resident_a": UserFactory(display_name="居民甲"),
        "resident_b": UserFactory(display_name="居民乙"),
        "lawyer_x": lawyers["x"].user,
        "lawyer_y": lawyers["y"].user,
        "desk_1": _staff(Role.DESK, office_1),
        "admin_1": admin_1,
        "desk_2": _staff(Role.DESK, office_2),
    }
    # As in real life: residents sign in by SMS code and have no password, staff have one.
    for role, user in users.items():
        if user is not None:
            if role.startswith("resident"):
                user.set_unusable_password()
            else:
                user.set_password(STAFF_PASSWORD)
            user.save(update_fields=["password"])
    resident_a, resident_b = users["resident_a"], users["resident_b"]
    appointment_a = _book(resident_a, lawyers["x"], office_1, topic, 10)
    appointment_a2 = _book(resident_a, lawyers["z"], office_2, topic, 11)
    appointment_b = _book(resident_b, lawyers["y"], office_1, topic, 10)
    follow_up_1 = request_follow_up(
        appointment=appointment_a,
        lawyer=lawyers["x"],
        invite_by=TOMORROW + dt.timedelta(days=14),
        note_for_office="带合同",
    )
    walk_in_1 = register_walk_in(
        office=office_1, resident=resident_b, topic=topic, by=users["desk_1"], now=NOW
    )
    time_off_x, time_off_z = (
        add_time_off(
            lawyer=lawyers[name],
            starts_at=local(TOMORROW + dt.timedelta(days=21), 0),
            ends_at=local(TOMORROW + dt.timedelta(days=22), 0),
            now=NOW,
        ).saved
        for name in ("x", "z")
    )
    time_off_w = add_time_off(
        lawyer=lawyer_w,
        starts_at=local(TOMORROW + dt.timedelta(days=21), 0),
        ends_at=local(TOMORROW + dt.timedelta(days=22), 0),
        now=NOW,
    ).saved
    task = DBTaskResult.objects.first()
    assert task is not None, "booking queues the confirmation SMS as a task"

    def access_log(appointment: Appointment, viewer: User) -> AccessLog:
        record_access(
            viewer=viewer,
            appointments=[appointment],
            place=AccessPlace.DESK,
            details=["name"],
            ip=None,
            now=NOW,
        )
        return AccessLog.objects.get(appointment=appointment, viewer=viewer)

    def security_event(user: User | None) -> SecurityEvent:
        return SecurityEvent.objects.create(
            kind=SecurityEventKind.LOGIN_FAILED, user=user, identifier="x***@example.invalid"
        )

    return World(
        office_1=office_1,
        office_2=office_2,
        topic=topic,
        users=users,
        superuser_1=User.objects.create_superuser(
            email="root-1@example.invalid", password=STAFF_PASSWORD, office=office_1
        ),
        superuser=User.objects.create_superuser(
            email="root@example.invalid", password=STAFF_PASSWORD
        ),
        lawyer_x=lawyers["x"],
        lawyer_y=lawyers["y"],
        lawyer_z=lawyers["z"],
        lawyer_w=lawyer_w,
        rule_w_1=rule_w_1,
        rule_w_2=rule_w_2,
        time_off_w=time_off_w,
        admin_2=admin_2,
        appointment_a=appointment_a,
        appointment_a2=appointment_a2,
        appointment_b=appointment_b,
        rule_x=AvailabilityRule.objects.get(lawyer=lawyers["x"], weekday=0),  # Mondays
        time_off_x=time_off_x,
        time_off_z=time_off_z,
        feed_x=get_or_create_feed(lawyer=lawyers["x"]),
        follow_up_1=follow_up_1,
        walk_in_1=walk_in_1,
        group=group,
        email_x=EmailAddress.objects.create(
            user=lawyers["x"].user, email=lawyers["x"].user.email, verified=True, primary=True
        ),
        authenticator_x=TOTP.activate(lawyers["x"].user, generate_totp_secret()).instance,
        task=task,
        message_1=Message.objects.filter(appointment=appointment_a).first(),
        message_2=Message.objects.filter(appointment=appointment_a2).first(),
        duty_day_1=DutyDay.objects.create(office=office_1, lawyer=lawyers["x"], weekday=1),
        duty_day_2=DutyDay.objects.create(office=office_2, lawyer=lawyers["z"], weekday=1),
        duty_exception_1=DutyException.objects.create(
            office=office_1, lawyer=lawyers["x"], date=TOMORROW, on_duty=False
        ),
        duty_exception_2=DutyException.objects.create(
            office=office_2, lawyer=lawyers["z"], date=TOMORROW, on_duty=False
        ),
        access_log_1=access_log(appointment_a, users["desk_1"]),
        access_log_2=access_log(appointment_a2, users["desk_2"]),
        security_event_1=security_event(users["desk_1"]),
        security_event_2=security_event(users["desk_2"]),
        security_event_unknown=security_event(None),
    )


def content_type_id(model) -> int:
    return ContentType.objects.get_for_model(model).pk
