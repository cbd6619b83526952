"""A resident's sign-in in progress: the page they were going to and the number the code
went to, kept through every step, error and retry.

allauth keeps a code sign-in in the session (``account_login``: the pending login, its
stage ``login_by_code`` holding the code, when it was sent and the wrong tries). It
drops that state when the code expires (``ACCOUNT_LOGIN_BY_CODE_TIMEOUT``), when the
code was typed wrongly too often (``LOGIN_BY_CODE_MAX_ATTEMPTS``) or when the whole
sign-in times out (``LOGIN_TIMEOUT``), and its views then send the browser to an empty
sign-in page, without ``next`` and without a word. Beside allauth's state the session
keeps ``SESSION_KEY``: the number and the ``next`` of the sign-in, so that the views in
accounts/views.py can say what happened and start again where the resident was, the
number filled in. It is written each time a code goes (the adapter) and forgotten at
sign-in.

Known limits: a resent code restarts allauth's clocks (``restart_code_clock``), so a
sign-in with resends lasts at most ``1 + LOGIN_BY_CODE_MAX_RESEND_COUNT`` times
``LOGIN_TIMEOUT`` (45 minutes), within the pending account's hour
(accounts/services.py, ``PENDING_FOR``); it reaches into allauth's stages and code
processes, which allauth may change between versions (the tests walk every path).
``next`` is kept only when it points to this site (allauth's ``is_safe_url``, Django's
``url_has_allowed_host_and_scheme``).

Chapter: docs/trust.md#signing-in.
"""

import time
from urllib.parse import urlencode

import phonenumbers
from allauth.account import app_settings
from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.phone_verification import PhoneVerificationStageProcess
from allauth.account.stages import LoginByCodeStage, LoginStageController, PhoneVerificationStage
from allauth.account.utils import get_next_redirect_url
from django.http import HttpRequest
from django.urls import reverse

SESSION_KEY = "accounts.sign_in"
# Kept no longer than a sign-in can last with its resends (above).
KEPT_FOR = 3 * 15 * 60


def requested_next(request: HttpRequest) -> str:
    """The ``next`` the request names (query or form), if it is a page of this site."""
    return get_next_redirect_url(request) or ""


def _kept(request: HttpRequest) -> dict:
    kept = request.session.get(SESSION_KEY)
    if not isinstance(kept, dict) or time.time() - kept.get("at", 0) > KEPT_FOR:
        return {}
    return kept


def kept_next(request: HttpRequest) -> str:
    """The ``next`` of the sign-in in progress, checked again as it is used."""
    url = _kept(request).get("next") or ""
    return url if url and get_adapter().is_safe_url(url) else ""


def next_url(request: HttpRequest) -> str:
    """Where the sign-in goes on to: the request's ``next``, else the one kept."""
    return requested_next(request) or kept_next(request)


def kept_phone(request: HttpRequest) -> str:
    """The number the last code went to, as residents write it (``138 0013 8000``)."""
    phone = _kept(request).get("phone") or ""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def start_again(request: HttpRequest) -> str:
    """The code can no longer be entered: the sign-in page fills in its number (until
    another code goes) and leads to the same ``next``; its address."""
    kept = _kept(request)
    if kept:
        request.session[SESSION_KEY] = {**kept, "again": True}
    return start_again_url(request)


def phone_to_fill_in(request: HttpRequest) -> str:
    """The number for the sign-in page to fill in, once: only on the page a sign-in
    starts again on, not for one that chose another number, nor for whoever uses the
    browser next (a kiosk at the office)."""
    kept = _kept(request)
    if not kept.get("again"):
        return ""
    request.session[SESSION_KEY] = {**kept, "again": False}
    return kept_phone(request)


def remember(request: HttpRequest, *, phone: str, new_sign_in: bool) -> None:
    """Keep the number a code went to and where the sign-in goes on to.

    A new sign-in (its number typed on a form) takes the request's ``next`` as it is,
    even none; a new code for the same sign-in keeps the one before when the request
    names none.
    """
    url = requested_next(request)
    if not url and not new_sign_in:
        url = kept_next(request)
    request.session[SESSION_KEY] = {"phone": phone, "next": url, "at": time.time()}


def forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def has_something_to_keep(request: HttpRequest) -> bool:
    """Whether a sign-in is in progress here, or the request names where it goes on to."""
    return bool(_kept(request) or requested_next(request))


def with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def start_again_url(request: HttpRequest) -> str:
    """The sign-in page, on the way to the same ``next``."""
    return with_next(reverse("account_login"), next_url(request))


def _stage(request: HttpRequest, *, sign_up: bool):
    key = PhoneVerificationStage.key if sign_up else LoginByCodeStage.key
    return LoginStageController.enter(request, key)


def codes_resent(request: HttpRequest, *, sign_up: bool) -> int:
    """How many new codes the pending sign-in or sign-up has had."""
    stage = _stage(request, sign_up=sign_up)
    return stage.state.get("resend_count", 0) if stage is not None else 0


def code_is_pending(request: HttpRequest, *, sign_up: bool = False) -> bool:
    """Whether the session holds a code that can still be entered: a sign-in's (allauth's
    stage ``login_by_code``) or, with ``sign_up``, a sign-up's (``verify_phone``).

    One that has expired is forgotten here: allauth would otherwise send the sign-in
    page on to the code page again, which would send it back.
    """
    timeout = (
        app_settings.PHONE_VERIFICATION_TIMEOUT if sign_up else app_settings.LOGIN_BY_CODE_TIMEOUT
    )
    stage = _stage(request, sign_up=sign_up)
    if stage is None:
        return False
    if time.time() - stage.state.get("at", 0) <= timeout:
        return True
    stage.abort()
    return False


def restart_code_clock(stage) -> None:
    """A new code was sent: it lives as long as its text says, from now.

    allauth counts a code's time, and the sign-in's, from the first code, so that a
    code resent after nine minutes would expire after one.
    """
    now = time.time()
    stage.state["at"] = now
    stage.login.initiated_at = now


def restart_sign_up_code_clock(request: HttpRequest) -> None:
    """As ``restart_code_clock``, for the code of a sign-up, whose view keeps no stage."""
    stage = _stage(request, sign_up=True)
    if stage is not None:
        restart_code_clock(stage)
        PhoneVerificationStageProcess(stage).persist()
