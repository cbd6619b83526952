"""What an operator notices: settings, deployment checks, migrations, the home page."""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
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


def test_a_new_checkout_migrates_loads_the_demo_and_serves_it(tmp_path):
    """What `make run` does after installing, in a folder that has no var/ yet."""
    env = {"DEBUG": "1", "VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": ""}
    assert manage("migrate", "--no-input", env=env).returncode == 0
    demo = manage("demo", env=env)
    assert demo.returncode == 0, demo.stderr
    assert "http://127.0.0.1:8000/admin/" in demo.stdout
    assert "@demo.invalid" in demo.stdout

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env={**clean, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        home = admin = None
        for _ in range(100):
            try:
                home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
                admin = urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        assert home is not None and home.status == HTTPStatus.OK
        assert "青石镇司法所" in home.read().decode()
        assert admin is not None and admin.status == HTTPStatus.OK
    finally:
        server.terminate()
        server.wait(timeout=10)


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
