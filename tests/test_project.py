"""What an operator notices: settings, deployment checks, migrations, the home page."""

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http import HTTPStatus
from pathlib import Path

import pytest

from sms.registry import registration_keys

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "legal-aid.example.org",
    "DATABASE_URL": "postgres://legalaid@db.example.invalid/legalaid",
    "SMS_BACKEND": "sms.backends.tencent.TencentBackend",
    # What the operator registered (`manage.py sms_templates`), and the site it names.
    "SMS_TEMPLATE_IDS": json.dumps(
        {key: str(1400100 + i) for i, key in enumerate(registration_keys())}
    ),
    "SITE_URL": "https://legal-aid.example.org",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deployment_checks_pass_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_secret_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_malformed_boolean_setting_is_refused_clearly():
    result = manage("check", env={**PRODUCTION_ENV, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_production_without_an_sms_backend_refuses_to_start():
    result = manage("check", env={**PRODUCTION_ENV, "SMS_BACKEND": ""})
    assert result.returncode != 0
    assert "sms.E001" in result.stderr


def test_production_without_an_id_for_every_template_refuses_to_start():
    ids = json.loads(PRODUCTION_ENV["SMS_TEMPLATE_IDS"])
    del ids["follow_up:en"]
    result = manage("check", env={**PRODUCTION_ENV, "SMS_TEMPLATE_IDS": json.dumps(ids)})
    assert result.returncode != 0
    assert "sms.E020" in result.stderr and "follow_up:en" in result.stderr


def test_models_and_migrations_agree():
    result = manage("makemigrations", "--check", "--dry-run", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_settings_follow_the_environment():
    from django.conf import settings as live

    assert live.TIME_ZONE == "Asia/Shanghai"
    assert live.LANGUAGE_CODE == "zh-hans"
    assert live.USE_TZ
    assert live.AUTH_USER_MODEL == "accounts.User"
    if live.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        assert live.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    else:
        assert live.DATABASES["default"]["CONN_MAX_AGE"] > 0


@pytest.mark.django_db
def test_home_page_shows_the_office_and_areas_of_law_in_chinese_by_default(
    client, office, topic, django_assert_max_num_queries
):
    # Schedule version, offices, who is on duty (weekly hours, time off, the roster's
    # pattern and exceptions), areas of law.
    with django_assert_max_num_queries(7):
        response = client.get("/", secure=True)
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert office.name in body
    assert office.phone in body
    assert "婚姻家庭" in body
    assert "免费法律咨询" in body


@pytest.mark.django_db
def test_home_page_in_english_when_chosen(client, office, topic):
    # The areas of law listed are those an office offers (booking/selectors.py).
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, secure=True)
    assert response.status_code == HTTPStatus.FOUND
    body = client.get("/", secure=True).content.decode()
    assert '<html lang="en">' in body
    assert "Family and marriage" in body
    assert "Free legal consultations" in body


@pytest.mark.django_db
def test_the_admin_login_page_hands_over_to_the_sign_in_page(client):
    response = client.get("/admin/login/", secure=True)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith("/accounts/login/?next=")
    assert client.get(response.url, secure=True).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_in_production(client):
    response = client.get("/")
    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"].startswith("https://")


def test_static_files_collect_for_production(tmp_path):
    result = manage("collectstatic", "--no-input", env={**PRODUCTION_ENV, "VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "static" / "css" / "site.css").exists()
    assert list((tmp_path / "static" / "css").glob("site.*.css.gz"))  # hashed and compressed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _default_sigint() -> None:
    """In the child: SIGINT as a terminal gives it, even when pytest runs with it ignored
    (a background job), since bash cannot trap a signal ignored when it starts."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.one_database  # a new checkout's SQLite file, whatever the suite runs on
def test_make_run_serves_the_demo_with_the_sites_error_pages_and_stops_quietly(tmp_path):
    """scripts/run-dev, as `make run` starts it, in a folder that has no var/ yet: it
    migrates, loads the demo, serves it with DEBUG off and the worker beside it, prints
    texts; SIGINT (Ctrl-C) stops both children and it exits 0 without a traceback."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "SMS_BACKEND"}}
    env |= {"VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": "", "PORT": str(port)}
    env |= {"BIN": str(Path(sys.executable).parent), "PYTHONUNBUFFERED": "1"}
    site = f"http://127.0.0.1:{port}"
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    with stdout.open("w") as out, stderr.open("w") as err:
        script = subprocess.Popen(
            [str(ROOT / "scripts" / "run-dev")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
            preexec_fn=_default_sigint,
        )
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        home = None
        for _ in range(600):  # migrate, collectstatic and the demo come first
            try:
                home = opener.open(f"{site}/", timeout=5)
                break
            except OSError:
                assert script.poll() is None, stderr.read_text()
                time.sleep(0.1)
        assert home is not None and home.status == HTTPStatus.OK
        page = home.read().decode()
        assert "青石镇司法所" in page
        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', page)
        assert stylesheet, "static files are collected and named by their content"
        assert opener.open(site + stylesheet[1], timeout=5).status == HTTPStatus.OK

        with pytest.raises(urllib.error.HTTPError) as stale:
            opener.open(f"{site}/appointments/ZX81AB27/", timeout=5)  # no such address
        assert stale.value.code == HTTPStatus.NOT_FOUND
        body = stale.value.read().decode()
        assert '<html lang="zh-hans">' in body and "0731-5786 0148" in body
        assert "Traceback" not in body and "DEBUG = True" not in body

        # A sign-in code goes at any hour: the worker prints it in the console.
        login = opener.open(f"{site}/accounts/login/", timeout=5).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login)[1]
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "login": "137 0000 0107"})
        opener.open(f"{site}/accounts/login/", form.encode(), timeout=5)
        for _ in range(100):
            if "SMS to +8613700000107" in stdout.read_text():
                break
            time.sleep(0.1)
        assert "SMS to +8613700000107" in stdout.read_text()
    finally:
        script.send_signal(signal.SIGINT)
        status = script.wait(timeout=30)
    assert status == 0
    assert "Traceback" not in stderr.read_text()
    with socket.socket() as probe:  # the server is gone with the script
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    printed = stdout.read_text()
    assert f"{site}/admin/" in printed and "@demo.invalid" in printed
    assert "quiet hours" in printed


def test_every_page_carries_a_strict_content_security_policy(client, plain_http, office):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_nul_in_an_address_or_a_form_is_refused_before_any_view(client, plain_http, resident):
    client.force_login(resident)
    assert client.get("/my/1234%005678/").status_code == 400
    assert client.get("/book/", {"office": "a\x00"}).status_code == 400
    assert client.post("/my/data/withdraw/", {"withdraw-confirm": "a\x00"}).status_code == 400
    resident.refresh_from_db()
    assert resident.is_active
