"""What each message says, defined once: ``sms/templates/sms/<language>/<name>.txt``.

Every message names its parameters in ``PARAMETERS``, in the order that template
providers which take a list (Tencent Cloud) expect them; the text templates use the same
names. Wording is neutral: time, place, reference code and the office's signature —
never the area of law, the other party or anything about the matter. The ``_safe``
variants, used when a resident asked to be contacted discreetly, carry only the time and
the reference code: not even the office's name or the words "legal aid".
"""

from functools import cache

from django.template import Context, Engine

from sms.backends import OutgoingSMS

LANGUAGES = ("zh-hans", "en")
DEFAULT_LANGUAGE = "zh-hans"
_APPOINTMENT = ("date", "time", "place", "reference", "office_name", "office_phone")
_SAFE = ("date", "time", "reference")
PARAMETERS: dict[str, tuple[str, ...]] = {
    "login_code": ("code", "minutes"),
    "confirmation": _APPOINTMENT,
    "confirmation_safe": _SAFE,
    "reminder": _APPOINTMENT,
    "reminder_safe": _SAFE,
    "cancellation": ("date", "time", "reference", "office_name", "office_phone"),
    "cancellation_safe": _SAFE,
    "reschedule": _APPOINTMENT,
    "reschedule_safe": _SAFE,
    "follow_up": ("by_date", "link", "office_name", "office_phone"),
    "follow_up_safe": ("by_date", "link"),
    # To the office's own admins (booking/services/summary.py): counts only, "<5" applied.
    "summary": (
        "office_name",
        "date",
        "consultations",
        "attended",
        "no_shows",
        "walk_ins",
        "desk_bookings",
        "next_free",
    ),
}


@cache
def _engine() -> Engine:
    # Plain text: no HTML escaping of names such as "A&B".
    return Engine(app_dirs=True, autoescape=False)


def render_text(name: str, params: dict[str, str], language: str) -> str:
    if name not in PARAMETERS:
        raise KeyError(f"Unknown message {name!r}.")
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    template = _engine().get_template(f"sms/{language}/{name}.txt")
    return " ".join(template.render(Context(params, autoescape=False)).split())


def build_sms(message) -> OutgoingSMS:
    """The provider-neutral form of an outbox row."""
    params = {key: str(message.params.get(key, "")) for key in PARAMETERS[message.template]}
    return OutgoingSMS(
        to=message.recipient,
        template=message.template,
        params=params,
        text=render_text(message.template, params, message.language),
        language=message.language,
        idempotency_key=message.idempotency_key,
        safe_contact=message.template.endswith("_safe"),
        out_id=message.out_id,
    )
