"""``manage.py sms_templates``: what the operator registers, checked against the registry."""

import io
import json
import re

import pytest
from django.core.management import call_command

from sms import registry

SITE = "https://yuyue.example.gov.cn"
LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


def printed(provider: str, *languages: str) -> str:
    out = io.StringIO()
    args = ["sms_templates", "--provider", provider]
    for language in languages:
        args += ["--language", language]
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def sections(text: str) -> dict[str, list[str]]:
    """Each template's lines, by the SMS_TEMPLATE_IDS key in its heading."""
    found = {}
    for block in text.split("\n== ")[1:]:
        lines = block.strip().splitlines()
        key = json.loads(re.search(r"SMS_TEMPLATE_IDS\[(.+)\]$", lines[0]).group(1))
        found[key] = lines
    return found


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.SMS_OPTIONS = {"sign_name": "青石镇司法所", "sign_name_safe": "预约通知"}


@pytest.mark.parametrize("provider", registry.PROVIDERS)
def test_every_template_in_every_language_is_printed_with_typed_variables(provider):
    found = sections(printed(provider))
    assert sorted(found) == sorted(registry.registration_keys())
    for key, lines in found.items():
        name, _sep, language = key.partition(":")
        language = language or registry.DEFAULT_LANGUAGE
        entry = registry.template(name)
        fields = dict(line.split(": ", 1) for line in lines[1:] if line[0] != " " and ": " in line)
        assert fields["Type"].endswith(f"({entry.type})")
        text = fields["Text"]
        variables = [line.strip() for line in lines if line.startswith("  ")]
        assert len(variables) == len(entry.variables)
        if provider == "alibaba":
            assert re.findall(r"\$\{(\w+)\}", text) == list(registry.order(name, language))
            rule = json.loads(fields["TemplateRule"])
            assert set(rule) == set(entry.names)
        else:
            numbers = [int(n) for n in re.findall(r"\{(\d+)\}", text)]
            assert numbers == list(range(1, len(entry.variables) + 1))
        for line, variable_name in zip(variables, registry.order(name, language), strict=True):
            variable = entry.variable(variable_name)
            kind = registry.PROVIDER_VARIABLE_TYPES[provider][variable.type]
            assert f"{variable.name}: {kind}, " in line
            assert f"{variable.max_length} characters" in line
            assert variable.max_length <= registry.PROVIDER_MAX_LENGTHS[provider][variable.type]
        # A link only as fixed text: the site's, where the registry puts it.
        assert bool(LINK.search(text)) == name.startswith("follow_up")
        if LINK.search(text):
            assert f"{SITE}/f/" in text
        assert len(fields["Example"]) <= registry.TEMPLATE_MAX_LENGTH


def test_the_example_is_the_message_as_the_phone_shows_it():
    found = sections(printed("tencent", "zh-hans"))
    assert found["confirmation"][-1] == (
        "Example: 【青石镇司法所】您已预约免费法律咨询：12月8日（星期二）09:30，"
        "地点：青石镇政府一楼。预约号38172054。不能来请提前取消。——青石镇司法所，电话0731-57860148"
    )
    assert found["follow_up_safe"][-1] == (
        f"Example: 【预约通知】请在12月20日前打开 {SITE}/f/ ，输入代码52718364预约。"
    )
    assert "{1}" in found["confirmation"][3] and "${" not in found["confirmation"][3]


def test_one_language_only():
    found = sections(printed("alibaba", "en"))
    assert sorted(found) == sorted(f"{name}:en" for name in registry.REGISTRY)
