"""``manage.py sms_templates --provider alibaba|tencent [--language zh-hans|en]``.

Prints what the operator registers with the provider, one template per message and
language (sms/registry.py): the key of ``SMS_TEMPLATE_IDS`` for its id, the template type,
the text in the provider's own syntax (``${name}`` for Aliyun, ``{1}`` for Tencent), each
variable's type and maximum length (Aliyun also as the ``TemplateRule`` of
CreateSmsTemplate) and an example message. The site's address (``SITE_URL``) and the
sign-in code's validity are fixed text: change them and the templates are registered again.
"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand

from sms import registry

PROVIDER_NAMES = {
    "alibaba": "Alibaba Cloud SMS (阿里云短信服务)",
    "tencent": "Tencent Cloud SMS (腾讯云短信)",
}


def variable_name(provider: str, name: str, number: int) -> str:
    return "${" + name + "}" if provider == "alibaba" else "{" + str(number) + "}"


def describe(name: str, language: str, provider: str) -> list[str]:
    """The lines that tell the operator how to register one message in one language."""
    entry = registry.template(name)
    key = registry.registration_key(name, language)
    order = registry.order(name, language)
    lines = [
        f"== {name} · {language} · SMS_TEMPLATE_IDS[{json.dumps(key)}]",
        f"Type: {registry.PROVIDER_TEMPLATE_TYPES[provider][entry.type]} ({entry.type})",
        f"Purpose: {entry.purpose}",
        f"Text: {registry.provider_text(name, language, provider)}",
        "Variables:",
    ]
    for number, variable_key in enumerate(order, 1):
        variable = entry.variable(variable_key)
        kind = registry.PROVIDER_VARIABLE_TYPES[provider][variable.type]
        length = (
            f"exactly {variable.max_length}"
            if variable.min_length == variable.max_length
            else f"{variable.min_length} to {variable.max_length}"
        )
        lines.append(
            f"  {variable_name(provider, variable.name, number)}  {variable.name}: {kind}, "
            f"{length} characters"
        )
    if provider == "alibaba":
        rule = {key: registry.ALIBABA_RULE_CODES[entry.variable(key).type] for key in order}
        lines.append(f"TemplateRule: {json.dumps(rule, ensure_ascii=False)}")
    sign_name = settings.SMS_OPTIONS.get("sign_name") or "签名"
    if name.endswith("_safe"):
        sign_name = settings.SMS_OPTIONS.get("sign_name_safe") or "中性签名"
    example = registry.render(name, registry.EXAMPLES[language], language)
    lines.append(f"Example: 【{sign_name}】{example}")
    return lines


class Command(BaseCommand):
    help = "Print the SMS templates to register with Alibaba Cloud or Tencent Cloud."

    def add_arguments(self, parser):
        parser.add_argument("--provider", required=True, choices=registry.PROVIDERS)
        parser.add_argument(
            "--language",
            choices=registry.LANGUAGES,
            action="append",
            help="Only this language (may be given twice); all by default.",
        )

    def handle(self, *args, provider, language=None, **options):
        languages = language or list(registry.LANGUAGES)
        count = len(registry.REGISTRY) * len(languages)
        site = registry.site_address()
        self.stdout.write(
            f"{count} templates to register with {PROVIDER_NAMES[provider]}. Put the id "
            "the provider gives each one into SMS_TEMPLATE_IDS under the key shown.\n"
            f"Fixed text in them: the site's page for follow-up codes {site} and the "
            f"sign-in code's validity ({registry.LOGIN_CODE_MINUTES} minutes).\n"
        )
        if not settings.SITE_URL:
            self.stderr.write("SITE_URL is not set: the follow-up texts lack the site's address.")
        if provider == "tencent":
            self.stdout.write(
                "Tencent grants each variable's length in its console: ask for the lengths "
                "below (new accounts default to 6 characters).\n"
            )
        for name in registry.REGISTRY:
            for each in languages:
                self.stdout.write("\n".join(describe(name, each, provider)) + "\n")
