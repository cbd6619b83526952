"""The conflict check: a lawyer does not advise one side after advising the other.

A lawyer *advised* a party when the lawyer has an appointment, booked or attended, that
starts no earlier than the office's ``conflict_check_years`` before now (upcoming ones
count too), whose resident is that party: the resident's
normalised name (``Appointment.resident_name_key``, taken when the appointment was
booked) equals the party's normalised name, or the resident's mobile number equals the
party's phone. An empty name or phone matches nothing. Appointments of the resident who
is booking never count against them: a resident is not their own other party, and a
namesake must not keep them from their own lawyer.

Two uses:

- Booking (``conflicted_lawyer_ids``): a lawyer who advised the other party that a
  booking names is not offered for it, and ``book_appointment`` refuses them.
- The lawyer's agenda (``flag_possible_conflicts``): an appointment is flagged when its
  lawyer advised its other party, or advised someone who named its resident as *their*
  other party. The second direction is only flagged, never refused: naming someone costs
  nothing, so refusing on it would let anyone keep their opponent from every lawyer.

The rule and its two reads live here together, rather than in booking/selectors.py, so
that the whole of it can be read in one place.

Names are compared after ``normalise_name``, which makes no guesses and drops what the
text module (accounts/text.py) keeps out of stored names, and variation selectors too, so
that a name with a zero-width space or a copied direction mark in it is the same name.
Known limits: a
title written with the name (王五先生, 张总, "Mr") makes a different name; traditional
and simplified characters (張/张), nicknames, pinyin for characters and typing mistakes
do not match; namesakes do match (the check errs towards a lawyer not taking a matter).
Appointments booked before the check existed have no normalised names until they are
filled in. The resident's phone is the one on their account now, not when they came.

Chapter: docs/booking.md#how-the-conflict-check-matches.
"""

import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber, to_python

from accounts.text import drop_ignorable
from booking.models import BLOCKING_STATUSES, Appointment, Office

# Appointment.opposing_party_key and resident_name_key hold at most this much.
KEY_LENGTH = 200
# Letters (L), combining marks (M) and digits/numbers (N) are kept; everything else goes.
KEPT_CATEGORIES = ("L", "M", "N")

# Reason codes of flag_possible_conflicts, with words the agenda can show the lawyer.
ADVISED_OTHER_PARTY = "advised_other_party"
NAMED_BY_ANOTHER_CLIENT = "named_by_another_client"
REASONS = {
    ADVISED_OTHER_PARTY: _("Possible conflict: you advised the other party of this matter."),
    NAMED_BY_ANOTHER_CLIENT: _(
        "Possible conflict: someone you advised named this resident as their other party."
    ),
}


def _strip(text: str) -> str:
    return "".join(
        char for char in drop_ignorable(text) if unicodedata.category(char)[0] in KEPT_CATEGORIES
    )


def normalise_name(text: str | None) -> str:
    """The form of a name that the conflict check compares.

    Compatibility forms are folded (NFKC: full-width ``Ｗａｎｇ`` is ``wang``, ``㈱`` is
    ``(株)``), case is folded, and everything but letters, combining marks and digits is
    dropped: every kind of space, Chinese and Latin punctuation, the middle dots of
    transcribed names (``·``, ``・``, ``•``), symbols and invisible characters (format
    characters, fillers, variation selectors: ``accounts.text.drop_ignorable``). So
    ``"阿卜杜·热合曼"`` and ``"阿卜杜 热合曼"`` are the same, and so are ``"王 五"`` and
    ``"王五"``. Nothing is guessed: titles, honorifics and company suffixes stay part of
    the name. Idempotent; at most ``KEY_LENGTH`` characters.
    """
    key = text or ""
    # Dropping a character can bring a combining mark next to a new letter, which NFKC
    # then composes: repeat until nothing changes (twice for any real name).
    for _attempt in range(8):
        folded = _strip(unicodedata.normalize("NFKC", key).casefold())[:KEY_LENGTH]
        if folded == key:
            break
        key = folded
    return key


def normalise_phone(value: PhoneNumber | str | None) -> str:
    """A phone number in E.164 as stored (``+8613800138000``), or "" if none or invalid."""
    if not value:
        return ""
    number = to_python(value, region=settings.PHONENUMBER_DEFAULT_REGION)
    if not isinstance(number, PhoneNumber) or not number.is_valid():
        return ""
    return str(number.as_e164)


def years_before(now: datetime, years: int) -> datetime:
    """The same moment ``years`` calendar years earlier (29 February → 28 February)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _counted(*, since: datetime) -> QuerySet[Appointment]:
    """The appointments that show a lawyer advised their resident: booked or attended,
    starting at ``since`` or later."""
    return Appointment.objects.filter(status__in=BLOCKING_STATUSES, starts_at__gte=since)


def conflicted_lawyer_ids(
    *,
    office: Office,
    name: str,
    phone: PhoneNumber | str | None,
    lawyer_ids: Collection[int] | None,
    now: datetime,
    exclude_resident_id: int | None = None,
) -> set[int]:
    """Which of ``lawyer_ids`` (None: any lawyer) advised the party called ``name`` or
    reachable at ``phone``, within ``office.conflict_check_years`` before ``now``.

    ``exclude_resident_id`` is the resident who is booking: their own appointments do not
    count. Appointments at any office count, since a conflict is the lawyer's own. One
    query; none when neither a name nor a phone is given.
    """
    key = normalise_name(name)
    number = normalise_phone(phone)
    match = Q()
    if key:
        match |= Q(resident_name_key=key)
    if number:
        match |= Q(resident__phone=number)
    if not match or (lawyer_ids is not None and not lawyer_ids):
        return set()
    appointments = _counted(since=years_before(now, office.conflict_check_years)).filter(match)
    if lawyer_ids is not None:
        appointments = appointments.filter(lawyer_id__in=set(lawyer_ids))
    if exclude_resident_id is not None:
        appointments = appointments.exclude(resident_id=exclude_resident_id)
    return set(appointments.order_by().values_list("lawyer_id", flat=True).distinct())


class _Facts(NamedTuple):
    """What the check needs of one appointment, phones in E.164 ("" for none)."""

    pk: int
    lawyer_id: int
    resident_id: int
    resident_key: str
    resident_phone: str
    opposing_key: str
    opposing_phone: str

    @classmethod
    def from_row(
        cls,
        pk: int,
        lawyer_id: int,
        resident_id: int,
        resident_key: str | None,
        resident_phone: PhoneNumber | str | None,
        key: str | None,
        phone: PhoneNumber | str | None,
    ) -> "_Facts":
        return cls(
            pk,
            lawyer_id,
            resident_id,
            resident_key or "",
            normalise_phone(resident_phone),
            key or "",
            normalise_phone(phone),
        )


# (appointment, resident, start) of one counted appointment, and those found under
# (lawyer, "name" or "phone", value).
_Seen = tuple[int, int, datetime]
_Index = defaultdict[tuple[int, str, str], list[_Seen]]

# The values of FACTS in a query's rows are what _Facts.from_row takes, in order.
FACTS = (
    "pk",
    "lawyer_id",
    "resident_id",
    "resident_name_key",
    "resident__phone",
    "opposing_party_key",
    "opposing_party_phone",
)


def flag_possible_conflicts(
    appointments: Iterable[Appointment], *, now: datetime | None = None
) -> dict[int, str]:
    """Appointment id → reason code, for those of ``appointments`` that may be a conflict.

    Appointment X of lawyer L is flagged

    - ``ADVISED_OTHER_PARTY`` when L advised X's other party (by X's other party's name or
      phone, as in ``conflicted_lawyer_ids``), through another appointment than X;
    - else ``NAMED_BY_ANOTHER_CLIENT`` when L advised someone who named X's resident as
      their other party: another appointment of L, counted as above, whose
      ``opposing_party_key`` is X's ``resident_name_key`` or whose other party's phone is
      the phone of X's resident.

    Appointments of X's own resident never count. The time window is that of X's office
    (``conflict_check_years`` before ``now``). Catches what the booking could not know:
    the other side booking later, or a resident whom an earlier client of L named.

    ``REASONS`` has words for each code. The codes say nothing about who the other person
    is; the lawyer looks at their own appointments to see. Two queries for any number of
    appointments (none for none), whatever was loaded with them; pass the list the agenda
    has already loaded (a queryset not yet evaluated costs one query more). Their status
    is not looked at, so pass the ones the agenda shows.
    """
    ids = {appointment.pk for appointment in appointments}
    if not ids:
        return {}
    now = now or timezone.now()
    wanted = [
        (_Facts.from_row(*row[:-1]), years_before(now, row[-1]))
        for row in Appointment.objects.filter(pk__in=ids)
        .order_by()
        .values_list(*FACTS, "office__conflict_check_years")
    ]
    other_names = {facts.opposing_key for facts, _since in wanted} - {""}
    other_phones = {facts.opposing_phone for facts, _since in wanted} - {""}
    own_names = {facts.resident_key for facts, _since in wanted} - {""}
    own_phones = {facts.resident_phone for facts, _since in wanted} - {""}
    match = Q()
    if other_names:
        match |= Q(resident_name_key__in=other_names)
    if other_phones:
        match |= Q(resident__phone__in=other_phones)
    if own_names:
        match |= Q(opposing_party_key__in=own_names)
    if own_phones:
        match |= Q(opposing_party_phone__in=own_phones)
    if not match:
        return {}

    # (lawyer, "name" or "phone", value) → (appointment, resident, start) of L's clients
    # who are that person, and of L's clients who named that person as their other party.
    clients: _Index = defaultdict(list)
    named: _Index = defaultdict(list)
    rows = (
        _counted(since=min(since for _facts, since in wanted))
        .filter(match, lawyer_id__in={facts.lawyer_id for facts, _since in wanted})
        .order_by()
        .values_list(*FACTS, "starts_at")
    )
    for row in rows:
        other, starts_at = _Facts.from_row(*row[:-1]), row[-1]
        seen = (other.pk, other.resident_id, starts_at)
        clients[(other.lawyer_id, "name", other.resident_key)].append(seen)
        clients[(other.lawyer_id, "phone", other.resident_phone)].append(seen)
        named[(other.lawyer_id, "name", other.opposing_key)].append(seen)
        named[(other.lawyer_id, "phone", other.opposing_phone)].append(seen)

    def found(index: _Index, facts: _Facts, name: str, phone: str, since: datetime) -> bool:
        candidates: list[_Seen] = []
        if name:
            candidates += index.get((facts.lawyer_id, "name", name), [])
        if phone:
            candidates += index.get((facts.lawyer_id, "phone", phone), [])
        return any(
            pk != facts.pk and resident_id != facts.resident_id and starts_at >= since
            for pk, resident_id, starts_at in candidates
        )

    flags = {}
    for facts, since in wanted:
        if found(clients, facts, facts.opposing_key, facts.opposing_phone, since):
            flags[facts.pk] = ADVISED_OTHER_PARTY
        elif found(named, facts, facts.resident_key, facts.resident_phone, since):
            flags[facts.pk] = NAMED_BY_ANOTHER_CLIENT
    return flags
