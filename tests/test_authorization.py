"""Who gets what: every URL of the project × every role, as one table.

The routes come from the URL resolver itself, so a new URL without a row here fails (as
does a row whose URL is gone). Each row builds concrete addresses from a small world
(tests/authz_world.py) and says what each role gets for a GET and, where the view changes
things or takes only POST, for a POST (an empty or harmless one: the table checks who is
let in, not the forms; for roles let in it asks only that the answer is not a refusal).

The roles: the anonymous visitor; residents A and B; lawyers X and Y, both of office 1
(so that Y's 404 on X's appointment is about whose it is, not about the office); the
desk and the office admin of office 1; the desk of office 2. Resident A booked lawyer X
at office 1; the walk-in, the follow-up, hours, time off and feed belong to office 1 or
lawyer X. Lawyer W works for both offices: the admin rows and
``test_each_office_admin_reaches_only_their_part_of_the_shared_lawyer`` check what each
office admin may do with W.

The admin site is checked by rule: each registered model's routes (list, add, change,
history, delete and the bare object address) get the answers that follow from what the
office admin may do with that model (``ADMIN_MODELS``); a new model without an entry
there fails.

Every request runs in a savepoint that is rolled back, so a POST (a cancellation, a new
feed address, signing out) never changes what the next request sees.

The first run found three ways an office admin could reach beyond their office in the
admin (a superuser made their office's lawyer, superusers of their office editable,
another office's lawyer given time off); the rows now expect the refusals that fixed them.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.contrib import admin
from django.core import signing
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse

from booking.desk_residents import HANDLE_MAX_AGE, mint_handle
from tests.authz_world import ROLES, TOMORROW, World, build_world, content_type_id
from tests.conftest import NOW

SMS_TOKEN = "callback-token-for-the-table"
RESIDENTS = ("resident_a", "resident_b")
LAWYERS = ("lawyer_x", "lawyer_y")
DESK = ("desk_1", "admin_1", "desk_2")  # those that desk_required lets in
REFUSALS = {
    HTTPStatus.FORBIDDEN,
    HTTPStatus.NOT_FOUND,
    HTTPStatus.METHOD_NOT_ALLOWED,
    HTTPStatus.INTERNAL_SERVER_ERROR,
}
SIGN_IN_PAGES = {"/accounts/login/", "/admin/login/"}

# What a role gets


@dataclass(frozen=True)
class Answer:
    """A status and, for a redirect, where it leads; or ``ACCEPTED`` (any answer but a
    refusal) or ``REFUSED`` (any refusal)."""

    status: int | None
    to: str = ""  # the path of the Location
    next_is_asked: bool = False  # Location carries ?next=<the address asked for>
    refused: bool = False

    def __str__(self) -> str:
        if self.refused:
            return "refused (403, 404, or the admin's 'does not exist')"
        if self.status is None:
            return "accepted (not 403/404/405/500, not sent to sign in)"
        text = str(self.status)
        if self.to:
            text += f" to {self.to}" + ("?next=<asked>" if self.next_is_asked else "")
        return text

    def problem(self, response, asked: str) -> str | None:
        got = response.status_code
        location = response.get("Location", "")
        seen = f"{got} {location}".strip()
        parts = urlsplit(location)
        if self.refused:
            refused = got in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND) or (
                got == HTTPStatus.FOUND and parts.path == "/admin/"
            )
            return None if refused else f"expected {self}, got {seen}"
        if self.status is None:
            refused = got in REFUSALS or parts.path in SIGN_IN_PAGES
            return f"expected {self}, got {seen}" if refused else None
        if got != self.status:
            return f"expected {self}, got {seen}"
        if self.to:
            if parts.path != self.to:
                return f"expected {self}, got {seen}"
            if self.next_is_asked and parse_qs(parts.query).get("next") != [asked]:
                return f"expected {self}, got {seen}"
        return None


OK = Answer(HTTPStatus.OK)
FORBIDDEN = Answer(HTTPStatus.FORBIDDEN)
NOT_FOUND = Answer(HTTPStatus.NOT_FOUND)
NOT_ALLOWED = Answer(HTTPStatus.METHOD_NOT_ALLOWED)
BAD_REQUEST = Answer(HTTPStatus.BAD_REQUEST)
ACCEPTED = Answer(None)
REFUSED = Answer(None, refused=True)
SIGN_IN = Answer(HTTPStatus.FOUND, to="/accounts/login/", next_is_asked=True)
ADMIN_SIGN_IN = Answer(HTTPStatus.FOUND, to="/admin/login/", next_is_asked=True)


def redirect(to: str) -> Answer:
    return Answer(HTTPStatus.FOUND, to=to)


def each(
    default: Answer | None = None,
    *,
    residents: Answer | None = None,
    lawyers: Answer | None = None,
    desk: Answer | None = None,
    **roles: Answer,
) -> dict[str, Answer]:
    """An answer for every role: by group (residents, lawyers, desk), then by role."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    table = dict.fromkeys(ROLES, default)
    for group, answer in ((RESIDENTS, residents), (LAWYERS, lawyers), (DESK, desk)):
        if answer is not None:
            table.update(dict.fromkeys(group, answer))
    table.update(roles)
    missing = [role for role, answer in table.items() if answer is None]
    if missing:
        raise ValueError(f"no answer for {missing}")
    return table


def residents_only(ok: Answer = OK) -> dict[str, Answer]:
    return each(FORBIDDEN, anonymous=SIGN_IN, residents=ok)


def resident_a_own(ok: Answer = OK) -> dict[str, Answer]:
    """Resident A's appointment: B gets the same 404 as for a reference that is no one's."""
    return each(FORBIDDEN, anonymous=SIGN_IN, resident_a=ok, resident_b=NOT_FOUND)


def lawyers_only(ok: Answer = OK) -> dict[str, Answer]:
    return each(FORBIDDEN, anonymous=SIGN_IN, lawyers=ok)


def lawyer_x_own(ok: Answer = OK) -> dict[str, Answer]:
    return each(FORBIDDEN, anonymous=SIGN_IN, lawyer_x=ok, lawyer_y=NOT_FOUND)


def desk_only(ok: Answer = OK) -> dict[str, Answer]:
    return each(FORBIDDEN, anonymous=SIGN_IN, desk=ok)


def office_1_desk(ok: Answer = OK) -> dict[str, Answer]:
    """Office 1's object: its desk and admin get in, office 2's desk gets 404."""
    return each(FORBIDDEN, anonymous=SIGN_IN, desk=ok, desk_2=NOT_FOUND)


def office_admins_only(ok: Answer = OK) -> dict[str, Answer]:
    return each(FORBIDDEN, anonymous=SIGN_IN, admin_1=ok)


def admin_site(office_admin: Answer) -> dict[str, Answer]:
    """Only staff pass the admin site's door; the others are sent to its sign-in."""
    return each(ADMIN_SIGN_IN, admin_1=office_admin)


# The table


@dataclass(frozen=True)
class Case:
    """One concrete address of a route, and what each role gets for GET and POST."""

    get: dict[str, Answer] | None
    post: dict[str, Answer] | None = None
    kwargs: Callable[[World], dict] | None = None
    query: Callable[[World], dict] | None = None
    data: Callable[[World], dict] | None = None  # the POST body
    url: Callable[[World], str] | None = None  # for routes without a name
    note: str = ""

    def address(self, route: str, world: World) -> str:
        if self.url is not None:
            path = self.url(world)
        else:
            path = reverse(route, kwargs=self.kwargs(world) if self.kwargs else None)
        if self.query is not None:
            path += "?" + urlencode(self.query(world))
        return path


def feed_kwargs(world: World, *, secret: str | None = None) -> dict:
    return {"key": world.feed_x.key, "secret": secret or world.feed_x.secret}


def free_time(world: World, lawyer: str = "") -> dict:
    """Tuesday 11:00 in person: free for lawyers X and Y (both have 9–12)."""
    query = {"start": f"{TOMORROW.isoformat()}T11:00", "mode": "in_person"}
    if lawyer:
        query["lawyer"] = str(getattr(world, lawyer).pk)
    return query


def appointment_a(world: World) -> dict:
    return {"reference": world.appointment_a.reference}


def walk_in_1(world: World) -> dict:
    return {"pk": world.walk_in_1.pk}


def office_and_topic(world: World) -> dict:
    return {"office": world.office_1.slug, "topic": world.topic.code}


def check_in_form(world: World) -> dict:
    """A check-in form naming office 1's appointment, with no action: changes nothing."""
    return {"appointment": str(world.appointment_a.pk), "action": "look"}


def sms_token(token: str) -> Callable[[World], dict]:
    return lambda world: {"token": token}


def sent_on(anonymous: Answer) -> dict[str, Answer]:
    """Pages for signing in: the signed-in are sent where their work starts."""
    return each(
        anonymous=anonymous,
        residents=redirect("/"),
        lawyers=redirect("/lawyer/"),
        desk=redirect("/desk/"),
    )


def handle(
    world: World, *, clerk: str = "desk_1", resident: str = "resident_a", age=timedelta(0)
) -> str:
    """The handle that the desk's find step gave ``clerk`` for ``resident``, ``age`` ago."""
    with time_machine.travel(NOW - age, tick=False):
        return mint_handle(resident_id=world.users[resident].pk, clerk=world.users[clerk])


def forged_handle(world: World) -> str:
    """Desk 1's handle for resident A, with resident B's id put in under its signature."""
    _payload, stamp, signature = handle(world).split(":")
    ids = [world.users["resident_b"].pk, world.users["desk_1"].pk, world.office_1.pk]
    payload = signing.b64_encode(json.dumps(ids, separators=(",", ":")).encode()).decode()
    return f"{payload}:{stamp}:{signature}"


def only_for(role: str, ok: Answer = OK) -> dict[str, Answer]:
    """A desk page by a handle: the clerk it was given to gets in; other desks 404."""
    return each(FORBIDDEN, anonymous=SIGN_IN, desk=NOT_FOUND, **{role: ok})


EXPIRED = timedelta(seconds=HANDLE_MAX_AGE.total_seconds() + 60)
BACK_TO_FIND = redirect("/desk/book/")


def desk_book_cases(topic: bool) -> tuple[Case, ...]:
    """The desk's pages for a resident, by the handle of the find step (issue 12.1)."""

    def kwargs(make: Callable[[World], str]) -> Callable[[World], dict]:
        if topic:
            return lambda w: {"handle": make(w), "topic": w.topic.code}
        return lambda w: {"handle": make(w)}

    def post(answers: dict[str, Answer]) -> dict[str, Answer] | None:
        return answers if topic else None

    cases = [
        Case(
            get=only_for("desk_1"),
            post=post(only_for("desk_1", ACCEPTED)),
            kwargs=kwargs(handle),
            note="desk 1's handle: not office 2's desk's, not even office 1's admin's",
        ),
        # Residents belong to no office: any desk reaches any resident by its own find.
        Case(
            get=only_for("desk_2"),
            post=post(only_for("desk_2", ACCEPTED)),
            kwargs=kwargs(lambda w: handle(w, clerk="desk_2")),
            note="office 2's desk's handle for the same resident",
        ),
        Case(
            get=only_for("admin_1"),
            kwargs=kwargs(lambda w: handle(w, clerk="admin_1")),
            note="the office admin's own handle",
        ),
        Case(
            get=only_for("desk_1", BACK_TO_FIND),
            post=post(only_for("desk_1", BACK_TO_FIND)),
            kwargs=kwargs(lambda w: handle(w, age=EXPIRED)),
            note="desk 1's handle, expired: back to find",
        ),
        Case(
            get=desk_only(NOT_FOUND),
            post=post(desk_only(NOT_FOUND)),
            kwargs=kwargs(forged_handle),
            note="a forged handle",
        ),
        Case(
            get=desk_only(NOT_FOUND),
            post=post(desk_only(NOT_FOUND)),
            kwargs=kwargs(lambda w: str(w.users["resident_a"].pk)),
            note="a database id, as the address once was",
        ),
        Case(
            get=desk_only(NOT_FOUND),
            kwargs=kwargs(lambda w: handle(w, resident="lawyer_x")),
            note="a staff account is no resident",
        ),
    ]
    if topic:
        cases += [
            Case(
                get=desk_only(NOT_FOUND),
                kwargs=kwargs(handle),
                query=lambda w: {"lawyer": str(w.lawyer_z.pk)},
                note="asking for office 2's lawyer at office 1",
            ),
            Case(
                get=only_for("desk_2"),
                kwargs=kwargs(lambda w: handle(w, clerk="desk_2")),
                query=lambda w: {"lawyer": str(w.lawyer_z.pk)},
                note="office 2's desk asking for its own lawyer",
            ),
        ]
    return tuple(cases)


# allauth asks for the password (or a code) again before changes to sign-in settings.
AGAIN = Answer(HTTPStatus.FOUND, to="/accounts/reauthenticate/", next_is_asked=True)
AGAIN_BY_CODE = Answer(HTTPStatus.FOUND, to="/accounts/reauthenticate/code/", next_is_asked=True)

ROWS: dict[str, tuple[Case, ...]] = {
    # Public pages
    "booking:home": (Case(get=each(OK)),),
    "booking:start": (Case(get=each(OK)),),
    "booking:topics": (
        Case(get=each(OK), kwargs=lambda w: {"office": w.office_1.slug}),
        # A stale link: the offices to choose from, saying why (issue 15.5).
        Case(get=each(redirect("/book/")), kwargs=lambda w: {"office": "no-such-office"}),
    ),
    "booking:slots": (Case(get=each(OK), kwargs=office_and_topic),),
    # Follow-up invitations' codes (public: a code stands for a public booking page).
    "booking:follow_up_code": (
        Case(get=each(OK)),
        Case(get=each(OK), query=lambda w: {"code": "1234 5678"}, note="a wrong code"),
    ),
    "set_language": (
        Case(get=each(redirect("/")), post=each(redirect("/")), data=lambda w: {"language": "en"}),
    ),
    # The resident's pages
    "booking:details": (
        Case(
            get=residents_only(),
            post=residents_only(ACCEPTED),
            kwargs=office_and_topic,
            query=free_time,
        ),
    ),
    "booking:my_appointments": (Case(get=residents_only()),),
    "booking:my_data": (Case(get=residents_only()),),
    "booking:my_data_json": (Case(get=residents_only()),),
    # Changes only by POST (require_POST comes before the sign-in check: 405 for all).
    "booking:withdraw_consent": (Case(get=each(NOT_ALLOWED), post=residents_only(BAD_REQUEST)),),
    "booking:withdraw_matter_consent": (
        Case(get=each(NOT_ALLOWED), post=residents_only(BAD_REQUEST)),
    ),
    "booking:delete_account": (Case(get=each(NOT_ALLOWED), post=residents_only(BAD_REQUEST)),),
    "booking:appointment": (
        Case(get=resident_a_own(), kwargs=appointment_a),
        Case(
            get=each(FORBIDDEN, anonymous=SIGN_IN, residents=NOT_FOUND),
            kwargs=lambda w: {"reference": "NOSUCHREF"},
            note="a reference that is no one's",
        ),
    ),
    "booking:appointment_ics": (Case(get=resident_a_own(), kwargs=appointment_a),),
    "booking:cancel": (
        Case(get=resident_a_own(), post=resident_a_own(ACCEPTED), kwargs=appointment_a),
    ),
    "booking:reschedule": (Case(get=resident_a_own(), kwargs=appointment_a),),
    "booking:reschedule_confirm": (
        Case(
            get=resident_a_own(),
            post=resident_a_own(ACCEPTED),
            kwargs=appointment_a,
            query=free_time,
        ),
    ),
    # The lawyer's pages
    "booking:agenda": (Case(get=lawyers_only()),),
    "booking:agenda_week": (Case(get=lawyers_only()),),
    "booking:lawyer_appointment": (
        Case(get=lawyer_x_own(), post=lawyer_x_own(ACCEPTED), kwargs=appointment_a),
    ),
    "booking:follow_up_times": (Case(get=lawyer_x_own(), kwargs=appointment_a),),
    "booking:follow_up_confirm": (
        Case(
            get=lawyer_x_own(),
            post=lawyer_x_own(ACCEPTED),
            kwargs=appointment_a,
            query=lambda w: free_time(w, "lawyer_x"),
        ),
    ),
    "booking:hours": (Case(get=lawyers_only()),),
    "booking:hours_add": (Case(get=lawyers_only(), post=lawyers_only(ACCEPTED)),),
    "booking:hours_edit": (
        Case(
            get=lawyer_x_own(),
            post=lawyer_x_own(ACCEPTED),
            kwargs=lambda w: {"rule_id": w.rule_x.pk},
        ),
    ),
    "booking:hours_delete": (
        Case(
            get=lawyer_x_own(),
            post=lawyer_x_own(ACCEPTED),
            kwargs=lambda w: {"rule_id": w.rule_x.pk},
        ),
    ),
    "booking:time_off": (Case(get=lawyers_only()),),
    "booking:time_off_add": (Case(get=lawyers_only(), post=lawyers_only(ACCEPTED)),),
    "booking:time_off_delete": (
        Case(
            get=lawyer_x_own(),
            post=lawyer_x_own(ACCEPTED),
            kwargs=lambda w: {"time_off_id": w.time_off_x.pk},
        ),
    ),
    "booking:calendar_settings": (Case(get=lawyers_only()),),
    # The sign-in check comes first here: lawyers alone learn that GET is not allowed.
    "booking:calendar_privacy": (Case(get=lawyers_only(NOT_ALLOWED), post=lawyers_only(ACCEPTED)),),
    "booking:calendar_rotate": (Case(get=lawyers_only(NOT_ALLOWED), post=lawyers_only(ACCEPTED)),),
    # The secret address is the credential: no session needed, none helps.
    "booking:calendar_feed": (
        Case(get=each(OK), post=each(NOT_ALLOWED), kwargs=feed_kwargs),
        Case(
            get=each(NOT_FOUND),
            kwargs=lambda w: feed_kwargs(w, secret="not-the-secret"),
            note="a wrong secret",
        ),
    ),
    # The desk's pages
    "booking:desk_follow_ups": (
        Case(get=desk_only()),
        Case(
            get=desk_only(),
            post=office_1_desk(redirect("/desk/follow-ups/")),
            data=lambda w: {"follow_up": str(w.follow_up_1.pk), "action": "look"},
            note="posting about office 1's follow-up",
        ),
    ),
    "booking:desk_book": (Case(get=desk_only(), post=desk_only(ACCEPTED)),),
    "booking:desk_book_done": (Case(get=office_1_desk(), kwargs=appointment_a),),
    "booking:desk_book_topics": desk_book_cases(topic=False),
    "booking:desk_book_form": desk_book_cases(topic=True),
    "booking:desk_slip": (Case(get=office_1_desk(), kwargs=appointment_a),),
    "booking:desk_queue": (Case(get=desk_only(), post=desk_only(ACCEPTED)),),
    "booking:desk_queue_take": (
        Case(
            get=office_1_desk(redirect("/desk/queue/")),
            post=office_1_desk(redirect("/desk/queue/")),
            kwargs=walk_in_1,
        ),
    ),
    "booking:desk_queue_left": (
        Case(
            get=office_1_desk(redirect("/desk/queue/")),
            post=office_1_desk(redirect("/desk/queue/")),
            kwargs=walk_in_1,
        ),
    ),
    # Undoing "left": office 1's walk-in is waiting, so the undo is refused with a message.
    "booking:desk_queue_back": (
        Case(
            get=office_1_desk(redirect("/desk/queue/")),
            post=office_1_desk(redirect("/desk/queue/")),
            kwargs=walk_in_1,
        ),
    ),
    "booking:desk_queue_ticket": (Case(get=office_1_desk(), kwargs=walk_in_1),),
    "booking:desk_day": (
        Case(get=desk_only(), post=office_1_desk(redirect("/desk/")), data=check_in_form),
    ),
    "booking:desk_day_for": (
        Case(
            get=desk_only(),
            post=office_1_desk(redirect(f"/desk/day/{TOMORROW.isoformat()}/")),
            kwargs=lambda w: {"day": TOMORROW.isoformat()},
            data=check_in_form,
        ),
        Case(
            get=desk_only(NOT_FOUND),
            kwargs=lambda w: {"day": "2026-13-45"},
            note="not a date",
        ),
    ),
    "booking:desk_figures": (Case(get=office_admins_only()),),
    "booking:desk_figures_csv": (Case(get=office_admins_only()),),
    # SMS delivery reports: the token in the path is the credential, not a session.
    "sms:alibaba_reports": (
        Case(get=each(NOT_ALLOWED), post=each(BAD_REQUEST), kwargs=sms_token(SMS_TOKEN)),
        Case(
            get=each(NOT_FOUND),
            post=each(NOT_FOUND),
            kwargs=sms_token("wrong"),
            note="a wrong token",
        ),
    ),
    "sms:tencent_reports": (
        Case(get=each(NOT_ALLOWED), post=each(BAD_REQUEST), kwargs=sms_token(SMS_TOKEN)),
        Case(
            get=each(NOT_FOUND),
            post=each(NOT_FOUND),
            kwargs=sms_token("wrong"),
            note="a wrong token",
        ),
    ),
    # Twilio's status callbacks: the token, then Twilio's signature (none here).
    "sms:twilio_reports": (
        Case(get=each(NOT_ALLOWED), post=each(FORBIDDEN), kwargs=sms_token(SMS_TOKEN)),
        Case(
            get=each(NOT_FOUND),
            post=each(NOT_FOUND),
            kwargs=sms_token("wrong"),
            note="a wrong token",
        ),
    ),
    # allauth: signing in, up and out, codes, passwords, the authenticator app. Every
    # page is about the visitor's own account, so roles differ only by what the account
    # has: residents a phone and no password, staff a password, lawyer X a verified
    # e-mail address and an authenticator app. A session made by force_login carries no
    # record of a recent sign-in, like one older than allauth's reauthentication window:
    # pages that change sign-in settings first ask to sign in again.
    "account_login": (Case(get=sent_on(OK)),),
    "account_logout": (Case(get=each(OK, anonymous=redirect("/")), post=each(redirect("/"))),),
    "account_inactive": (Case(get=each(OK)),),
    "account_signup": (Case(get=sent_on(OK)),),
    "account_request_login_code": (Case(get=sent_on(OK)),),
    "account_confirm_login_code": (Case(get=sent_on(redirect("/accounts/login/code/"))),),
    "account_reauthenticate": (
        Case(get=each(OK, anonymous=SIGN_IN, residents=redirect("/accounts/reauthenticate/code/"))),
    ),
    # By code to a verified address or number: residents' phones, lawyer X's e-mail.
    "account_request_reauthentication_code": (
        Case(
            get=each(
                redirect("/accounts/reauthenticate/"),
                anonymous=SIGN_IN,
                residents=OK,
                lawyer_x=OK,
            )
        ),
    ),
    "account_confirm_reauthentication_code": (
        Case(get=each(redirect("/accounts/reauthenticate/code/"), anonymous=SIGN_IN)),
    ),
    "account_email": (
        Case(get=each(OK, anonymous=SIGN_IN), post=each(ACCEPTED, anonymous=SIGN_IN)),
    ),
    "account_email_verification_sent": (Case(get=each(OK)),),
    "account_change_password": (
        Case(
            get=each(OK, anonymous=SIGN_IN, residents=redirect("/accounts/password/set/")),
            post=each(ACCEPTED, anonymous=SIGN_IN),
        ),
    ),
    "account_set_password": (
        Case(
            get=each(redirect("/accounts/password/change/"), anonymous=SIGN_IN, residents=OK),
            post=each(ACCEPTED, anonymous=SIGN_IN),
        ),
    ),
    "account_reset_password": (Case(get=each(OK)),),
    "account_reset_password_done": (Case(get=each(OK)),),
    "account_reset_password_from_key": (
        Case(get=each(OK), kwargs=lambda w: {"uidb36": "0", "key": "no-such-key"}),
    ),
    "account_reset_password_from_key_done": (Case(get=each(OK)),),
    "account_confirm_email": (Case(get=each(OK), kwargs=lambda w: {"key": "no-such-key"}),),
    # Nothing waits to be verified: on to the page that starts it.
    "account_verify_phone": (
        Case(get=each(redirect("/accounts/phone/change/"), anonymous=redirect("/accounts/login/"))),
    ),
    "account_change_phone": (
        Case(get=each(OK, anonymous=SIGN_IN), post=each(ACCEPTED, anonymous=SIGN_IN)),
    ),
    "mfa_index": (Case(get=each(OK, anonymous=SIGN_IN)),),
    # Only between password and authenticator code at sign-in.
    "mfa_authenticate": (Case(get=sent_on(redirect("/accounts/login/"))),),
    "mfa_reauthenticate": (
        Case(
            get=each(
                redirect("/accounts/reauthenticate/"),
                anonymous=SIGN_IN,
                residents=redirect("/accounts/reauthenticate/code/"),
                lawyer_x=OK,
            )
        ),
    ),
    "mfa_activate_totp": (
        Case(
            get=each(AGAIN, anonymous=SIGN_IN, residents=AGAIN_BY_CODE),
            post=each(AGAIN, anonymous=SIGN_IN, residents=AGAIN_BY_CODE),
        ),
    ),
    # Only lawyer X has an authenticator app to remove.
    "mfa_deactivate_totp": (
        Case(
            get=each(NOT_FOUND, anonymous=SIGN_IN, lawyer_x=AGAIN),
            post=each(NOT_FOUND, anonymous=SIGN_IN, lawyer_x=AGAIN),
        ),
    ),
    # No one has recovery codes yet.
    "mfa_view_recovery_codes": (Case(get=each(NOT_FOUND, anonymous=SIGN_IN)),),
    "mfa_download_recovery_codes": (Case(get=each(NOT_FOUND, anonymous=SIGN_IN)),),
    "mfa_generate_recovery_codes": (
        Case(
            get=each(AGAIN, anonymous=SIGN_IN, residents=AGAIN_BY_CODE),
            post=each(AGAIN, anonymous=SIGN_IN, residents=AGAIN_BY_CODE),
        ),
    ),
    # The admin site's own pages (each model's pages: ADMIN_MODELS below)
    "admin:index": (Case(get=admin_site(OK)),),
    # allauth guards the admin's sign-in: anonymous visitors sign in through allauth (and
    # its TOTP), signed-in non-staff are refused, staff go on to the index.
    "admin:login": (
        Case(
            get=each(FORBIDDEN, anonymous=SIGN_IN, admin_1=redirect("/admin/")),
        ),
    ),
    "admin:logout": (
        Case(
            get=each(redirect("/admin/"), admin_1=NOT_ALLOWED),
            post=each(redirect("/admin/"), admin_1=OK),
        ),
    ),
    "admin:password_change": (Case(get=admin_site(OK), post=admin_site(ACCEPTED)),),
    "admin:password_change_done": (Case(get=admin_site(OK)),),
    # No model admin has autocomplete fields: every query is refused, staff or not.
    "admin:autocomplete": (Case(get=admin_site(FORBIDDEN)),),
    "admin:jsi18n": (Case(get=admin_site(OK)),),
    # No model has a public address to show ("view on site"): 404 even to the admin.
    "admin:view_on_site": (
        Case(
            get=admin_site(NOT_FOUND),
            kwargs=lambda w: {
                "content_type_id": content_type_id(w.appointment_a2),
                "object_id": w.appointment_a2.pk,
            },
        ),
    ),
    "admin/(?P<url>.*)$": (Case(get=admin_site(NOT_FOUND), url=lambda w: "/admin/no-such-page/"),),
    "admin:auth_user_password_change": (
        Case(
            get=admin_site(OK),
            post=admin_site(ACCEPTED),
            kwargs=lambda w: {"id": w.users["desk_1"].pk},
            note="office 1's desk",
        ),
        Case(
            get=admin_site(NOT_FOUND),
            post=admin_site(NOT_FOUND),
            kwargs=lambda w: {"id": w.users["desk_2"].pk},
            note="office 2's desk",
        ),
        Case(
            get=admin_site(NOT_FOUND),
            post=admin_site(NOT_FOUND),
            kwargs=lambda w: {"id": w.users["resident_a"].pk},
            note="a resident",
        ),
        Case(
            get=admin_site(REFUSED),
            post=admin_site(REFUSED),
            kwargs=lambda w: {"id": w.superuser_1.pk},
            note="a superuser who works at office 1",
        ),
        Case(
            get=admin_site(OK),
            post=admin_site(ACCEPTED),
            kwargs=lambda w: {"id": w.lawyer_x.user_id},
            note="a lawyer of office 1 only",
        ),
        Case(
            get=admin_site(FORBIDDEN),
            post=admin_site(FORBIDDEN),
            kwargs=lambda w: {"id": w.lawyer_w.user_id},
            note="a lawyer of office 1 and office 2",
        ),
    ),
}


# The admin site, by rule

Record = Callable[[World], object]


@dataclass(frozen=True)
class Hidden:
    """A record the office admin must not see."""

    record: Record


@dataclass(frozen=True)
class AdminModel:
    """What the office admin of office 1 may do with a model in the admin (the demo's
    group), one record they may see, and records of office 2 or residents hidden from
    them."""

    may: frozenset[str]  # of view, add, change, delete
    own: Record
    hidden: tuple[Record | Hidden, ...] = ()


def may(*actions: str) -> frozenset[str]:
    return frozenset(actions)


ALL = may("view", "add", "change", "delete")
ADMIN_MODELS: dict[str, AdminModel] = {
    # Sign-in plumbing and the task queue: superusers only.
    "auth.group": AdminModel(may(), own=lambda w: w.group),
    "account.emailaddress": AdminModel(may(), own=lambda w: w.email_x),
    "mfa.authenticator": AdminModel(may(), own=lambda w: w.authenticator_x),
    "django_tasks_database.dbtaskresult": AdminModel(may(), own=lambda w: w.task),
    # The office's staff and lawyers; residents and other offices' staff are not shown.
    "accounts.user": AdminModel(
        may("view", "add", "change"),
        own=lambda w: w.users["lawyer_x"],
        hidden=(
            lambda w: w.users["desk_2"],
            lambda w: w.users["resident_a"],
            lambda w: w.superuser,
            Hidden(lambda w: w.superuser_1),
        ),
    ),
    "booking.office": AdminModel(
        may("view", "change"), own=lambda w: w.office_1, hidden=(lambda w: w.office_2,)
    ),
    # Areas of law are shared by every office: superusers name them, whatever a group may
    # do; an office ticks those it offers on its office's page.
    "booking.topic": AdminModel(may("view"), own=lambda w: w.topic),
    "booking.lawyer": AdminModel(
        may("view", "add", "change"), own=lambda w: w.lawyer_x, hidden=(lambda w: w.lawyer_z,)
    ),
    "booking.timeoff": AdminModel(
        ALL, own=lambda w: w.time_off_x, hidden=(lambda w: w.time_off_z,)
    ),
    # Bookings change only through the booking service.
    "booking.appointment": AdminModel(
        may("view"), own=lambda w: w.appointment_a, hidden=(lambda w: w.appointment_a2,)
    ),
    "booking.dutyday": AdminModel(
        ALL, own=lambda w: w.duty_day_1, hidden=(lambda w: w.duty_day_2,)
    ),
    "booking.dutyexception": AdminModel(
        ALL, own=lambda w: w.duty_exception_1, hidden=(lambda w: w.duty_exception_2,)
    ),
    # Who at the office saw residents' details: the office admin reads it.
    "booking.accesslog": AdminModel(
        may("view"), own=lambda w: w.access_log_1, hidden=(lambda w: w.access_log_2,)
    ),
    "sms.message": AdminModel(
        may("view"), own=lambda w: w.message_1, hidden=(lambda w: w.message_2,)
    ),
    # The security log: the office admin reads their own staff's events, read-only.
    "accounts.securityevent": AdminModel(
        may("view"),
        own=lambda w: w.security_event_1,
        hidden=(lambda w: w.security_event_2, lambda w: w.security_event_unknown),
    ),
}
ADMIN_ACTIONS = ("changelist", "add", "change", "history", "delete")
# Django's answer to a record the admin does not show: "does not exist", back to the index.
TO_ADMIN_INDEX = redirect("/admin/")


def admin_model_route(route: str) -> tuple[str, str] | None:
    """(model label, action) when ``route`` is one of a registered model's admin pages;
    "object" is the bare address of a record (no name), which leads to its change page."""
    for model in admin.site._registry:
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}_"
        if route.startswith(prefix) and route.removeprefix(prefix) in ADMIN_ACTIONS:
            return meta.label_lower, route.removeprefix(prefix)
        if route == f"admin/{meta.app_label}/{meta.model_name}/<path:object_id>/":
            return meta.label_lower, "object"
    return None


def admin_model_cases(label: str, action: str) -> tuple[Case, ...]:
    """The answers that follow from what the office admin may do with the model."""
    spec = ADMIN_MODELS[label]
    sees = bool(spec.may & {"view", "change"})
    changes, deletes = "change" in spec.may, "delete" in spec.may

    def unless(right: bool, answer: Answer = OK) -> Answer:
        return answer if right else FORBIDDEN

    def record(get: Record) -> Callable[[World], dict]:
        return lambda world: {"object_id": get(world).pk}

    if action == "changelist":
        return (Case(get=admin_site(unless(sees))),)
    if action == "add":
        add = "add" in spec.may
        return (Case(get=admin_site(unless(add)), post=admin_site(unless(add, ACCEPTED))),)
    if action == "object":
        # On to the change page, whether or not they may see it (that page decides).
        change = "admin:{}_{}_change".format(*label.split("."))
        return (
            Case(
                get=admin_site(ACCEPTED),
                url=lambda w: reverse(change, args=[spec.own(w).pk]).removesuffix("change/"),
            ),
        )
    own = {
        "change": Case(
            get=admin_site(unless(sees)),
            post=admin_site(unless(changes, ACCEPTED)),
            kwargs=record(spec.own),
            note="their own record",
        ),
        "history": Case(
            get=admin_site(unless(sees)), kwargs=record(spec.own), note="their own record"
        ),
        # An empty POST shows the confirmation again: nothing is deleted.
        "delete": Case(
            get=admin_site(unless(deletes)),
            post=admin_site(unless(deletes, ACCEPTED)),
            kwargs=record(spec.own),
            note="their own record",
        ),
    }[action]
    # A hidden record: "does not exist" once the permission check passed (the history
    # page looks the record up before it checks).
    get_hidden, post_hidden = {
        "change": (unless(sees, TO_ADMIN_INDEX), unless(changes, TO_ADMIN_INDEX)),
        "history": (TO_ADMIN_INDEX, None),
        "delete": (unless(deletes, TO_ADMIN_INDEX), unless(deletes, TO_ADMIN_INDEX)),
    }[action]
    hidden = []
    for entry in spec.hidden:
        entry = entry if isinstance(entry, Hidden) else Hidden(entry)
        get, post = get_hidden, post_hidden
        hidden.append(
            Case(
                get=admin_site(get),
                post=admin_site(post) if post else None,
                kwargs=record(entry.record),
                note="a record hidden from them",
            )
        )
    return (own, *hidden)


def admin_app_cases() -> tuple[Case, ...]:
    """admin/<app>/: shown where the office admin may do anything with a model of it."""
    apps = {model._meta.app_label for model in admin.site._registry}
    seen = {label.split(".")[0] for label, spec in ADMIN_MODELS.items() if spec.may}
    return tuple(
        Case(
            get=admin_site(OK if app in seen else NOT_FOUND),
            kwargs=lambda w, app=app: {"app_label": app},
            note=f"app {app}",
        )
        for app in sorted(apps)
    )


ROWS["admin:app_list"] = admin_app_cases()


def _new_lawyer_for(user: Callable[[World], object]) -> Callable[[World], dict]:
    def data(world: World) -> dict:
        return {
            "user": str(user(world).pk),
            "offices": [str(world.office_1.pk)],
            "topics": [str(world.topic.pk)],
            "is_active": "on",
            "rules-TOTAL_FORMS": "0",
            "rules-INITIAL_FORMS": "0",
            "rules-MIN_NUM_FORMS": "0",
            "rules-MAX_NUM_FORMS": "1000",
        }

    return data


# Cases added to the rule's for some admin pages: valid forms that must not be saved
# (the answer is the form again, 200, instead of the redirect that follows a save).
NOT_SAVED = OK
ADMIN_EXTRA_CASES: dict[str, tuple[Case, ...]] = {
    "admin:booking_lawyer_add": tuple(
        Case(
            get=None,
            post=admin_site(NOT_SAVED),
            data=_new_lawyer_for(user),
            note=f"a lawyer profile at office 1 for {whom}",
        )
        for whom, user in (
            ("a superuser of no office", lambda w: w.superuser),
            ("office 2's desk member", lambda w: w.users["desk_2"]),
        )
    ),
    # Lawyer W works for office 1 and office 2: office 1's admin sees their account,
    # changes none of it, changes the lawyer's office-1 part, and reads W's time off.
    "admin:accounts_user_change": (
        Case(
            get=admin_site(OK),
            post=admin_site(FORBIDDEN),
            kwargs=lambda w: {"object_id": w.lawyer_w.user_id},
            note="the account of a lawyer of both offices",
        ),
    ),
    "admin:booking_lawyer_change": (
        Case(
            get=admin_site(OK),
            post=admin_site(ACCEPTED),
            kwargs=lambda w: {"object_id": w.lawyer_w.pk},
            note="a lawyer of both offices",
        ),
    ),
    "admin:booking_timeoff_change": (
        Case(
            get=admin_site(OK),
            post=admin_site(FORBIDDEN),
            kwargs=lambda w: {"object_id": w.time_off_w.pk},
            note="time off of a lawyer of both offices",
        ),
    ),
    "admin:booking_timeoff_delete": (
        Case(
            get=admin_site(FORBIDDEN),
            post=admin_site(FORBIDDEN),
            kwargs=lambda w: {"object_id": w.time_off_w.pk},
            note="time off of a lawyer of both offices",
        ),
    ),
    "admin:booking_timeoff_add": (
        Case(
            get=None,
            post=admin_site(NOT_SAVED),
            data=lambda w: {
                "lawyer": str(w.lawyer_z.pk),
                "starts_at_0": "2027-01-04",
                "starts_at_1": "00:00:00",
                "ends_at_0": "2027-01-05",
                "ends_at_1": "00:00:00",
            },
            note="time off for office 2's lawyer",
        ),
    ),
}


# The routes


def _join(prefix: str, pattern: str) -> str:
    """Patterns joined as Django's resolver joins them (``ResolverMatch.route``)."""
    return prefix + pattern.removeprefix("^") if prefix else pattern


def walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """(name with namespace, or the pattern for routes without a name; pattern)."""
    for entry in patterns:
        pattern = _join(prefix, str(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from walk(entry.url_patterns, pattern, inner)
        elif entry.name:
            yield ":".join(filter(None, [namespace, entry.name])), pattern
        else:
            yield pattern, pattern


ROUTE_LIST = list(walk(get_resolver().url_patterns))
ROUTES = dict(ROUTE_LIST)


def cases_for(route: str) -> tuple[Case, ...]:
    if route in ROWS:
        return ROWS[route]
    found = admin_model_route(route)
    if found is None:
        pytest.fail(
            f"The URL {route!r} ({ROUTES[route]}) has no row in ROWS: add one that says "
            "what each role gets there."
        )
    label, action = found
    if label not in ADMIN_MODELS:
        pytest.fail(
            f"The admin model {label} (route {route!r}) has no entry in ADMIN_MODELS: say "
            "what the office admin may do with it."
        )
    return admin_model_cases(label, action) + ADMIN_EXTRA_CASES.get(route, ())


# The tests


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def built_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The world, built once for the module in a transaction rolled back at its end.
    Each test runs in a savepoint inside it (pytest-django's own), each request in one
    more, so nothing a request changes reaches the next."""
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False), rolled_back():
        yield build_world()


@pytest.fixture
def world(built_world, db, frozen_clock, plain_http, settings) -> World:
    # Each role asks each address once or twice: far below any real limit, but the
    # table should never depend on the limits' numbers.
    settings.RATE_LIMITS = {
        "book": "100000/m/ip",
        "feed": "100000/h/ip,100000/h/key",
        "desk_find": "100000/h/ip,100000/h/user",
    }
    settings.SMS_CALLBACK_TOKEN = SMS_TOKEN
    settings.SMS_OPTIONS = {**settings.SMS_OPTIONS, "auth_token": "twilio-token-for-the-table"}
    return built_world


def ask(world: World, role: str, method: str, address: str, data) -> object:
    """One request as ``role``, in a savepoint rolled back afterwards."""
    with rolled_back():
        client = Client(raise_request_exception=False)
        user = world.users[role]
        if user is not None:
            client.force_login(user)
        if method == "post":
            return client.post(address, data(world) if data else {})
        return client.get(address)


def test_every_route_has_one_name():
    """The table is keyed by route name: two routes with one name would share a row."""
    names = [name for name, _pattern in ROUTE_LIST]
    assert sorted({name for name in names if names.count(name) > 1}) == []


def test_the_admin_rules_name_only_what_exists():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert sorted(set(ADMIN_MODELS) - registered) == [], "models no longer in the admin"
    assert sorted(set(ADMIN_EXTRA_CASES) - set(ROUTES)) == [], "admin pages that are gone"


def _has_row(route: str) -> bool:
    found = admin_model_route(route)
    return route in ROWS or (found is not None and found[0] in ADMIN_MODELS)


@pytest.mark.parametrize("route", sorted(set(ROUTES) | set(ROWS)))
def test_each_role_gets_what_the_table_says(route, world):
    if route not in ROUTES:
        pytest.fail(f"ROWS has a row for {route!r}, which is no URL any more: remove the row.")
    failures = []
    for case in cases_for(route):
        asked = case.address(route, world)
        match = resolve(urlsplit(asked).path)
        assert route in (match.view_name, match.route), f"{asked} is not the route {route}"
        note = f" ({case.note})" if case.note else ""
        for method, answers in (("get", case.get), ("post", case.post)):
            for role, answer in (answers or {}).items():
                response = ask(world, role, method, asked, case.data)
                problem = answer.problem(response, asked)
                if problem:
                    failures.append(f"{method.upper()} {asked}{note} as {role}: {problem}")
    assert not failures, f"{route}:\n  " + "\n  ".join(failures)


@pytest.mark.parametrize("admin_of", ["office_1", "office_2"])
def test_each_office_admin_reaches_only_their_part_of_the_shared_lawyer(world, admin_of):
    """Lawyer W works for both offices: each office admin sees W's hours at their own
    office only, and changes neither W's account nor W's time off; a superuser may."""
    office = getattr(world, admin_of)
    head = world.users["admin_1"] if admin_of == "office_1" else world.admin_2
    own_rule, other_rule = (
        (world.rule_w_1, world.rule_w_2)
        if admin_of == "office_1"
        else (world.rule_w_2, world.rule_w_1)
    )
    w = world.lawyer_w
    with rolled_back():
        client = Client(raise_request_exception=False)
        client.force_login(head)
        page = client.get(reverse("admin:booking_lawyer_change", args=[w.pk]))
        assert page.status_code == HTTPStatus.OK
        [rules] = page.context["inline_admin_formsets"]
        shown = [form.instance.pk for form in rules.formset.initial_forms]
        assert (shown, office.pk) == ([own_rule.pk], own_rule.office_id)
        assert other_rule.pk not in shown
        refused = [
            ("get", reverse("admin:auth_user_password_change", args=[w.user_id])),
            ("post", reverse("admin:auth_user_password_change", args=[w.user_id])),
            ("post", reverse("admin:accounts_user_change", args=[w.user_id])),
            ("post", reverse("admin:booking_timeoff_change", args=[world.time_off_w.pk])),
            ("post", reverse("admin:booking_timeoff_delete", args=[world.time_off_w.pk])),
        ]
        for method, address in refused:
            answer = getattr(client, method)(address)
            assert answer.status_code == HTTPStatus.FORBIDDEN, (method, address)
    with rolled_back():
        client = Client(raise_request_exception=False)
        client.force_login(world.superuser)
        address = reverse("admin:auth_user_password_change", args=[w.user_id])
        assert client.get(address).status_code == HTTPStatus.OK
