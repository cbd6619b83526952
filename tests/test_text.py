"""What is kept of typed text (accounts/text.py), and that every form keeps only that.

Property-based: any text at all (every code point but surrogates) is either refused with
one of the module's messages, exactly when it holds a direction override or a control
character that is no white space, or cleaned to a value without control and format
characters (line breaks and tabs only in free text), the same when cleaned again.
"""

import inspect
import unicodedata

import pytest
from django import forms
from django.utils.datastructures import MultiValueDict
from hypothesis import example, given, settings
from hypothesis import strategies as st

import booking.forms.availability
import booking.forms.desk
import booking.forms.lawyer
import booking.forms.queue
import booking.forms.resident
from accounts.text import (
    CONTROL_CHARACTER,
    DIRECTION_OVERRIDE,
    TextRefused,
    clean_name,
    clean_text,
    drop_ignorable,
)
from booking.conflicts import normalise_name
from booking.forms.resident import DetailsForm, FreeTextField, NameField
from tests import strategies as bad

ANY_CHARACTER = st.characters(exclude_categories=("Cs",))
# Characters of the kinds the module is about, so that examples meet them often.
TRICKY = st.sampled_from(
    [
        *"\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
        *"\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u034f\u3164\uffa0\U000e0041",
        *"\x00\x07\x1b\x7f\x85\x9f\t\n\r\x0b\x0c\x1c\x1f\u2028\u2029",
        *" \u3000\u00a0\u2003\ufe0f\U000e0100\u0301",
        *"王五李四ＷａｎｇＷｕ①㎡·",
    ]
)
typed = st.text(st.one_of(ANY_CHARACTER, TRICKY), max_size=60)


def hidden(text: str, allowed: str = "") -> list[str]:
    return [
        char for char in text if unicodedata.category(char) in ("Cc", "Cf") and char not in allowed
    ]


def refused_for(text: str) -> bool:
    """Whether the module is to refuse ``text``: an override, or a non-space control."""
    return any(
        char in "\u202d\u202e" or (unicodedata.category(char) == "Cc" and not char.isspace())
        for char in text
    )


@settings(max_examples=400, deadline=None)
@given(value=typed)
@example(value="\u202ename\u202c")
@example(value="\u200f\u200e\u200b")
@example(value="a\x00b")
def test_a_name_is_refused_or_kept_without_hidden_characters_on_one_line(value):
    try:
        name = clean_name(value)
    except TextRefused as refused:
        assert refused_for(value)
        assert refused.message in (DIRECTION_OVERRIDE, CONTROL_CHARACTER)
        return
    assert not refused_for(value)
    assert not hidden(name)
    assert name == name.strip() and "  " not in name
    assert not any(char.isspace() and char != " " for char in name)
    assert "\u3164" not in name and "\u1160" not in name
    assert clean_name(name) == name


@settings(max_examples=400, deadline=None)
@given(value=typed, multiline=st.booleans())
@example(value="第一行\r\n第二行\t完\u2028第三行", multiline=True)
def test_free_text_is_refused_or_kept_with_only_line_breaks_and_tabs(value, multiline):
    try:
        text = clean_text(value, multiline=multiline)
    except TextRefused as refused:
        assert refused_for(value)
        assert refused.message in (DIRECTION_OVERRIDE, CONTROL_CHARACTER)
        return
    assert not refused_for(value)
    assert not hidden(text, allowed="\n\t" if multiline else "\t")
    assert text == text.strip()
    assert clean_text(text, multiline=multiline) == text


@pytest.mark.parametrize(
    ("typed_as", "kept"),
    [
        (" 王\u200b五 ", "王五"),  # a zero-width space from a phone keyboard
        ("\ufeff李四", "李四"),  # a byte-order mark pasted at the start
        ("\u202a+86 138 0013 8000\u202c", "+86 138 0013 8000"),  # copied on a phone
        ("阿卜杜\u2068·\u2069热合曼", "阿卜杜·热合曼"),  # an isolate around the dot
        ("Ｗａｎｇ　Ｗｕ", "Wang Wu"),  # full width, ideographic space
        ("赵\u00ad大妈", "赵大妈"),  # a soft hyphen
        ("李\t四\n", "李 四"),  # a tab and a line break pasted from a table
        ("\u3164", ""),  # a Hangul filler: nothing to see
        ("\u200b\u200d", ""),
    ],
)
def test_names_are_cleaned_of_what_phones_put_in_by_accident(typed_as, kept):
    assert clean_name(typed_as) == kept


@pytest.mark.parametrize("typed_as", ["\u202e王五", "王五\u202d", "李\x1b[31m四", "a\x07"])
def test_names_with_overrides_or_controls_are_refused_with_a_message(typed_as):
    with pytest.raises(TextRefused) as refused:
        clean_name(typed_as)
    expected = DIRECTION_OVERRIDE if "\u202e" in typed_as or "\u202d" in typed_as else None
    assert refused.value.message == (expected or CONTROL_CHARACTER)


def test_free_text_keeps_its_lines_tabs_and_full_width_forms():
    typed_as = "　　房子120㎡，①欠款\r\n②\t打人\u200b\u2028完"
    assert clean_text(typed_as) == "房子120㎡，①欠款\n②\t打人\n完"
    assert clean_text(typed_as, multiline=False) == "房子120㎡，①欠款 ②\t打人 完"
    with pytest.raises(TextRefused) as refused:
        clean_text("他欠我\u202e元万三")
    assert refused.value.message == DIRECTION_OVERRIDE


@settings(max_examples=200, deadline=None)
@given(value=typed)
def test_the_conflict_key_ignores_whatever_the_stored_name_drops(value):
    """The same key for a name as typed and as kept, and nothing invisible in it."""
    key = normalise_name(value)
    assert not hidden(key)
    assert normalise_name(drop_ignorable(value)) == key
    if not refused_for(value):
        assert normalise_name(clean_name(value)) == key


# Every form: typed fields are NameField or FreeTextField.

FORM_MODULES = [
    booking.forms.resident,
    booking.forms.desk,
    booking.forms.queue,
    booking.forms.lawyer,
    booking.forms.availability,
]
# Fields that are not typed text: values the pages carry, and numbers parsed elsewhere.
NOT_TYPED = {
    ("ChosenSlotForm", "start"),
    ("FindResidentForm", "phone"),
    ("DeskBookingForm", "slot"),
    ("ArrivalForm", "who"),
    ("DecisionsForm", "stranded"),
}


def _forms():
    for module in FORM_MODULES:
        for name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, forms.Form) and value.__module__ == module.__name__:
                yield name, value


@pytest.mark.parametrize(("name", "form"), list(_forms()), ids=lambda v: getattr(v, "__name__", v))
def test_every_typed_field_of_every_form_keeps_only_clean_text(name, form):
    for field_name, field in form.base_fields.items():
        if type(field) is not forms.CharField:
            continue  # phone numbers, dates, choices, booleans: not free text
        assert (name, field_name) in NOT_TYPED, f"{name}.{field_name} is a plain CharField"
    typed_fields = [
        field for field in form.base_fields.values() if isinstance(field, NameField | FreeTextField)
    ]
    for field in typed_fields:
        assert field.max_length, "a typed field without a length limit"


@settings(max_examples=150, deadline=None)
@given(
    data=bad.form(
        name=typed, summary=typed, opposing_party=typed, dialect=typed, accessibility_needs=typed
    )
)
def test_the_booking_forms_clean_data_holds_no_hidden_characters(data):
    posted = {**data, "privacy_accepted": "on", "matter_consent": "on"}
    form = DetailsForm(
        MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in posted.items()})
    )
    form.is_valid()
    messages = {str(DIRECTION_OVERRIDE), str(CONTROL_CHARACTER)}
    for name in ("name", "opposing_party", "dialect", "accessibility_needs", "summary"):
        value = form.cleaned_data.get(name)
        if isinstance(value, str):
            assert not hidden(value, allowed="\n\t" if name == "summary" else "\t"), name
        values = data.get(name)
        sent = values[-1] if isinstance(values, list) else values
        if isinstance(sent, str) and refused_for(sent):
            assert messages & {str(error) for error in form.errors.get(name, [])}, name
