"""Tests for common.identifiers (USCC and phone numbers)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.identifiers import (
    USCC_CHARSET,
    is_service_number,
    is_valid_phone,
    is_valid_uscc,
    make_uscc,
    normalize_phone,
    normalize_uscc,
    to_halfwidth,
    uscc_check_digit,
)

# Codes as printed on real business licences (public registry data).
KNOWN_VALID = ["91350100M000100Y43", "91110000600037341L", "91110108551385082Q", "914403001922038216"]


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# --------------------------------------------------------------------- USCC


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_known_codes_are_valid(code):
    assert is_valid_uscc(code)
    assert uscc_check_digit(code[:17]) == code[17]


def test_check_digit_31_maps_to_zero():
    # Weighted sum 0 gives 31 - 0 = 31, which must map to check character "0".
    assert uscc_check_digit("0" * 17) == "0"
    assert is_valid_uscc("0" * 18)


def test_check_digit_rejects_bad_input():
    with pytest.raises(ValueError, match="expected 17 characters"):
        uscc_check_digit("1234")
    with pytest.raises(ValueError, match="expected 17 characters"):
        uscc_check_digit("9135010OM000100Y4")  # letter O is not in the charset


def test_check_digit_accepts_lower_case():
    assert uscc_check_digit("91350100m000100y4") == "3"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check digit
        "91350100M000100Y4",  # 17 chars
        "91350100M000100Y433",  # 19 chars
        "9135010OM000100Y43",  # O not allowed
        "",
        None,
        12345,
    ],
)
def test_invalid_codes(code):
    assert not is_valid_uscc(code)


def test_normalize_uscc_folds_fullwidth_spaces_dashes_case():
    assert normalize_uscc(" ９１３５０１００ｍ000-100 y43 ") == "91350100M000100Y43"
    assert is_valid_uscc("9135-0100-m000-100y43")
    assert is_valid_uscc(_fullwidth("91350100M000100Y43"))


def test_make_uscc_is_deterministic_and_realistic():
    assert make_uscc(7) == make_uscc(7)
    codes = {make_uscc(seed) for seed in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert code[0] == "9" and code[1] in "123" and code[2:8].isdigit()


@settings(max_examples=300)
@given(st.integers())
def test_every_make_uscc_is_valid(seed):
    code = make_uscc(seed)
    assert len(code) == 18 and set(code) <= set(USCC_CHARSET)
    assert is_valid_uscc(code)


@settings(max_examples=300)
@given(st.integers(), st.integers(min_value=0, max_value=17), st.sampled_from(USCC_CHARSET))
def test_changing_one_character_invalidates(seed, index, replacement):
    code = make_uscc(seed)
    if code[index] == replacement:
        return
    mutated = code[:index] + replacement + code[index + 1:]
    assert not is_valid_uscc(mutated)


@given(st.text(max_size=40))
def test_is_valid_uscc_never_raises(text):
    assert is_valid_uscc(text) in (True, False)


# --------------------------------------------------------------- halfwidth


@given(st.text())
def test_to_halfwidth_preserves_length(text):
    assert len(to_halfwidth(text)) == len(text)


def test_to_halfwidth_folds_fullwidth_ascii_only():
    assert to_halfwidth("Ｂ级１０万，（０１０）％￥") == "B级10万,(010)%¥"
    assert to_halfwidth("增值税。、") == "增值税。、"
    assert to_halfwidth("ﬁ") == "ﬁ"  # NFKC would make two characters: kept as is


# ------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    "text, expected",
    [
        ("13800138000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("+86 13800138000", "13800138000"),
        ("+86-138-0013-8000", "13800138000"),
        ("8613912345678", "13912345678"),
        ("0086 19912345678", "19912345678"),
        ("１３８００１３８０００", "13800138000"),
        ("010-62345678", "010-62345678"),
        ("(010)62345678", "010-62345678"),
        ("（０１０）６２３４５６７８", "010-62345678"),
        ("01062345678", "010-62345678"),
        ("021 52345678", "021-52345678"),
        ("0755-23456789", "0755-23456789"),
        ("0571-8888888", "0571-8888888"),
        ("0755-23456789-801", "0755-23456789-801"),
        ("0755-23456789转801", "0755-23456789-801"),
        ("010-62345678 分机 12", "010-62345678-12"),
    ],
)
def test_normalize_phone_accepts(text, expected):
    assert normalize_phone(text) == expected
    assert is_valid_phone(text)


@pytest.mark.parametrize(
    "text",
    [
        "12366",  # tax hotline
        "12345",
        "95566",
        "10086",
        "400-810-1234",
        "4008101234",
        "800-820-8820",
        "12800138000",  # 12x is not a mobile prefix
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "010-1234567",  # Beijing numbers have 8 digits
        "010-02345678",  # local numbers never start with 0/1
        "62345678",  # no area code
        "(010-62345678",  # unbalanced parenthesis
        "hello",
        "",
    ],
)
def test_normalize_phone_rejects(text):
    assert normalize_phone(text) is None
    assert not is_valid_phone(text)


def test_normalize_phone_non_string():
    assert normalize_phone(None) is None


@pytest.mark.parametrize("text", ["12366", "12345", "110", "95566", "400-810-1234", "800 820 8820"])
def test_service_numbers(text):
    assert is_service_number(text)


@pytest.mark.parametrize("text", ["13800138000", "010-62345678", "hello"])
def test_not_service_numbers(text):
    assert not is_service_number(text)


@given(st.text(max_size=30))
def test_phone_functions_never_raise(text):
    value = normalize_phone(text)
    assert value is None or is_valid_phone(value)
