import datetime as dt
import itertools

import factory

from accounts.models import Role, User
from booking.models import AvailabilityRule, Lawyer, Mode, Office, Topic

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
