"""Settings of legal-aid booking, read from environment variables only.

The embedded default is a SQLite file under ``var/``; production sets ``DATABASE_URL``
(PostgreSQL), ``SECRET_KEY`` and ``ALLOWED_HOSTS``. With ``DEBUG`` off there is no
fallback secret: a missing ``SECRET_KEY`` stops the process at start.
"""

import ipaddress
import json
import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_json(name: str, default):
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return json.loads(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be JSON.") from None


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (a long random string, "
            "e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )
    # Development only: a new random key per process, so no known secret exists anywhere.
    from django.core.management.utils import get_random_secret_key

    SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# A form refused by the CSRF check gets the site's own page (booking/views/errors.py).
CSRF_FAILURE_VIEW = "booking.views.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "phonenumber_field",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "booking",
    "sms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.SecurityHeadersMiddleware",
    "config.security.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.IdleSignOutMiddleware",
    "accounts.middleware.TotpRequiredMiddleware",
    # A link to a POST-only address: the site's page instead of a blank 405.
    "booking.web.error_pages.MethodNotAllowedPage",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: a SQLite file by default, anything dj-database-url reads otherwise.
if not os.environ.get("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded default lives there
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        # Persistent connections outside development: a new connection per request
        # costs more than the request itself on PostgreSQL.
        conn_max_age=env_int("CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # BEGIN IMMEDIATE: a writer takes the write lock when its transaction starts,
        # so racing bookings queue up instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that tests can race several OS processes against it; one
    # per test run, so that two runs never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get(
            "SQLITE_TEST_NAME", str(Path(tempfile.gettempdir()) / f"legalaid-test-{os.getpid()}.db")
        )
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Phone numbers: stored as E.164; numbers typed without a country code are mainland ones.
PHONENUMBER_DEFAULT_REGION = "CN"
PHONENUMBER_DB_FORMAT = "E164"
# Regions whose mobile numbers may sign up (SMS must reach them).
MOBILE_NUMBER_REGIONS = env_list("MOBILE_NUMBER_REGIONS", "CN")

# Background work: Django's tasks API on the database (django-tasks-db); `make run`
# starts one worker beside the web server (manage.py sms_worker, which wraps db_worker
# with the recovery of lost deliveries).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "sms"],
    }
}

# Text messages (sms/). The backend is chosen like Django's e-mail backends:
#   sms.backends.console.ConsoleBackend   prints (the development default)
#   sms.backends.file.FileBackend         one JSON line per message in SMS_OPTIONS["path"]
#   sms.backends.locmem.LocmemBackend     in memory, for tests
#   sms.backends.alibaba.AlibabaBackend, sms.backends.tencent.TencentBackend,
#   sms.backends.twilio.TwilioBackend      real providers; credentials in SMS_OPTIONS
SMS_BACKEND = os.environ.get("SMS_BACKEND", "sms.backends.console.ConsoleBackend" if DEBUG else "")
SMS_OPTIONS = env_json("SMS_OPTIONS", {})
# Message name (e.g. "confirmation", "reminder_safe") → the provider's template id.
SMS_TEMPLATE_IDS = env_json("SMS_TEMPLATE_IDS", {})
# Sign-in codes (sms/code_limits.py; windows slide; booking messages never count). Per
# number, the provider's own limits on verification codes (Aliyun: 1 a minute, 5 an hour,
# 10 a day), so that no code is queued that it would refuse: the rates, and the cap per
# 24 hours, after which the resident is told to call the office.
SMS_CODES_PER_NUMBER = os.environ.get("SMS_CODES_PER_NUMBER", "1/m,5/h")
SMS_DAILY_CAP_PER_NUMBER = env_int("SMS_DAILY_CAP_PER_NUMBER", 10)
# What one network may take of one number's codes, and what browsers that have never
# signed in with it share: a stranger asking for a resident's codes, from one network or
# from many, leaves the rest for the resident's own browser.
SMS_CODES_PER_NUMBER_PER_IP = os.environ.get("SMS_CODES_PER_NUMBER_PER_IP", "2/h,3/d")
SMS_CODES_PER_NUMBER_FOR_NEW_BROWSERS = os.environ.get(
    "SMS_CODES_PER_NUMBER_FOR_NEW_BROWSERS", "3/h,6/d"
)
# Codes asked for from one network (IPv6: one /64) in an hour: more than a busy office's
# kiosk or a village's Wi-Fi asks for in a whole day (about 100; sms/code_limits.py
# argues it), half the ceiling; browsers that signed in with the number are never
# refused by it. The limits per number do the protecting.
SMS_CODES_PER_IP_PER_HOUR = env_int("SMS_CODES_PER_IP_PER_HOUR", 150)
# All codes in an hour: the ceiling of the bill. Reaching it refuses codes, logs an error
# and puts a notice on the admin's index page (at most once an hour).
SMS_CODES_PER_HOUR_CEILING = env_int("SMS_CODES_PER_HOUR_CEILING", 300)
# Delivery: how long a worker holds a message it is sending (longer than any provider's
# timeout), how often it is tried, how often a worker looks for lost deliveries.
SMS_LEASE_SECONDS = env_int("SMS_LEASE_SECONDS", 120)
SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", 8)
SMS_RECOVER_SECONDS = env_int("SMS_RECOVER_SECONDS", 60)
# The secret path segment of the providers' delivery-report callbacks (kept out of the
# logs: config/log_redaction.py). Neither provider signs its reports, so this and the
# optional allow-list below are what keep a forged report out.
SMS_CALLBACK_TOKEN = os.environ.get("SMS_CALLBACK_TOKEN", "")
# The providers' addresses, as CIDR, comma-separated ("47.100.0.0/16,2408:4000::/32"):
# reports from anywhere else are refused. Empty: any address (the token still holds).
SMS_CALLBACK_ALLOWED_NETWORKS = [
    str(ipaddress.ip_network(network, strict=False))  # a wrong entry stops the start
    for network in env_list("SMS_CALLBACK_ALLOWED_NETWORKS")
]
# The site's public address, scheme and host without a trailing slash
# ("https://yuyue.example.gov.cn"). Twilio is given <SITE_URL>/sms/callbacks/<token>/twilio/
# with each message (its StatusCallback) and signs its status reports for that very URL.
# Empty: Twilio sends no reports and its messages stay "sent" (a system check warns).
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
# PIPL art. 36: personal information handled by state organs is stored in mainland China,
# so a system check refuses a provider abroad (Twilio) while any office, or TIME_ZONE, is
# in a mainland zone. 1 says that this deployment has the legal basis to do it anyway.
SMS_ALLOW_PROVIDER_ABROAD = env_bool("SMS_ALLOW_PROVIDER_ABROAD", False)

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Shared cache: allauth keeps its rate limits there, and sms/ its codes-per-IP counts, so
# every web process must see the same one. Production uses a table of the database it
# already has (accounts/migrations/0004 creates it, so `migrate` is the only step): no
# extra server, as with the task queue; Redis would need a server and the `redis` package
# for a few writes per sign-in. Development and tests keep it in memory, per process.
CACHE_BACKEND = os.environ.get("CACHE_BACKEND", "locmem" if DEBUG else "database")
if CACHE_BACKEND == "database":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
            # Rate-limit counters live here: Django's default of 300 entries would cull
            # them (expired ones first, then a third of the rest) as soon as a few hundred
            # clients are counted, which would reset the limits.
            "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 20_000)},
        }
    }
elif CACHE_BACKEND == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(f"CACHE_BACKEND must be database or locmem, not {CACHE_BACKEND!r}.")
# Public pages rendered for visitors who are not signed in (booking/pagecache.py), kept
# in each process: their keys carry the schedule version read from the database, so a
# booking in any process makes every process render afresh.
# Counters of the feed's rate limits, per process (booking/ratelimit.py).
CACHES["ratelimit"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "rate-limits",
}
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "public-pages",
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

# Sign-in (django-allauth; behaviour changed only in accounts/adapter.py). Residents sign
# up and in with a mobile number and a code sent by SMS, without a password; staff sign
# in with e-mail and password, and add TOTP (allauth.mfa) — required when their office
# says so (accounts/middleware.py).
# E-mail serves only staff password resets, and only with EMAIL_HOST set; without it
# the reset page sends staff to their office admin and nothing is sent.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # port 465; otherwise STARTTLS on 587
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
EMAIL_PORT = env_int("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.forms.LoginForm",
    "request_login_code": "accounts.forms.RequestLoginCodeForm",
    "confirm_login_code": "accounts.forms.ConfirmLoginCodeForm",
    "verify_phone": "accounts.forms.VerifyPhoneForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
}
ACCOUNT_LOGIN_METHODS = {"phone", "email"}
ACCOUNT_SIGNUP_FIELDS = ["phone*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"  # staff addresses are entered by an office admin
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = True
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
# Six digits, as every Chinese service sends them; valid as long as the SMS says
# (sms.services.LOGIN_CODE_MINUTES, checked by a test).
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = 10 * 60
# Staff on a shared office computer: the sign-in ends when the browser closes.
ACCOUNT_SESSION_REMEMBER = False
# Whether a number or address has an account is never shown to whoever types it.
ACCOUNT_PREVENT_ENUMERATION = True
# Rate limits, on top of allauth's defaults; "amount/period/per", per ip (an IPv6 address
# counted as its /64) or per key (the number or address). Codes have no limit per number
# here: allauth counts every request, whoever makes it, so a stranger could use up a
# resident's; sms/code_limits.py keeps those (above). Limits per IP stay generous because
# mobile carriers put many phones behind one address.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",  # sign-in form posts
    # Wrong passwords per client; per address, accounts/security.py locks it (below).
    "login_failed": "10/m/ip",
    "request_login_code": "20/m/ip",  # codes by SMS
    "verify_phone": "10/m/ip",  # codes at sign-up
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
# Ours, in the same notation (booking/ratelimit.py): booking, moving and cancelling
# (POSTs, by residents and the desk), and the calendar feed.
# The feed ("key" is the feed's key, counted per worker process) counts only what it
# builds in full for the right secret: a 304 costs one query and is not counted, and a
# wrong secret or unknown key never touches the key's budget but the address's
# "feed_guess" (shared cache, every process). The budget is for one lawyer's clients at
# their worst: macOS Calendar set to refresh every 5 minutes (12 an hour), an iPhone and
# an Android app every 15 minutes (4 an hour each) plus a fetch at every wake or
# pull-to-refresh (a dozen in a busy hour), Outlook.com about every 3 hours and Google
# every 8-24 hours, each sometimes twice in a row — about 40 in the worst hour, 120
# leaves room for a lawyer refreshing in a hurry. 600 per address: a cloud calendar
# fetches every subscriber's feed from a few addresses. 30 wrong guesses an hour per
# address: more than the devices of a lawyer who made a new address and forgot one
# (then 429 instead of 404, harmless), and nothing against a 256-bit secret.
RATE_LIMITS = {
    "book": os.environ.get("RATE_LIMIT_BOOK", "60/10m/ip,12/10m/user"),
    "feed": os.environ.get("RATE_LIMIT_FEED", "600/h/ip,120/h/key"),
    "feed_guess": os.environ.get("RATE_LIMIT_FEED_GUESS", "30/h/ip"),
    # The desk's find/register posts: a busy clerk finds a resident every few minutes;
    # an office's clerks share one address.
    "desk_find": os.environ.get("RATE_LIMIT_DESK_FIND", "30/10m/user,100/h/user,300/h/ip"),
    # Codes typed on /f/ (follow-up invitations): a resident needs one or two tries; the
    # codes name only what the public pages show, the limit keeps out a guessing script.
    "follow_up_code": os.environ.get("RATE_LIMIT_FOLLOW_UP_CODE", "30/h/ip"),
}
# Behind a reverse proxy every request comes from the proxy: the limits per IP read the
# client from X-Forwarded-For, trusting as many entries as there are proxies.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int(
    "TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_TLS_PROXY", False) else 0
)
# One household, or one attacker, gets a whole /64: the limits per IP count it as one.
ALLAUTH_RATE_LIMIT_IPV6_PREFIX = 64
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# MLPS level 2 (accounts/security.py, accounts/middleware.py): this many wrong passwords
# for one address within STAFF_LOCKOUT_MINUTES lock it for STAFF_LOCKOUT_MINUTES.
STAFF_LOCKOUT_ATTEMPTS = env_int("STAFF_LOCKOUT_ATTEMPTS", 5)
STAFF_LOCKOUT_MINUTES = env_int("STAFF_LOCKOUT_MINUTES", 30)
# Signed out after this long without a request: staff on an office computer soon;
# residents on their own phone after two weeks (a new code by SMS signs them in again).
STAFF_SESSION_IDLE_MINUTES = env_int("STAFF_SESSION_IDLE_MINUTES", 30)
RESIDENT_SESSION_IDLE_DAYS = env_int("RESIDENT_SESSION_IDLE_DAYS", 14)
# Residents' cookie outlives their idle period by a day, so that the page can say why
# they were signed out; staff's ends with the browser (ACCOUNT_SESSION_REMEMBER).
SESSION_COOKIE_AGE = (RESIDENT_SESSION_IDLE_DAYS + 1) * 24 * 3600
# The security log and the access log: kept this many days, at least 180 (a system
# check refuses less), even after the personal details they refer to are erased.
SECURITY_LOG_DAYS = env_int("SECURITY_LOG_DAYS", 180)

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "booking:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "booking:home"

# Security: strict by default outside development; each can be relaxed by its variable.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline script or style anywhere (config/security.py).
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# One handler, which takes the secrets that travel in URLs (the SMS callback token, a
# feed's secret) out of every line (config/log_redaction.py). Django's own loggers lose
# the handlers of its default configuration and write here too: "django.request" logs
# the path of every 4xx and 5xx, the development server every request line.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "config.log_redaction.RedactSecrets"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        name: {"handlers": [], "level": os.environ.get("LOG_LEVEL", "INFO"), "propagate": True}
        for name in ("django", "django.server")
    },
}
