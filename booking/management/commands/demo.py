"""Load a demo justice office to try the site with: ``manage.py demo``.

One invented township office in Hunan with four lawyers and their weekly hours, a desk
clerk, an office admin, a few residents and their consultations over the next weeks.
Every name, address and number is invented; staff e-mail addresses end in ``.invalid``
and share one published password, so this belongs on development machines only.

Running it again creates nothing new. Appointments are booked through the booking
service from the slots the slot engine offers, so the demo obeys every booking rule;
they are created only while the demo residents have none, so their times depend on the
day of the first run.

So that the office head's figures page has something to show, the office also gets ten
weeks of past consultations and today's, of other invented residents (some registered at
the desk without a mobile number). The booking service refuses past times, so these are
written directly, one per free slot of a lawyer's weekly hours: never two at once.
"""

import random
from datetime import datetime, time, timedelta

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from booking import selectors, services
from booking.models import (
    Appointment,
    AvailabilityRule,
    Channel,
    Lawyer,
    Mode,
    Office,
    Status,
    Topic,
)
from booking.reference import new_reference
from booking.services.appointments import build_appointment
from booking.slots import Slot
from sms.rules import in_quiet_hours

DEMO_PASSWORD = "demo-legal-aid-2026"  # noqa: S105 -- published on purpose, demo only
SITE_URL = "http://127.0.0.1:8000"
SEED = 2026
BOOKING_DAYS = 21
PAST_WEEKS = 10
PAST_SHARE = 0.3  # of the lawyers' past slots that were booked
ADMIN_GROUP = "office admin"
# What the "office admin" group may do, by model; bookings change only through the service.
ADMIN_PERMISSIONS = {
    "booking.office": ("view", "change"),
    # Areas of law are shared by every office: superusers name them, each office chooses
    # its own on its office's page.
    "booking.topic": ("view",),
    "booking.lawyer": ("view", "add", "change"),
    "booking.availabilityrule": ("view", "add", "change", "delete"),
    "booking.timeoff": ("view", "add", "change", "delete"),
    "booking.dutyday": ("view", "add", "change", "delete"),
    "booking.dutyexception": ("view", "add", "change", "delete"),
    "booking.appointment": ("view",),
    "booking.accesslog": ("view",),
    "accounts.user": ("view", "add", "change"),
    "sms.message": ("view",),
}

OFFICE = {
    "name": "青石镇司法所",
    "address": "湖南省湘潭县青石镇人民路18号（镇人民政府院内）",
    "phone": "0731-5786 0148",
    "time_zone": "Asia/Shanghai",
    "opening_hours": "周一至周五 上午8:30–12:00，下午2:30–5:30；周六上午有法律工作者值班。"
    "法定节假日休息。",
}
MORNING = (time(9), time(12))
AFTERNOON = (time(14, 30), time(17, 30))


def hours(weekdays, start, end, minutes, mode=Mode.IN_PERSON):
    """Availability rules as tuples: one per weekday (Monday is 0)."""
    return [(weekday, start, end, minutes, mode) for weekday in weekdays]


LAWYERS = [
    (
        "lawyer1@demo.invalid",
        "周明华",
        "普通话、湘方言",
        ["family", "neighbours", "housing", "other"],
        hours((0, 2), *MORNING, 30) + hours((0, 2), *AFTERNOON, 30),
    ),
    (
        "lawyer2@demo.invalid",
        "李秀英",
        "普通话",
        ["labour", "debts", "consumer", "traffic"],
        hours((1, 3), *MORNING, 45) + hours((4,), *AFTERNOON, 45),
    ),
    (
        "lawyer3@demo.invalid",
        "刘建国",
        "普通话、湘方言",
        ["land", "housing", "veterans", "neighbours"],
        hours((1, 2, 4), *AFTERNOON, 30) + hours((3,), *MORNING, 30),
    ),
    (
        "lawyer4@demo.invalid",
        "谭丽华",
        "普通话、湘方言、简单手语",
        ["medical", "education", "family", "consumer", "other"],
        hours((1, 3), *MORNING, 30, Mode.PHONE) + hours((5,), *MORNING, 45),
    ),
]
DESK = ("desk@demo.invalid", "龚小燕")
OFFICE_ADMIN = ("admin@demo.invalid", "唐卫东")
RESIDENTS = [
    ("+8613800000101", "王桂兰"),
    ("+8613900000102", "张德福"),
    ("+8615000000103", "罗春梅"),
    ("+8618600000104", "彭志强"),
    ("+8613800000105", "欧阳平"),
    ("+8613900000106", "曾秋菊"),
    ("+8613700000107", "李春花"),
]
# What each resident's upcoming consultations show: (cancelled first, then booked). Two
# hold the office's limit after cancelling one, three hold it, one may book one more,
# and the last — a number new in this list, so that a database of an older demo gets her
# too — has booked nothing: the README names her as the one to book with.
BOOKINGS = {
    "+8613800000101": (1, 2),
    "+8613900000102": (1, 2),
    "+8615000000103": (0, 2),
    "+8618600000104": (0, 1),
    "+8613800000105": (0, 2),
    "+8613900000106": (0, 2),
    "+8613700000107": (0, 0),
}
BOOKS_FIRST = "+8613700000107"
# Residents of the past consultations: names, and a mobile number or a village.
PAST_SURNAMES = "陈杨黄赵吴周徐孙马朱胡郭何林罗"
PAST_GIVEN_NAMES = ["建华", "秀兰", "国强", "美玲", "志明", "桂英", "海涛", "丽娟"]
VILLAGES = ["白石村", "枫树村", "石门村", "大塘村", "新屋村"]
PAST_RESIDENTS = 24
# How past consultations came about and ended, with their weights.
CHANNELS = {Channel.ONLINE: 50, Channel.DESK: 30, Channel.WALK_IN: 12, Channel.LAWYER: 8}
OUTCOMES = {Status.ATTENDED: 82, Status.NO_SHOW: 8, Status.CANCELLED: 10}
# What a resident might write when booking, by topic code.
SUMMARIES = {
    "family": "离婚后对方一直不给孩子抚养费，想问怎么要回来。",
    "neighbours": "邻居建房占了我家的出路，村里调解了两次没有结果。",
    "debts": "借给亲戚五万元，有借条，到期一直不还。",
    "land": "承包的山林和邻组的界线有争议，对方砍了树。",
    "labour": "在工地做了半年，老板拖欠工资三万多元。",
    "veterans": "退役后的优待金发放有问题，想了解政策。",
    "housing": "老房子在征收范围内，想了解补偿标准和协议怎么签。",
    "medical": "在卫生院打针后病情加重，想咨询是否属于医疗事故。",
    "education": "孩子在学校受伤，学校说不负责任。",
    "consumer": "买的化肥有质量问题，商家不肯退换。",
    "traffic": "骑电动车被小车撞伤，对方保险公司不肯赔。",
    "other": "父亲去世后留下的房子，兄弟几个怎么分。",
}


def _slots(rules, first_day, last_day, tz):
    """Every slot of the weekly ``rules`` from ``first_day`` to ``last_day``, by day:
    ``(rule, start, length)``."""
    day = first_day
    while day <= last_day:
        for rule in rules:
            if rule.weekday != day.weekday():
                continue
            length = timedelta(minutes=rule.slot_minutes)
            start = datetime.combine(day, rule.start_time, tz)
            end = datetime.combine(day, rule.end_time, tz)
            while start + length <= end:
                yield rule, start, length
                start += length
        day += timedelta(days=1)


class Command(BaseCommand):
    help = "Load a demo township justice office with lawyers, staff, residents and bookings."

    def add_arguments(self, parser):
        parser.add_argument("--site-url", default=SITE_URL, help="Where the site is served.")

    def handle(self, *args, **options):
        # Printed after the commit, so that a closed pipe cannot undo the load.
        office, staff, residents = self._load()
        self._print_logins(office, staff, residents, site_url=options["site_url"].rstrip("/"))

    @transaction.atomic
    def _load(self):
        now = timezone.now()
        office, created = Office.objects.get_or_create(slug="qingshi-demo", defaults=OFFICE)
        if created:  # the office offers every area of law; its admin may switch some off
            office.topics.set(Topic.objects.filter(is_active=True))
        admin = self._staff(*OFFICE_ADMIN, role=Role.OFFICE_ADMIN, office=office)
        admin.groups.add(self._admin_group())
        desk = self._staff(*DESK, role=Role.DESK, office=office)
        staff = [admin, desk]
        for email, name, languages, topic_codes, rules in LAWYERS:
            # A lawyer belongs to offices through the Lawyer profile, not User.office.
            user = self._staff(email, name, role=Role.LAWYER, office=None)
            staff.append(user)
            lawyer, _created = Lawyer.objects.get_or_create(
                user=user, defaults={"languages": languages}
            )
            lawyer.offices.add(office)
            lawyer.topics.add(*Topic.objects.filter(code__in=topic_codes))
            for weekday, start, end, minutes, mode in rules:
                AvailabilityRule.objects.get_or_create(
                    lawyer=lawyer,
                    office=office,
                    weekday=weekday,
                    start_time=start,
                    end_time=end,
                    defaults={"slot_minutes": minutes, "mode": mode},
                )
        residents = [self._resident(phone, name) for phone, name in RESIDENTS]
        if not Appointment.objects.filter(resident__in=residents).exists():
            self._book(office=office, residents=residents, desk=desk, now=now)
            self._history(office=office, desk=desk, now=now)
        return office, staff, residents

    def _staff(self, email, name, *, role, office) -> User:
        return User.objects.filter(email=email).first() or User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            role=role,
            office=office,
            display_name=name,
            is_staff=role == Role.OFFICE_ADMIN,
        )

    def _resident(self, phone, name) -> User:
        return User.objects.filter(phone=phone).first() or User.objects.create_user(
            phone=phone, phone_verified=True, display_name=name, role=Role.RESIDENT
        )

    def _admin_group(self) -> Group:
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

    def _book(self, *, office, residents, desk, now) -> None:
        """Book each resident as ``BOOKINGS`` says, within the office's limit."""
        rng = random.Random(SEED)
        topics = list(selectors.get_bookable_topics(office=office).filter(code__in=SUMMARIES))
        lawyers = {lawyer.pk: lawyer for lawyer in Lawyer.objects.filter(offices=office)}
        tomorrow = now.astimezone(office.tz).date() + timedelta(days=1)
        last_day = tomorrow + timedelta(days=BOOKING_DAYS)

        def book(resident):
            topic = rng.choice(topics)
            slots = selectors.list_free_slots(
                office=office, topic=topic, first_day=tomorrow, last_day=last_day, now=now
            )
            slot = rng.choice(slots)
            return services.book_appointment(
                resident=resident,
                office=office,
                topic=topic,
                lawyer=lawyers[slot.lawyer_id],
                starts_at=slot.start,
                mode=slot.mode,
                summary=SUMMARIES[topic.code],
                matter_consent_at=now,  # the resident ticked that it may be kept
                dialect=rng.choice(["", "", "湘方言"]),
                now=now,
                **({"booked_by": desk, "channel": Channel.DESK} if rng.random() < 0.3 else {}),
            )

        for resident in residents:
            cancelled, booked = BOOKINGS[resident.phone.as_e164]
            for _ in range(cancelled):
                services.cancel_appointment(appointment=book(resident), by=resident, now=now)
            for _ in range(min(booked, office.max_active_bookings)):
                book(resident)

    def _past_residents(self) -> list[User]:
        rng = random.Random(SEED + 1)
        people = []
        for index in range(PAST_RESIDENTS):
            name = PAST_SURNAMES[index % len(PAST_SURNAMES)] + rng.choice(PAST_GIVEN_NAMES)
            village = rng.choice(VILLAGES)
            if index % 3 == 2:  # registered at the desk: a village, no mobile number
                people.append(
                    User.objects.filter(display_name=name, village=village, phone=None).first()
                    or User.objects.create_user(display_name=name, village=village)
                )
            else:
                people.append(self._resident(f"+86135000002{index:02d}", name))
        return people

    def _history(self, *, office, desk, now) -> None:
        """Ten weeks of past consultations and today's, written directly (see above).

        Each takes one slot of its lawyer's weekly hours on its day, so none overlap;
        the service books from tomorrow on. Today's are attended before ``now`` and
        booked after it, one per resident, within every resident's limit.
        """
        rng = random.Random(SEED + 2)
        people = self._past_residents()
        lawyers = Lawyer.objects.filter(offices=office).prefetch_related("topics")
        offered = set(selectors.get_offered_topics(office=office).values_list("pk", flat=True))
        topics = {
            lawyer.pk: [topic for topic in lawyer.topics.all() if topic.pk in offered]
            for lawyer in lawyers
        }
        rules = [
            rule
            for rule in AvailabilityRule.objects.filter(office=office, lawyer__in=lawyers)
            if topics[rule.lawyer_id]  # a lawyer of no area the office offers sees no one
        ]
        today = now.astimezone(office.tz).date()
        taken = set(Appointment.objects.values_list("reference", flat=True))
        appointments, booked_on = [], []
        upcoming_residents = iter(people)
        for rule, slot, length in _slots(
            rules, today - timedelta(weeks=PAST_WEEKS), today, office.tz
        ):
            if rng.random() > (0.5 if slot.date() == today else PAST_SHARE):
                continue
            if slot > now:
                resident = next(upcoming_residents, None)
                if resident is None:
                    continue
                status = Status.BOOKED
            else:
                resident = rng.choice(people)
                status = rng.choices(list(OUTCOMES), weights=OUTCOMES.values())[0]
            channel = rng.choices(list(CHANNELS), weights=CHANNELS.values())[0]
            if (channel == Channel.ONLINE and not resident.phone) or (
                channel == Channel.WALK_IN and status == Status.BOOKED  # seen when they come
            ):
                channel = Channel.DESK
            if channel == Channel.WALK_IN:
                created = slot - timedelta(minutes=rng.randint(10, 90))
            elif channel == Channel.LAWYER:
                created = slot - timedelta(days=rng.randint(7, 21))
            else:
                created = slot - timedelta(days=rng.randint(0, 14), hours=rng.randint(1, 8))
            created = min(created, now - timedelta(minutes=5))
            topic = rng.choice(topics[rule.lawyer_id])
            reference = new_reference()
            while reference in taken:
                reference = new_reference()
            taken.add(reference)
            checked_in = status == Status.ATTENDED and rule.mode == Mode.IN_PERSON
            appointments.append(
                build_appointment(
                    resident=resident,
                    slot=Slot(
                        start=slot, end=slot + length, lawyer_id=rule.lawyer_id, mode=rule.mode
                    ),
                    status=status,
                    reference=reference,
                    office=office,
                    topic=topic,
                    summary=SUMMARIES[topic.code],
                    matter_consent_at=created,
                    channel=channel,
                    booked_by=desk if channel in (Channel.DESK, Channel.WALK_IN) else None,
                    checked_in_at=slot - timedelta(minutes=rng.randint(2, 20))
                    if checked_in
                    else None,
                    cancelled_at=(
                        created + (slot - created) / 2 if status == Status.CANCELLED else None
                    ),
                )
            )
            booked_on.append(created)
        Appointment.objects.bulk_create(appointments)
        # created_at is set on insert: give each the day it was booked.
        for appointment, created in zip(appointments, booked_on, strict=True):
            appointment.created_at = created
        Appointment.objects.bulk_update(appointments, ["created_at"], batch_size=200)

    def _print_logins(self, office, staff, residents, *, site_url: str) -> None:
        write = self.stdout.write
        appointments = Appointment.objects.filter(office=office)
        write(self.style.SUCCESS(f"Demo office ready: {office.name}, {office.address}"))
        write(
            f"{office.lawyers.count()} lawyers, {len(residents)} residents, "
            f"{appointments.filter(status=Status.BOOKED).count()} booked and "
            f"{appointments.filter(status=Status.CANCELLED).count()} cancelled appointments; "
            f"{appointments.filter(starts_at__lt=timezone.now()).count()} past ones for the "
            "figures page (/desk/figures/, as the office admin)."
        )
        write(
            f"\nSite: {site_url}/   Sign in: {site_url}/accounts/login/   Admin: {site_url}/admin/"
        )
        write(f"Password of every demo staff login, for this demo only: {DEMO_PASSWORD}")
        for user in staff:
            write(f"  {user.role:<13} {user.email:<22} {user.display_name}")
        write("\nResidents (sign in with the number; the code appears in the worker's console):")
        now = timezone.now()
        limit = office.max_active_bookings
        for user in residents:
            active = selectors.count_active_bookings(resident_id=user.pk, office=office, now=now)
            if active >= limit:
                state = f"holds the office's limit of {limit} bookings: cancel one at /my/ first"
            else:
                state = f"{active} booked, can book {limit - active} more"
            first = "  <- book with this one" if user.phone.as_e164 == BOOKS_FIRST else ""
            write(f"  {user.phone.as_national:<15} {user.display_name}  {state}{first}")
        self._print_quiet_hours(office, site_url=site_url, now=now)

    def _print_quiet_hours(self, office, *, site_url: str, now) -> None:
        write = self.stdout.write
        start = office.quiet_hours_start.strftime("%H:%M")
        end = office.quiet_hours_end.strftime("%H:%M")
        write(
            "\nTexts: the worker prints each one here when it goes. Sign-in codes go at any "
            "hour;\nconfirmations and reminders wait for the end of the office's quiet hours, "
            f"{start}–{end} ({office.time_zone}).\nAt night the waiting ones are in the outbox, "
            f"{site_url}/admin/sms/message/?status=queued\n(as {OFFICE_ADMIN[0]}), each with "
            "the time it will go; the office's admin page sets the quiet hours."
        )
        quiet = {"tz": office.tz, "start": office.quiet_hours_start, "end": office.quiet_hours_end}
        if in_quiet_hours(now, **quiet):
            write(
                f"It is {now.astimezone(office.tz):%H:%M} at the office now: quiet hours, so "
                f"a booking's confirmation goes at {end}."
            )
