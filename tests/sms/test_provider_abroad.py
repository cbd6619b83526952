"""A provider abroad is refused for offices in mainland China (PIPL art. 36).

Personal information handled by state organs is to be stored in mainland China: the
system check (sms/checks.py) refuses the Twilio backend while any office, or the site's
``TIME_ZONE``, is in a mainland zone, unless ``SMS_ALLOW_PROVIDER_ABROAD`` says the
deployment may. ``manage.py`` (migrate, the worker, ``check``) stops on the error, also
on a database not migrated yet.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sms.checks import NO_STATUS_CALLBACK, PROVIDER_ABROAD, check_provider_abroad
from tests.factories import OfficeFactory

TWILIO = "sms.backends.twilio.TwilioBackend"
OPTIONS = {"account_sid": "AC" + "0" * 32, "auth_token": "token", "from_number": "+15005550006"}
BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def twilio(settings):
    settings.SMS_BACKEND = TWILIO
    settings.SMS_OPTIONS = OPTIONS
    settings.SMS_ALLOW_PROVIDER_ABROAD = False
    settings.SITE_URL = "https://legal-aid.example.org"
    settings.SMS_CALLBACK_TOKEN = "callback-token"
    settings.TIME_ZONE = "Europe/London"


def ids(messages) -> list[str]:
    return [message.id for message in messages]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Urumqi", "Asia/Chongqing", "PRC"])
def test_twilio_is_refused_while_an_office_is_in_mainland_china(db, twilio, zone):
    OfficeFactory(time_zone="Europe/London")
    OfficeFactory(time_zone=zone)

    (error,) = check_provider_abroad(None)

    assert error.id == PROVIDER_ABROAD
    assert zone in error.msg and "PIPL art. 36" in error.msg
    assert "SMS_ALLOW_PROVIDER_ABROAD" in error.hint


def test_twilio_is_refused_when_the_sites_own_zone_is_in_mainland_china(db, twilio, settings):
    settings.TIME_ZONE = "Asia/Shanghai"  # and no office yet

    assert ids(check_provider_abroad(None)) == [PROVIDER_ABROAD]


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Hong_Kong", "Asia/Macau"])
def test_twilio_is_allowed_for_offices_outside_mainland_china(db, twilio, zone):
    OfficeFactory(time_zone=zone)

    assert check_provider_abroad(None) == []


def test_the_setting_allows_a_provider_abroad_for_mainland_offices(db, twilio, settings):
    settings.SMS_ALLOW_PROVIDER_ABROAD = True
    OfficeFactory(time_zone="Asia/Shanghai")

    assert check_provider_abroad(None) == []


@pytest.mark.parametrize(
    "backend", ["sms.backends.alibaba.AlibabaBackend", "sms.backends.tencent.TencentBackend"]
)
def test_providers_in_mainland_china_are_never_refused(db, twilio, settings, backend):
    settings.SMS_BACKEND = backend
    OfficeFactory(time_zone="Asia/Shanghai")

    assert check_provider_abroad(None) == []


def test_twilio_without_the_sites_address_is_warned_of_missing_reports(db, twilio, settings):
    settings.SITE_URL = ""

    assert ids(check_provider_abroad(None)) == [NO_STATUS_CALLBACK]


def manage_check(tmp_path, **env) -> subprocess.CompletedProcess:
    """``manage.py check`` against a database file that has no tables yet."""
    environment = {
        **os.environ,
        "DEBUG": "1",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}",
        "SMS_BACKEND": TWILIO,
        "SMS_OPTIONS": json.dumps(OPTIONS),
        "SITE_URL": "https://legal-aid.example.org",
        "SMS_CALLBACK_TOKEN": "callback-token",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_refuses_twilio_before_the_database_is_migrated(tmp_path):
    """TIME_ZONE (Asia/Shanghai) speaks for the offices not created yet; the missing
    table breaks nothing."""
    refused = manage_check(tmp_path)
    allowed = manage_check(tmp_path, SMS_ALLOW_PROVIDER_ABROAD="1")

    assert refused.returncode != 0
    assert PROVIDER_ABROAD in refused.stderr
    assert "Traceback" not in refused.stderr
    assert allowed.returncode == 0, allowed.stderr
