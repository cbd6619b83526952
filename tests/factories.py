import datetime as dt
import itertools

import factory

from accounts.models import Role, User
from booking.models import (
    Appointment,
    AvailabilityRule,
    FollowUp,
    Lawyer,
    Mode,
    Office,
    TimeOff,
    Topic,
    WalkIn,
)
from booking.services import book_appointment

_mobile = itertools.count(13800000000)


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试镇司法所 {n}")
    slug = factory.Sequence(lambda n: f"office-{n}")
    address = "湖南省某县测试镇人民路 1 号"
    phone = "0731-12345678"
    time_zone = "Asia/Shanghai"
    min_notice_minutes = 60
    horizon_days = 30
    cancel_cutoff_minutes = 120
    max_active_bookings = 2

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        """The areas of law given (``OfficeFactory(topics=[...])``), else every one switched
        on, as migration 0012 gave every office (an office got again keeps its own)."""
        if not create:
            return
        if extracted is not None:
            self.topics.set(extracted)
        elif not self.topics.exists():
            self.topics.set(Topic.objects.filter(is_active=True))


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = "family"
    name_zh_hans = "婚姻家庭"
    name_en = "Family and marriage"

    @factory.post_generation
    def offices(self, create, extracted, **kwargs):
        """Offered by the offices given, else by every office there is (as by the seeded
        areas, which a test run may have flushed)."""
        if create:
            self.offices.add(*(Office.objects.all() if extracted is None else extracted))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    display_name = factory.Sequence(lambda n: f"居民{n}")
    role = Role.RESIDENT
    phone = factory.LazyFunction(lambda: f"+86{next(_mobile)}")
    phone_verified = True
    email = None


class LawyerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lawyer
        skip_postgeneration_save = True

    user = factory.SubFactory(
        UserFactory,
        role=Role.LAWYER,
        phone=None,
        phone_verified=False,
        email=factory.Sequence(lambda n: f"lawyer{n}@example.invalid"),
    )

    @factory.post_generation
    def offices(self, create, extracted, **kwargs):
        if create and extracted:
            self.offices.add(*extracted)

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.add(*extracted)


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityRule

    weekday = 0
    start_time = dt.time(9, 0)
    end_time = dt.time(12, 0)
    slot_minutes = 30
    mode = Mode.IN_PERSON


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A consultation booked as residents book them: through ``book_appointment``, so the
    start must be a slot the lawyer offers at ``now`` (default: the real time) and every
    rule of the service holds (the database's no-overlap rule, the active-booking limit,
    the cool-down, the conflict check); its confirmation text is queued as in use.

    ``AppointmentFactory(lawyer=lawyer, starts_at=local(TUESDAY, 10), now=NOW)``: the
    office and area of law are the lawyer's only ones unless given, the resident a new
    one; any other keyword goes to the service (``summary``, ``matter_consent_at`` …).
    """

    class Meta:
        model = Appointment

    resident = factory.SubFactory(UserFactory)
    lawyer = None  # required: whose slot it is
    office = factory.LazyAttribute(lambda o: o.lawyer.offices.get())
    topic = factory.LazyAttribute(lambda o: o.lawyer.topics.get())
    mode = Mode.IN_PERSON
    now = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return book_appointment(**kwargs)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("an appointment is only made by booking it (AppointmentFactory())")


class TimeOffFactory(factory.django.DjangoModelFactory):
    """Time off of ``lawyer`` from ``starts_at``, an hour unless ``ends_at`` is given."""

    class Meta:
        model = TimeOff

    lawyer = factory.SubFactory(LawyerFactory)
    starts_at = None  # required
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=1))
    reason = ""


class WalkInFactory(factory.django.DjangoModelFactory):
    """A resident waiting at the desk of ``office`` on ``arrived_at``'s day (in the
    office's time), numbered after the day's last one; the topic is the office's first."""

    class Meta:
        model = WalkIn

    office = factory.SubFactory(OfficeFactory)
    resident = factory.SubFactory(UserFactory)
    topic = factory.LazyAttribute(lambda o: o.office.topics.order_by("pk").first())
    arrived_at = None  # required
    day = factory.LazyAttribute(lambda o: o.arrived_at.astimezone(o.office.tz).date())
    number = factory.LazyAttribute(
        lambda o: WalkIn.objects.filter(office=o.office, day=o.day).count() + 1
    )


class FollowUpFactory(factory.django.DjangoModelFactory):
    """An open request of the appointment's lawyer to invite its resident back by
    ``invite_by`` (default: a week after the consultation)."""

    class Meta:
        model = FollowUp

    appointment = None  # required: an AppointmentFactory() or the booked_appointment fixture
    requested_by = factory.LazyAttribute(lambda o: o.appointment.lawyer)
    invite_by = factory.LazyAttribute(lambda o: o.appointment.starts_at.date() + dt.timedelta(7))
