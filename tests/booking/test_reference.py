from hypothesis import given
from hypothesis import strategies as st

from booking.reference import format_reference, new_reference, normalize_reference


def test_new_codes_are_eight_digits_that_validate():
    codes = {new_reference() for _ in range(1000)}
    assert len(codes) > 990
    for code in codes:
        assert len(code) == 8
        assert code.isdigit()
        assert code[0] != "0"
        assert normalize_reference(code) == code


def test_codes_are_accepted_as_people_type_them():
    code = new_reference()
    full_width = "".join(chr(ord(ch) - ord("0") + ord("０")) for ch in code)
    for typed in [format_reference(code), f"{code[:4]}-{code[4:]}", f" {code} ", full_width]:
        assert normalize_reference(typed) == code


@given(st.integers(0, 7), st.integers(1, 9))
def test_any_single_wrong_digit_is_caught(position, change):
    code = new_reference()
    wrong = str((int(code[position]) + change) % 10)
    assert normalize_reference(code[:position] + wrong + code[position + 1 :]) is None


@given(st.integers(0, 6))
def test_any_swap_of_neighbouring_digits_is_caught(position):
    code = new_reference()
    if code[position] == code[position + 1]:
        return
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert normalize_reference(swapped) is None


def test_other_text_is_not_a_code():
    for text in ["", "1234567", "123456789", "abcd efgh", None]:
        assert normalize_reference(text) is None
