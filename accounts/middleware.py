"""Two rules for signed-in users: sessions end when idle, and staff of an office that
requires an authenticator app set one up before anything else.

**Idle sessions** (``IdleSignOutMiddleware``, MLPS level 2). Staff are signed out after
``STAFF_SESSION_IDLE_MINUTES`` without a request (30: an office computer left on the
desk), residents after ``RESIDENT_SESSION_IDLE_DAYS`` (14). Residents' period is long
because their phone is their own and a cheap phone's browser is closed by the system
all the time: a session that ended with the browser would cost a text message at every
visit. Two weeks covers booking, being reminded and coming in, and looking again at what
was booked; a resident who comes back weeks later signs in again with a code, and a
phone passed around the family does not keep a matter open for longer than that. The
time of the last request is kept in the session and written at most once a minute
(``TOUCH_EVERY``): no session write on every request, so the limit holds to within that
minute. Signed out, the user lands on the sign-in page with the reason and ``next``.
Cost: nothing for visitors who are not signed in; for the signed-in, reading the session
the pages read anyway, and one session write a minute at most. Known limit: a form sent
after the period is not kept; signing in again leads back to its page, empty.

**TOTP required.** An office can require TOTP of its staff
(``Office.require_staff_totp``). A signed-in lawyer, desk staff member or admin of such
an office (any one of a lawyer's offices)
without an active TOTP authenticator (allauth.mfa) is sent to allauth's page that
activates one, whatever they ask for, the admin site included. Open to them: allauth.mfa's
pages under ``/accounts/2fa/``, allauth's page to enter the password again (which it asks
for before activating), signing out, the language switch and static files. The activation
page says why. Once an authenticator is active, allauth asks for its code at every
sign-in; removing it sends them back. A middleware rather than an allauth login stage, so
that staff already signed in when their office turns the requirement on, or who remove
their authenticator, are held too.

Cost: no query of its own for visitors who are not signed in and for residents (reading
``request.user`` loads the session, which the pages do anyway); one small query per
request for staff, made afresh each time so that a removed authenticator counts at once.

Known limits: only requests that reach Django's middleware are checked (WhiteNoise serves
static files before it); an unknown address sends held staff to the activation page too,
rather than answering "not found"; staff who belong to no office (a superuser without
one) are never held.

Chapter: docs/trust.md#staff-sign-in.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.adapter import signs_in_by_code
from accounts.selectors import get_office_requiring_totp

TOTP_REQUIRED = _(
    "%(office)s requires its staff to sign in with a one-time code from an authenticator "
    "app. To continue, install such an app on your phone (for example Microsoft "
    "Authenticator, Google Authenticator or Tencent Authenticator), scan the QR code on "
    "the set-up page with it and enter the 6-digit code it shows. Until then you can "
    "only set it up or sign out."
)

SIGNED_OUT_IDLE_MINUTES = ngettext_lazy(
    "You were signed out after %(count)d minute without activity. Please sign in again.",
    "You were signed out after %(count)d minutes without activity. Please sign in again.",
    "count",
)
SIGNED_OUT_IDLE_DAYS = ngettext_lazy(
    "You were signed out after %(count)d day without activity. Please sign in again.",
    "You were signed out after %(count)d days without activity. Please sign in again.",
    "count",
)
# The session key of the last request's time (seconds since the epoch), and how often
# it is written.
LAST_SEEN = "accounts_last_seen"
TOUCH_EVERY = 60


def mark_active(session) -> None:
    """Start the idle clock (at sign-in); the middleware moves it on."""
    session[LAST_SEEN] = int(time.time())


def _idle_limit(user) -> tuple[int, str]:
    """Seconds without a request after which ``user`` is signed out, and the reason."""
    if signs_in_by_code(user):
        days = settings.RESIDENT_SESSION_IDLE_DAYS
        return days * 86400, SIGNED_OUT_IDLE_DAYS % {"count": days}
    minutes = settings.STAFF_SESSION_IDLE_MINUTES
    return minutes * 60, SIGNED_OUT_IDLE_MINUTES % {"count": minutes}


class IdleSignOutMiddleware:
    """Place after AuthenticationMiddleware and MessageMiddleware, before the TOTP one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        now = int(time.time())
        last_seen = request.session.get(LAST_SEEN)
        limit, reason = _idle_limit(user)
        if isinstance(last_seen, int) and now - last_seen > limit:
            logout(request)
            messages.info(request, reason)
            if request.path == reverse("account_logout"):
                return HttpResponseRedirect(reverse(settings.LOGIN_URL))
            return redirect_to_login(request.get_full_path())
        if not isinstance(last_seen, int) or now - last_seen >= TOUCH_EVERY:
            request.session[LAST_SEEN] = now  # a session from before this rule starts now
        return self.get_response(request)


# Open to staff who still have to set up TOTP: these pages and every address under them
# (allauth.mfa's pages; re-entering the password, which activation may ask for first) …
_OPEN_WITH_SUBPAGES = ("mfa_index", "account_reauthenticate")
# … and these pages alone.
_OPEN_PAGES = ("account_logout", "set_language")


def _is_open(path: str) -> bool:
    if path.startswith(settings.STATIC_URL):
        return True
    if any(path.startswith(reverse(name)) for name in _OPEN_WITH_SUBPAGES):
        return True
    return any(path == reverse(name) for name in _OPEN_PAGES)


def _add_once(request: HttpRequest, text: str) -> None:
    """Add the message unless it waits already (allauth may send the page elsewhere)."""
    storage = messages.get_messages(request)
    waiting = any(message.message == text for message in storage)
    storage.used = False  # looking is not showing: Django's documented way to keep them
    if not waiting:
        messages.warning(request, text)


class TotpRequiredMiddleware:
    """Place after AuthenticationMiddleware, MessageMiddleware and allauth's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or signs_in_by_code(user):  # residents
            return self.get_response(request)
        office = get_office_requiring_totp(user=user)
        if office is None:
            return self.get_response(request)
        activate = reverse("mfa_activate_totp")
        if request.path == activate:
            if request.method == "GET":
                # Added for this very page, not on redirects: those would pile it up and
                # could leave it for after the setup (a browser's own favicon requests).
                _add_once(request, TOTP_REQUIRED % {"office": office.name})
        elif not _is_open(request.path):
            return HttpResponseRedirect(activate)
        return self.get_response(request)
