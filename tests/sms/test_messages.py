"""Message texts: neutral always, and discreet when the resident asked for it."""

import pytest

from sms.messages import LANGUAGES, PARAMETERS, render_text

PARAMS = {
    "code": "482913",
    "minutes": "10",
    "date": "12月8日（周二）",
    "time": "09:30",
    "place": "湖南省某县青石镇人民路18号",
    "reference": "3817 2054",
    "office_name": "青石镇司法所",
    "office_phone": "0731-57860148",
    "by_date": "12月20日",
    "link": "https://example.invalid/b/1",
    "consultations": "23",
    "attended": "17",
    "no_shows": "<5",
    "walk_ins": "0",
    "desk_bookings": "6",
    "next_free": "12月9日 14:30",
}
# Words that would tell someone holding the phone what the matter is or who helps.
MATTER_WORDS = [
    "婚姻", "离婚", "家庭", "债务", "欠薪", "劳动", "土地", "拆迁", "医疗", "交通",
    "family", "divorce", "debt", "wage", "labour", "land", "medical", "traffic",
]  # fmt: skip
DISCREET_WORDS = ["法律", "律师", "司法", "援助", "咨询", "legal", "lawyer", "justice", "aid ",
                  "consultation", "司法所", "青石镇", "0731"]  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_every_message_renders_all_its_parameters_and_no_matter(name, language):
    text = render_text(name, {key: PARAMS[key] for key in PARAMETERS[name]}, language)
    for key in PARAMETERS[name]:
        assert PARAMS[key] in text, (name, key)
    assert "{" not in text
    lowered = text.lower()
    assert not [word for word in MATTER_WORDS if word.lower() in lowered]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", [name for name in PARAMETERS if name.endswith("_safe")])
def test_discreet_messages_carry_only_time_and_reference(name, language):
    text = render_text(name, {key: PARAMS[key] for key in PARAMETERS[name]}, language)
    lowered = text.lower()
    assert not [word for word in DISCREET_WORDS if word.lower() in lowered], text
    assert "office_name" not in PARAMETERS[name]


def test_every_message_but_discreet_ones_and_codes_ends_with_the_office_signature():
    for name, keys in PARAMETERS.items():
        # The daily summary goes to the office's own admins and starts with its name.
        if name.endswith("_safe") or name in ("login_code", "summary"):
            continue
        for language in LANGUAGES:
            text = render_text(name, {key: PARAMS[key] for key in keys}, language)
            assert text.endswith(f"{PARAMS['office_name']} {PARAMS['office_phone']}"), text


def test_chinese_is_the_default_for_unknown_languages():
    text = render_text("login_code", {"code": "1", "minutes": "10"}, "fr")
    assert "验证码" in text


def test_names_are_not_html_escaped():
    params = {key: PARAMS[key] for key in PARAMETERS["cancellation"]}
    params["office_name"] = "A&B <司法所>"
    assert "A&B <司法所>" in render_text("cancellation", params, "en")
