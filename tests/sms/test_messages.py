"""Message texts: neutral always, and discreet when the resident asked for it."""

import pytest

from sms.messages import LANGUAGES, render_text
from sms.registry import EXAMPLES, REGISTRY

PARAMS = EXAMPLES["zh-hans"]
# Words that would tell someone holding the phone what the matter is or who helps.
MATTER_WORDS = [
    "婚姻", "离婚", "家庭", "债务", "欠薪", "劳动", "土地", "拆迁", "医疗", "交通",
    "family", "divorce", "debt", "wage", "labour", "land", "medical", "traffic",
]  # fmt: skip
DISCREET_WORDS = ["法律", "律师", "司法", "援助", "咨询", "legal", "lawyer", "justice", "aid ",
                  "consultation", "司法所", "青石镇", "0731"]  # fmt: skip


def example(name: str, language: str) -> dict[str, str]:
    return {key: EXAMPLES[language][key] for key in REGISTRY[name].names}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_message_renders_all_its_parameters_and_no_matter(name, language):
    params = example(name, language)
    text = render_text(name, params, language)
    for key, value in params.items():
        assert value in text, (name, key)
    assert "{" not in text and "$" not in text
    lowered = text.lower()
    assert not [word for word in MATTER_WORDS if word.lower() in lowered]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", [name for name in REGISTRY if name.endswith("_safe")])
def test_discreet_messages_carry_only_time_and_reference(name, language, settings):
    settings.SITE_URL = "https://yuyue.example.org"
    text = render_text(name, example(name, language), language)
    lowered = text.lower()
    assert not [word for word in DISCREET_WORDS if word.lower() in lowered], text
    assert "office_name" not in REGISTRY[name].names


def test_every_message_but_discreet_ones_and_codes_ends_with_the_office_signature():
    endings = {
        "zh-hans": "——青石镇司法所，电话0731-57860148",
        "en": "— 青石镇司法所, tel. 0731-57860148",
    }
    for name in REGISTRY:
        # The daily summary goes to the office's own admins and starts with its name.
        if name.endswith("_safe") or name == "login_code" or name.startswith("summary"):
            continue
        for language in LANGUAGES:
            text = render_text(name, example(name, language), language)
            assert text.endswith(endings[language]), text


def test_chinese_is_the_default_for_unknown_languages():
    text = render_text("login_code", {"code": "482913"}, "fr")
    assert text == "验证码482913，10分钟内有效。请勿告诉他人。"


def test_names_are_not_html_escaped():
    params = example("cancellation", "en") | {"office_name": "A&B <司法所>"}
    assert "A&B <司法所>" in render_text("cancellation", params, "en")
