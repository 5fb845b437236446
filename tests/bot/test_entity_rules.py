"""Tests for bot.nlu.entity_rules.EntityExtractor."""

import datetime as dt
import functools
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.nlu.entity_rules import TAX_TYPES, EntityExtractor, parse_chinese_number
from common.identifiers import is_valid_uscc, make_uscc

TODAY = dt.date(2025, 5, 20)  # second quarter
VALID_USCC = "91350100M000100Y43"
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=1)
def extractor() -> EntityExtractor:
    return EntityExtractor()


def extract(text, today=TODAY):
    return extractor().extract(text, today)


def of_kind(text, entity, today=TODAY):
    return [e for e in extract(text, today) if e["entity"] == entity]


def values(text, entity, today=TODAY):
    return [e["value"] for e in of_kind(text, entity, today)]


def only(text, entity, today=TODAY):
    found = of_kind(text, entity, today)
    assert len(found) == 1, extract(text, today)
    return found[0]


def fullwidth(text):
    """ASCII -> full-width forms (the inverse of to_halfwidth for ASCII)."""
    return "".join(
        "\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text
    )


def test_result_shape_and_offsets():
    text = "税号91350100M000100Y43，电话13800138000"
    result = extract(text)
    assert [e["entity"] for e in result] == ["uscc", "phone"]
    for ent in result:
        assert set(ent) == {"entity", "value", "start", "end", "text"}
        assert text[ent["start"]:ent["end"]] == ent["text"]


def test_today_defaults_to_the_date_in_china():
    china_today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert extractor().extract("今年")[0]["value"] == str(china_today.year)


def test_non_string_raises_type_error():
    with pytest.raises(TypeError):
        extractor().extract(None, TODAY)


# --------------------------------------------------------------------- USCC


def test_valid_uscc_inside_chinese_sentence():
    text = f"我们公司的税号是{VALID_USCC}请帮我查一下"
    ent = only(text, "uscc")
    assert ent["value"] == VALID_USCC
    assert ent["text"] == VALID_USCC
    assert ent["start"] == text.index(VALID_USCC)
    # Its digits are not re-read as amounts, phones or credit levels.
    assert [e["entity"] for e in extract(text)] == ["uscc"]


def test_uscc_lower_case_is_normalised():
    ent = only(f"税号：{VALID_USCC.lower()}。", "uscc")
    assert ent["value"] == VALID_USCC
    assert ent["text"] == VALID_USCC.lower()


def test_uscc_fullwidth():
    text = "税号" + fullwidth(VALID_USCC) + "。"
    ent = only(text, "uscc")
    assert ent["value"] == VALID_USCC
    assert ent["text"] == fullwidth(VALID_USCC)
    assert (ent["start"], ent["end"]) == (2, 20)


def test_uscc_wrong_check_digit_is_invalid():
    text = "我的信用代码是91350100M000100Y44。"
    assert of_kind(text, "uscc") == []
    ent = only(text, "uscc_invalid")
    assert ent["value"] == ent["text"] == "91350100M000100Y44"


def test_uscc_not_inside_longer_alnum_run():
    assert of_kind(f"X{VALID_USCC}", "uscc") == []
    assert of_kind(f"{VALID_USCC}9", "uscc") == []
    assert of_kind(f"X{VALID_USCC}", "uscc_invalid") == []
    assert of_kind("编号1234567890123456789", "uscc_invalid") == []


def test_uscc_digits_never_become_phone_or_amount():
    code = "91138001380001234W"  # contains a mobile-looking 13800138000
    assert is_valid_uscc(code)
    result = extract(f"代码{code}万元")
    assert [e["entity"] for e in result] == ["uscc"]


def test_resident_id_number_is_not_an_invalid_uscc():
    assert extract("身份证号110101199003078515") == []


@pytest.mark.parametrize("typed", ["91350100 M000100 Y43", "9135-0100-M000-100Y-43"])
def test_uscc_typed_in_groups(typed):
    ent = only(f"信用代码 {typed}，谢谢", "uscc")
    assert ent["value"] == VALID_USCC
    assert ent["text"] == typed


def test_uscc_typed_in_groups_with_wrong_check_digit_is_ignored():
    assert extract("信用代码 91350100 M000100 Y44") == []


def test_two_codes_in_one_message():
    other = make_uscc(3)
    text = f"{VALID_USCC}和{other}"
    assert values(text, "uscc") == [VALID_USCC, other]


# ------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    "text, value",
    [
        ("我的手机是13800138000，谢谢", "13800138000"),
        ("电话：+86 138-0013-8000", "13800138000"),
        ("手机１３８００１３８０００", "13800138000"),
        ("座机0755-23456789转801", "0755-23456789-801"),
        ("打010-62345678找我", "010-62345678"),
        ("联系（０２１）５２３４５６７８", "021-52345678"),
    ],
)
def test_phone(text, value):
    ent = only(text, "phone")
    assert ent["value"] == value
    assert text[ent["start"]:ent["end"]] == ent["text"]
    assert of_kind(text, "amount") == []


@pytest.mark.parametrize("text", ["有问题打12366", "客服热线400-810-1234", "打95566问问", "手机号138001380001"])
def test_not_a_phone(text):
    assert of_kind(text, "phone") == []
    assert of_kind(text, "amount") == []


# ------------------------------------------------------------------ amount


@pytest.mark.parametrize(
    "text, value, span",
    [
        ("10万", 100000, "10万"),
        ("十万元", 100000, "十万元"),
        ("10万元", 100000, "10万元"),
        ("100,000元", 100000, "100,000元"),
        ("1.5亿", 150000000, "1.5亿"),
        ("三千五百元", 3500, "三千五百元"),
        ("开了28万的普票", 280000, "28万"),
        ("销售额300万", 3000000, "300万"),
        ("收入１０万", 100000, "１０万"),
        ("１００，０００元", 100000, "１００，０００元"),
        ("10.5元", 10.5, "10.5元"),
        ("¥1,000", 1000, "¥1,000"),
        ("￥２００", 200, "￥２００"),
        ("100块钱", 100, "100块钱"),
        ("给了50块", 50, "50块"),
        ("1亿2000万元", 120000000, "1亿2000万元"),
        ("3万5", 35000, "3万5"),
        ("两千五块钱", 2500, "两千五块钱"),
        ("一千零五元", 1005, "一千零五元"),
        ("1.2万元", 12000, "1.2万元"),
        ("三点五万", 35000, "三点五万"),
        ("一百万元", 1000000, "一百万元"),
        ("10万一年", 100000, "10万"),
        ("100 元", 100, "100 元"),
        ("0元", 0, "0元"),
    ],
)
def test_amount(text, value, span):
    ent = only(text, "amount")
    assert ent["value"] == value
    assert type(ent["value"]) is type(value)
    assert ent["text"] == span


@pytest.mark.parametrize(
    "text",
    [
        "税率是3%",
        "税率３％",
        "2025年",
        "金额是1000",  # bare number: no unit
        "三千五百",
        "13800138000",
        "打12366",
        "开了3万张发票",
        "千万不要逾期",
        "大概几十万",
        "第一次申报",
        "两块地",
        "3千",
        "一块儿去",
        "一个月大概卖个两三万",  # a vague range, not an amount
        "七八十万",
        "一元复始",
    ],
)
def test_not_an_amount(text):
    assert of_kind(text, "amount") == []


def test_year_before_amount_is_not_glued():
    text = "2025年10万"
    assert values(text, "amount") == [100000]
    assert of_kind(text, "period") == []


@pytest.mark.parametrize(
    "phrase, value",
    [("三千五百", 3500), ("十万", 100000), ("一百一十五", 115), ("两百五", 250), ("1万2000", 12000),
     ("一万亿", 10**12), ("二十五万", 250000), ("一二", None), ("万", None), ("3五", None), ("三点", None)],
)
def test_parse_chinese_number(phrase, value):
    result = parse_chinese_number(phrase)
    assert (None if result is None else int(result)) == value


# ---------------------------------------------------------- date / period


@pytest.mark.parametrize(
    "text, entity, value",
    [
        ("2025年3月15日", "date", "2025-03-15"),
        ("2025年3月15号前申报", "date", "2025-03-15"),
        ("2025-03-15", "date", "2025-03-15"),
        ("2025/3/5", "date", "2025-03-05"),
        ("3月15日", "date", "2025-03-15"),
        ("三月十五日", "date", "2025-03-15"),
        ("15号之前", "date", "2025-05-15"),
        ("上个月15号", "date", "2025-04-15"),
        ("去年12月31日", "date", "2024-12-31"),
        ("2025年3月", "period", "2025-03"),
        ("2025年3月份的申报", "period", "2025-03"),
        ("2025-03", "period", "2025-03"),
        ("3月份的增值税", "period", "2025-03"),
        ("2025年第一季度", "period", "2025-Q1"),
        ("2024年第四季度", "period", "2024-Q4"),
        ("一季度", "period", "2025-Q1"),
        ("第3季度", "period", "2025-Q3"),
        ("2025Q1", "period", "2025-Q1"),
        ("去年第四季度", "period", "2024-Q4"),
        ("上个季度", "period", "2025-Q1"),
        ("上一季度", "period", "2025-Q1"),
        ("本季度", "period", "2025-Q2"),
        ("下个季度", "period", "2025-Q3"),
        ("上个月", "period", "2025-04"),
        ("上月", "period", "2025-04"),
        ("这个月", "period", "2025-05"),
        ("本月", "period", "2025-05"),
        ("今年", "period", "2025"),
        ("去年", "period", "2024"),
        ("本年度", "period", "2025"),
        ("2025年度", "period", "2025"),
        ("2024年的汇算清缴", "period", "2024"),
        ("2024年全年收入", "period", "2024"),
    ],
)
def test_date_and_period(text, entity, value):
    ent = only(text, entity)
    assert ent["value"] == value
    assert of_kind(text, "amount") == []


def test_relative_periods_roll_over_year():
    january = dt.date(2025, 1, 10)
    assert values("上个月", "period", january) == ["2024-12"]
    assert values("上个季度", "period", january) == ["2024-Q4"]
    assert values("下个月", "period", dt.date(2025, 12, 1)) == ["2026-01"]


@pytest.mark.parametrize(
    "text",
    [
        "2025年",  # a bare year is neither a period nor an amount
        "国家税务总局公告2023年第1号",
        "2月30日",
        "3个月",
        "3日内完成",
        "马上月底了",
        "基本月薪",
    ],
)
def test_not_a_date_or_period(text):
    kinds = {e["entity"] for e in extract(text)}
    assert not kinds & {"date", "period", "amount"}, extract(text)


# ----------------------------------------------------------------- tax type


@pytest.mark.parametrize(
    "surface, canonical",
    [(surface, canonical) for canonical, aliases in TAX_TYPES.items() for surface in (canonical, *aliases)],
)
def test_every_tax_type_surface(surface, canonical):
    text = f"请问{surface}怎么申报？"
    ent = only(text, "tax_type")
    assert ent["value"] == canonical
    assert ent["text"] == surface


@pytest.mark.parametrize(
    "text, expected",
    [
        ("企业所得税汇算", ["企业所得税"]),
        ("个税怎么算", ["个人所得税"]),
        ("城建税和教育费附加", ["城市维护建设税", "教育费附加"]),
        ("土地使用税", ["城镇土地使用税"]),
        ("地方教育附加", ["地方教育附加"]),
        ("土地增值税", ["土地增值税"]),
        ("增值税专用发票", ["增值税"]),
        ("社保费和社会保险费", ["社会保险费", "社会保险费"]),
        ("六税两费减免", ["六税两费"]),
        ("这个税怎么交", []),
        ("所得税", []),
    ],
)
def test_tax_type_longest_match_and_aliases(text, expected):
    assert values(text, "tax_type") == expected


# ------------------------------------------------------------- credit level


@pytest.mark.parametrize(
    "text, value, span",
    [
        ("我们是B级纳税人", "B", "B"),
        ("纳税信用等级是M", "M", "M"),
        ("去年评了个D", "D", "D"),
        ("被评为A级", "A", "A"),
        ("信用级别：C", "C", "C"),
        ("我们是Ｂ级", "B", "Ｂ"),
        ("b级纳税人", "B", "b"),
    ],
)
def test_credit_level(text, value, span):
    ent = only(text, "credit_level")
    assert ent["value"] == value
    assert ent["text"] == span
    assert text[ent["start"]:ent["end"]] == span


@pytest.mark.parametrize(
    "text",
    ["I work at a Bank", "ABC公司", "5A级景区", "AAA级信用", "B站", f"税号{VALID_USCC}", "Plan B", "A股"],
)
def test_no_credit_level(text):
    assert of_kind(text, "credit_level") == []


# ------------------------------------------------------------ combinations


def test_everything_in_one_message():
    text = (
        f"我公司（税号{VALID_USCC}）是Ｂ级纳税人，2025年第一季度销售额28万，"
        "要交增值税吗？联系电话13800138000"
    )
    got = {(e["entity"], e["value"]) for e in extract(text)}
    assert got == {
        ("uscc", VALID_USCC),
        ("credit_level", "B"),
        ("period", "2025-Q1"),
        ("amount", 280000),
        ("tax_type", "增值税"),
        ("phone", "13800138000"),
    }
    for ent in extract(text):
        assert text[ent["start"]:ent["end"]] == ent["text"]


def test_results_sorted_and_non_overlapping():
    text = "2025年3月15日前交10万元增值税，电话0755-23456789"
    result = extract(text)
    starts = [e["start"] for e in result]
    assert starts == sorted(starts)
    for a, b in itertools.pairwise(result):
        assert a["end"] <= b["start"]


# --------------------------------------------------------------- properties

FRAGMENTS = [
    "10万", "十万元", "100,000元", "1.5亿", "三千五百元", "28万的普票", "3%", "2025年", "3月15日",
    "15号", "2025-03-15", "上个季度", "一季度", "今年", "增值税", "个税", "企业所得税", "B级",
    "信用等级是M", "评了个D", "Bank", VALID_USCC, "91350100M000100Y44", "13800138000", "12366",
    "0755-23456789转801", "¥", "元", "万", "号", "季度", "年", "月", "日", "级", "，", "。", " ",
    "A", "1", "0", "点", "十", "第", "个", "%",
]
mixed_text = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=3), max_size=12).map("".join)


def _check_offsets(text, result):
    for ent in result:
        assert 0 <= ent["start"] < ent["end"] <= len(text)
        assert text[ent["start"]:ent["end"]] == ent["text"]
    for a, b in itertools.pairwise(result):
        assert a["end"] <= b["start"]


@PROPERTY
@given(st.text(max_size=60), st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_extract_never_raises_on_arbitrary_text(text, today):
    _check_offsets(text, extract(text, today))


@PROPERTY
@given(mixed_text)
def test_offsets_slice_to_text_on_mixed_text(text):
    result = extract(text)
    _check_offsets(text, result)
    for ent in result:
        if ent["entity"] == "uscc":
            assert is_valid_uscc(ent["value"])
        if ent["entity"] == "date":
            dt.date.fromisoformat(ent["value"])
        if ent["entity"] == "amount":
            assert isinstance(ent["value"], (int, float)) and ent["value"] >= 0


@PROPERTY
@given(mixed_text)
def test_fullwidth_input_gives_same_entities(text):
    def key(result):
        return [
            (e["entity"], e["start"], e["end"], None if e["entity"] == "uscc_invalid" else e["value"])
            for e in result
        ]

    assert key(extract(fullwidth(text))) == key(extract(text))


CJK = st.text(alphabet="我们公司的税号是请帮查一下，。：", max_size=8)


@PROPERTY
@given(CJK, st.integers(), CJK)
def test_generated_uscc_found_between_chinese_text(prefix, seed, suffix):
    code = make_uscc(seed)
    text = prefix + code + suffix
    ent = only(text, "uscc")
    assert (ent["value"], ent["start"], ent["end"]) == (code, len(prefix), len(prefix) + 18)
