"""Start-up checks: a production site must know how to send its text messages."""

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

NO_BACKEND = "sms.E001"
BAD_BACKEND = "sms.E002"


@register()
def check_sms_backend(app_configs, **kwargs):
    if not settings.SMS_BACKEND:
        return [
            Error(
                "SMS_BACKEND is not set: confirmations, reminders and sign-in codes "
                "could not be sent.",
                hint="Set SMS_BACKEND (and SMS_OPTIONS) to a provider, e.g. "
                "sms.backends.alibaba.AlibabaBackend; see docs/sms.md.",
                id=NO_BACKEND,
            )
        ]
    try:
        import_string(settings.SMS_BACKEND)
    except ImportError as error:
        return [Error(f"SMS_BACKEND cannot be imported: {error}", id=BAD_BACKEND)]
    return []


# A provider abroad (PIPL) and Twilio's delivery reports ----------------------------------

PROVIDER_ABROAD = "sms.E010"
NO_STATUS_CALLBACK = "sms.W010"
#: The IANA zones of mainland China, links included (Hong Kong and Macao are not).
MAINLAND_CHINA_ZONES = frozenset(
    {"Asia/Shanghai", "Asia/Urumqi", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin",
     "Asia/Kashgar", "PRC"}
)  # fmt: skip


def mainland_china_zones() -> set[str]:
    """The mainland zones of the offices and of ``TIME_ZONE`` (the site's own zone, which
    also speaks for a database not migrated yet, or without an office so far)."""
    from django.db import DatabaseError

    # Offices are booking's (an app that uses sms): named, not imported.
    Office = apps.get_model("booking", "Office")

    zones = {settings.TIME_ZONE} & MAINLAND_CHINA_ZONES
    try:
        offices = Office.objects.filter(time_zone__in=MAINLAND_CHINA_ZONES)
        zones |= set(offices.values_list("time_zone", flat=True).distinct())
    except DatabaseError:  # no table yet (before `migrate`), or no database to ask
        pass
    return zones


@register()
def check_provider_abroad(app_configs, **kwargs):
    """PIPL art. 36: personal information handled by state organs is stored in mainland
    China, so residents' numbers go to a provider abroad only where a deployment says it
    may (``SMS_ALLOW_PROVIDER_ABROAD``)."""
    try:
        backend = import_string(settings.SMS_BACKEND) if settings.SMS_BACKEND else None
    except ImportError:
        return []  # check_sms_backend reports it
    if backend is None or not getattr(backend, "outside_mainland_china", False):
        return []
    errors: list[CheckMessage] = []
    if not settings.SMS_ALLOW_PROVIDER_ABROAD:
        zones = mainland_china_zones()
        if zones:
            errors.append(
                Error(
                    f"SMS_BACKEND {settings.SMS_BACKEND} sends residents' numbers and "
                    "texts to a provider outside mainland China, and this site's offices "
                    f"are in mainland China ({', '.join(sorted(zones))}): personal "
                    "information handled by state organs is to be stored in mainland "
                    "China (PIPL art. 36).",
                    hint="Use sms.backends.alibaba.AlibabaBackend or "
                    "sms.backends.tencent.TencentBackend; or, where the deployment has the "
                    "legal basis for it, set SMS_ALLOW_PROVIDER_ABROAD=1 (see docs/sms.md).",
                    id=PROVIDER_ABROAD,
                )
            )
    from sms.backends.twilio import TwilioBackend

    if issubclass(backend, TwilioBackend) and not (
        settings.SITE_URL and settings.SMS_CALLBACK_TOKEN
    ):
        errors.append(
            Warning(
                "Twilio is sent no StatusCallback without SITE_URL and SMS_CALLBACK_TOKEN: "
                "its messages will stay 'sent', and no failed text reaches the office's "
                "pages.",
                hint="Set SITE_URL (the public https address) and SMS_CALLBACK_TOKEN.",
                id=NO_STATUS_CALLBACK,
            )
        )
    return errors


# The registered templates (sms/registry.py) --------------------------------------------

TEMPLATE_IDS_MISSING = "sms.E020"
NO_SITE_ADDRESS = "sms.E021"


def _backend_class():
    try:
        return import_string(settings.SMS_BACKEND) if settings.SMS_BACKEND else None
    except ImportError:
        return None  # check_sms_backend reports it


@register()
def check_sms_templates(app_configs, **kwargs):
    """A provider that sends registered templates needs the id of every message in every
    language the site offers; and texts that name the site need its address."""
    from sms import registry
    from sms.backends.base import TemplateBackend

    backend = _backend_class()
    if backend is None:
        return []
    errors = []
    templates = issubclass(backend, TemplateBackend)
    if templates:
        offered = {code for code, _name in settings.LANGUAGES}
        languages = [language for language in registry.LANGUAGES if language in offered]
        missing = [
            key
            for key in registry.registration_keys(languages)
            if not settings.SMS_TEMPLATE_IDS.get(key)
        ]
        if missing:
            errors.append(
                Error(
                    f"SMS_TEMPLATE_IDS has no template id for {', '.join(missing)}: these "
                    f"messages would not be sent by {settings.SMS_BACKEND}.",
                    hint="Register the templates that `manage.py sms_templates --provider "
                    "alibaba|tencent` prints and give their ids in SMS_TEMPLATE_IDS (JSON; "
                    '"confirmation" is the Chinese text, "confirmation:en" the English).',
                    id=TEMPLATE_IDS_MISSING,
                )
            )
    provider = templates or getattr(backend, "outside_mainland_china", False)
    if provider and not settings.SITE_URL:
        errors.append(
            Error(
                "SITE_URL is not set: follow-up invitations give the site's address as "
                "fixed text of their template, and would give none.",
                hint="Set SITE_URL to the public address (https://…, on a domain with ICP "
                "filing for mainland providers), then print and register the templates.",
                id=NO_SITE_ADDRESS,
            )
        )
    return errors
