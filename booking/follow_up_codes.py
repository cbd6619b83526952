"""The code in a follow-up invitation: eight digits that stand for an office and an area of law.

Providers take no link in a variable (sms/registry.py), so the invitation gives the site's
address as fixed text and this code, which the resident types on ``/f/``
(booking/views/resident/follow_up_code.py) to land on the booking of the same area of law at the
same office — where the old link led. A discreet invitation's code stands for the office
only: someone else holding the phone who types it learns no area of law.

The code is a keyed hash (``SECRET_KEY``, its fallbacks still accepted) of the office's and
the area's ids: seven digits, the first not zero, and a Damm check digit like the
reference codes' (booking/reference.py), so a mistyped digit is a wrong code, not another
office's. It names nothing that the public booking pages do not show; it only saves
choosing. Known limits: a new ``SECRET_KEY`` without the old one among
``SECRET_KEY_FALLBACKS`` makes earlier invitations' codes unknown; two pairs of the same
site could share a code (about one in ten million per pair), then the first found wins.

Chapter: docs/lawyer.md#the-lawyers-agenda.
"""

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from booking.models import Office, Topic
from booking.reference import normalize_reference

SALT = "booking.follow_up_codes"


def _with_check_digit(body: str) -> str:
    return next(body + digit for digit in "0123456789" if normalize_reference(body + digit))


def follow_up_code(*, office_id: int, topic_id: int | None, secret: str | None = None) -> str:
    """The code for booking ``topic_id`` at ``office_id`` (None: the office's areas)."""
    digest = salted_hmac(SALT, f"{office_id}:{topic_id or ''}", secret=secret).digest()
    body = str(int.from_bytes(digest[:8], "big") % 9_000_000 + 1_000_000)
    return _with_check_digit(body)


def find_follow_up(code: str) -> tuple[Office, Topic | None] | None:
    """The office and area of law (None: any) a code stands for, or None for no code of ours."""
    digits = normalize_reference(code)
    if digits is None:
        return None
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    topic_ids = [None, *Topic.objects.values_list("pk", flat=True)]
    for office_id in Office.objects.values_list("pk", flat=True):
        for topic_id in topic_ids:
            for secret in secrets:
                made = follow_up_code(office_id=office_id, topic_id=topic_id, secret=secret)
                if constant_time_compare(digits, made):
                    office = Office.objects.get(pk=office_id)
                    topic = Topic.objects.get(pk=topic_id) if topic_id else None
                    return office, topic
    return None
