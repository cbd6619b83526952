"""How the desk reaches a resident: an exact find, and a short-lived handle to the one found.

Residents belong to no office, so any desk may book for any resident; what keeps a desk
from reading residents it has no business with is that it reaches one only through its
find/register step (booking/views/desk/book.py):

- ``list_matching_residents`` finds by a whole mobile number (E.164), or by the full
  name *and* the village, compared after ``normalise_name`` — never by part of either, so
  a find lists no one the desk could not already name.
- ``mint_handle`` gives the find/register step's answer to the pages that follow: a
  ``django.core.signing`` signature over the resident's id, the clerk's id and the
  clerk's office, with the time it was made. It cannot be made without ``SECRET_KEY``,
  serves only the clerk who found the resident at the office they were at then, and
  expires after ``HANDLE_MAX_AGE``. Nothing is stored: a restart or a lost session loses
  nothing that finding the resident again does not give back.

Known limits: the handle carries the resident's id readably (base64, not encrypted); it
grants nothing without its signature. A name or village stored with invisible characters
or compatibility forms that the database cannot fold (full-width letters) is not found
by its plain spelling: the desk then registers the resident again.

Chapter: docs/desk.md#the-desk-books-for-callers-and-walk-ins.
"""

import unicodedata
from datetime import timedelta

from django.core import signing
from django.db.models import F, Value
from django.db.models.functions import Replace

from accounts.models import Role, User
from booking.conflicts import normalise_name
from booking.errors import HandleExpired, HandleRefused

# Long enough for a booking on the phone with a hesitant caller, short enough that an
# address left in a browser's history no longer opens the resident after the hour.
HANDLE_MAX_AGE = timedelta(minutes=60)
_SALT = "booking.desk.resident-handle"
# Namesakes in one village are few; more than this many means something else is wrong.
MATCH_LIMIT = 20
# Left out of stored names and villages before the database compares them: the spaces
# and middle dots that people write or leave out (normalise_name drops them too).
_SPACING = (" ", "\u3000", "\u00b7", "\u30fb", "\u2022", "\u2027", "\t")


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SALT)


def mint_handle(*, resident_id: int, clerk: User) -> str:
    """The handle by which ``clerk`` (at their office) reaches the resident for a while."""
    return _signer().sign_object([resident_id, clerk.pk, clerk.office_id])


def read_handle(handle: str, *, clerk: User) -> int:
    """The resident's id that ``handle`` names, if ``clerk`` was given it at their office
    and it has not expired; ``HandleRefused`` or ``HandleExpired`` otherwise."""
    try:
        # Whose it is first, so that another clerk's old handle is refused, not "expired".
        payload = _signer().unsign_object(handle)
    except (signing.BadSignature, ValueError):
        raise HandleRefused from None
    if (
        not isinstance(payload, list)
        or len(payload) != 3
        or not all(isinstance(part, int) and not isinstance(part, bool) for part in payload)
    ):
        raise HandleRefused
    resident_id, clerk_id, office_id = payload
    if clerk_id != clerk.pk or office_id != clerk.office_id:
        raise HandleRefused
    try:
        _signer().unsign_object(handle, max_age=HANDLE_MAX_AGE)
    except signing.SignatureExpired:
        raise HandleExpired from None
    return resident_id


def _without_spacing(expression):
    for char in _SPACING:
        expression = Replace(expression, Value(char), Value(""))
    return expression


def _compact(typed: str) -> str:
    text = unicodedata.normalize("NFKC", typed)
    for char in _SPACING:
        text = text.replace(char, "")
    return "".join(char for char in text if not char.isspace())


def search_key(*, phone: str = "", name: str = "", village: str = "") -> str:
    """What a find looks for, as ``list_matching_residents`` compares it: the number, or
    the name and the village. Two finds with the same key find the same residents."""
    if phone:
        return phone
    return f"{normalise_name(name)}|{normalise_name(village)}"


def _residents():
    return User.objects.filter(role=Role.RESIDENT, is_active=True, pending_until__isnull=True)


def list_matching_residents(*, phone: str = "", name: str = "", village: str = "") -> list[User]:
    """The residents the desk means: the one with mobile number ``phone`` (E.164, whole
    and valid: the form's business), or without one given, those whose name is ``name``
    and whose village is ``village``, both in full (after ``normalise_name``). Active
    residents only, pending sign-ups left out; nobody when what is given is not enough.
    """
    fields = ("pk", "display_name", "village", "phone")
    if phone:
        return list(_residents().filter(phone=phone).only(*fields))
    name_key, village_key = normalise_name(name), normalise_name(village)
    if not name_key or not village_key:
        return []
    candidates = (
        _residents()
        .annotate(
            name_compact=_without_spacing(F("display_name")),
            village_compact=_without_spacing(F("village")),
        )
        # iexact escapes % and _: what is typed is never a pattern.
        .filter(name_compact__iexact=_compact(name), village_compact__iexact=_compact(village))
        .only(*fields)
        .order_by("display_name", "pk")[:MATCH_LIMIT]
    )
    return [
        resident
        for resident in candidates
        if normalise_name(resident.display_name) == name_key
        and normalise_name(resident.village) == village_key
    ]
