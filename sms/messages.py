"""What each message says, defined once: ``sms/templates/sms/<language>/<name>.txt``, with
its variables typed in the registry (sms/registry.py).

Wording is neutral: time, place, reference code and the office's signature — never the
area of law, the other party or anything about the matter. The ``_safe`` variants, used
when a resident asked to be contacted discreetly, carry only the time and the reference
code (or a follow-up's code): not even the office's name or the words "legal aid".
"""

from sms import registry
from sms.backends import OutgoingSMS, PermanentError

LANGUAGES = registry.LANGUAGES
DEFAULT_LANGUAGE = registry.DEFAULT_LANGUAGE


def render_text(name: str, params: dict[str, str], language: str) -> str:
    return registry.render(name, params, language)


def build_sms(message) -> OutgoingSMS:
    """The provider-neutral form of an outbox row, checked against the registry again: a
    row that no longer fits (queued before a template changed) fails with
    ``does_not_fit`` instead of going out wrong."""
    language = registry.language_of(message.language)
    params = registry.values_of(message.template, message.params, language)
    found = registry.problems(message.template, params)
    if found:
        raise PermanentError(registry.DOES_NOT_FIT, "; ".join(map(str, found)))
    return OutgoingSMS(
        to=message.recipient,
        # Tencent takes the values in this order; the key names the language's template.
        template=registry.registration_key(message.template, language),
        params=params,
        text=render_text(message.template, params, language),
        language=language,
        idempotency_key=message.idempotency_key,
        safe_contact=message.template.endswith("_safe"),
        out_id=message.out_id,
    )
