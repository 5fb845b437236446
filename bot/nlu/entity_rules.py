"""Rule-based entity extraction for Chinese tax conversations.

``EntityExtractor().extract(text, today)`` returns a list of dicts
``{"entity", "value", "start", "end", "text"}`` sorted by ``start``, where
``start``/``end`` are character offsets into the ORIGINAL text and
``text == original[start:end]``.

Matching runs on ``to_halfwidth(text)`` (full-width ``１０万`` / ``Ｂ级`` fold to
``10万`` / ``B级``); that folding is one character to one character, so offsets
need no mapping.  Extractors run in a fixed order and a span that overlaps an
already accepted entity is dropped, so USCC digits are never re-read as a phone
or an amount, and a phone or a date is never re-read as an amount:

1. ``uscc`` / ``uscc_invalid`` -- an 18-char run of ``[0-9A-Za-z]`` (not part of a
   longer run) drawn from the USCC charset and containing a digit.  Valid
   check character -> ``uscc`` with the normalised code; otherwise
   ``uscc_invalid`` with the text as typed (an 18-digit resident ID number that
   passes its own GB 11643 check is left alone).  A code typed in groups
   separated by single spaces or dashes is reported only when it is valid and
   has at least six digits (so glued English words are never taken).
2. ``phone`` -- mobile or landline, value from ``normalize_phone``.  Service
   numbers (12366, 400/800 ...) are not phones.
3. ``date`` (ISO ``YYYY-MM-DD``) and ``period`` (``YYYY``, ``YYYY-MM``,
   ``YYYY-Qn``), relative expressions resolved against ``today``.
4. ``amount`` -- a number with a unit: 元/圆/块(钱)/万/亿 or a leading ``¥``;
   value in yuan, ``int`` when whole else ``float``.  Bare numbers,
   percentages and years are not amounts.
5. ``tax_type`` -- spaCy EntityRuler phrase patterns (longest match wins), value
   is the canonical tax name.
6. ``credit_level`` -- A/B/M/C/D next to 级 / 信用 / 等级 / 评为 ...; the span is
   the letter itself, value upper-cased.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal, DecimalException
from typing import Any
from zoneinfo import ZoneInfo

import spacy
from spacy.pipeline import EntityRuler

from common.identifiers import (
    LANDLINE_PATTERN,
    MOBILE_PATTERN,
    USCC_CHARSET,
    is_valid_uscc,
    normalize_phone,
    normalize_uscc,
    to_halfwidth,
)

__all__ = ["EntityExtractor", "TAX_TYPES", "parse_chinese_number"]

_CHINA = ZoneInfo("Asia/Shanghai")  # relative dates ("下个月") are meant in China, whatever the server's zone

# ---------------------------------------------------------------------------
# Tax types: canonical name -> surface forms (the canonical name is implied).
# 土地增值税 / 车辆购置税 / 环境保护税 are listed so that their inner 增值税 /
# 税 words are not mis-reported; bare 所得税 is ambiguous and deliberately absent.
TAX_TYPES: dict[str, tuple[str, ...]] = {
    "增值税": (),
    "企业所得税": (),
    "个人所得税": ("个税",),
    "印花税": (),
    "房产税": (),
    "城镇土地使用税": ("土地使用税",),
    "城市维护建设税": ("城建税",),
    "教育费附加": (),
    "地方教育附加": ("地方教育费附加",),
    "资源税": (),
    "耕地占用税": (),
    "消费税": (),
    "车船税": ("车船使用税",),
    "契税": (),
    "六税两费": (),
    "社会保险费": ("社保费", "社保"),
    "土地增值税": ("土增税",),
    "车辆购置税": ("购置税",),
    "环境保护税": ("环保税",),
}
# "这个税" / "每个税种" contain 个税 but do not mean individual income tax.
_NOT_GESHUI_BEFORE = set("这那哪每一几某两各整半")

# ---------------------------------------------------------------------------
# Chinese / Arabic numbers
_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7,
    "八": 8, "捌": 8, "九": 9, "玖": 9,
}
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_CN_DIGIT_CLASS = "".join(_CN_DIGITS)
_ARABIC = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
_NUM_TOKEN_RE = re.compile(rf"{_ARABIC}|[点點][{_CN_DIGIT_CLASS}]+|.", re.S)

# ---------------------------------------------------------------------------
# Amounts
_AMOUNT_RE = re.compile(
    r"(?P<cur>¥ ?)?(?<![0-9A-Za-z])(?<![0-9][.,])"
    rf"(?P<num>(?:{_ARABIC}|[{_CN_DIGIT_CLASS}十拾百佰千仟万萬亿億点點])+)"
)
_CURRENCY_RE = re.compile(r" ?(?:元(?![旦宵素复])|圆|块钱|块(?![儿地田土石砖板牌屏肉糖蛋饼布区状]))")
# A 万/亿 number followed by one of these counts things, not money (3万张发票).
_MEASURE_WORDS = set("个张份人户次件家名字步台辆吨平米斤本页条位笔天年月日号岁倍股只套间亩项")
_MAX_AMOUNT = Decimal(10) ** 15
_PHRASE_LIMIT = 32

# ---------------------------------------------------------------------------
# Dates and periods
_M = r"(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_D = (
    r"(?P<d>3[01]|[12][0-9]|0?[1-9]|三十一?|二十[一二三四五六七八九]?"
    r"|十[一二三四五六七八九]?|[一二三四五六七八九])"
)
_REL_YEAR = (
    r"(?:(?<!如)今年|(?<![过])去年|(?<![之以提目当年从此先眼])前年"
    r"|(?<![说证声表发透查阐标注聪光简文鲜分高精开英失昌])明年"
    r"|(?<![基成资账样课剧文日版副原根书脚范标])本年|(?<![以])上一?年)"
)
_REL_YEAR_OFFSET = {"今年": 0, "本年": 0, "去年": -1, "上年": -1, "上一年": -1, "前年": -2, "明年": 1}
_YEAR_PFX = rf"(?:(?P<y>[12][0-9]{{3}}) ?年|(?P<ry>{_REL_YEAR})) ?"
_REL_MONTH = (
    r"(?P<rm>(?<![马以])上一?个?月|(?<![以])下一?个?月"
    r"|(?<![基成资账样课剧文日版副原根书脚范标])本月|这一?个?月|当月)"
)
_REL_QUARTER = r"(?P<rq>上一?个?季度|下一?个?季度|(?:本|这一?个?|当)季度)"
_NOT_DIGIT_BEFORE = r"(?<![0-9零〇一二两三四五六七八九十])"

_DATE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("ymd", rf"(?<![0-9]){_YEAR_PFX}{_M} ?月 ?{_D} ?[日号]"),
        ("ymd", (r"(?<![0-9.\-/])(?P<y>[12][0-9]{3})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)"
                 r"(?P<d>[0-9]{1,2})(?![0-9])")),
        ("rel_month_day", rf"{_REL_MONTH} ?{_D} ?[日号]"),
        ("rel_quarter", _REL_QUARTER),
        ("quarter", rf"(?:(?<![0-9]){_YEAR_PFX}(?:的 ?)?)?第? ?(?<![0-9])(?P<q>[一二三四1-4]) ?季度"),
        ("quarter", r"(?<![0-9A-Za-z])(?:(?P<y>[12][0-9]{3}) ?年? ?)?[Qq](?P<q>[1-4])(?![0-9A-Za-z])"),
        ("ym", rf"(?<![0-9]){_YEAR_PFX}{_M} ?月份?"),
        ("ym", r"(?<![0-9.\-/])(?P<y>[12][0-9]{3})[-/](?P<m>0[1-9]|1[0-2])(?![0-9]|[-/.][0-9])"),
        ("md", rf"(?<![0-9年]){_NOT_DIGIT_BEFORE}{_M} ?月 ?{_D} ?[日号]"),
        ("rel_month", _REL_MONTH),
        ("year", rf"(?P<ry>{_REL_YEAR})度?"),
        ("year", r"(?<![0-9])(?P<y>[12][0-9]{3}) ?(?:年度|年(?=的|全年|汇算|年报|年终|以来|底|初|末|内))"),
        ("month", rf"{_NOT_DIGIT_BEFORE}{_M} ?月份?"),
        ("day", r"(?<![0-9.第])(?P<d>3[01]|[12][0-9]|0?[1-9]) ?(?:号(?![文令楼线窗室院栋公码])|日(?!内|之内|以内))"),
    )
)

# ---------------------------------------------------------------------------
# Identifiers
_USCC_CANDIDATE_RE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{18}(?![0-9A-Za-z])")
# The same code typed in groups ("9135 0100 M000 100Y 43"); only reported when valid.
_USCC_SPACED_RE = re.compile(
    r"(?<![0-9A-Za-z][ -])(?<![0-9A-Za-z])[0-9A-Za-z](?:[ -]?[0-9A-Za-z]){17}(?![ -]?[0-9A-Za-z])"
)
_USCC_SET = set(USCC_CHARSET)
_PHONE_RE = re.compile(rf"(?<![0-9A-Za-z+])(?:{MOBILE_PATTERN}|{LANDLINE_PATTERN})(?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

# ---------------------------------------------------------------------------
# Credit level (纳税信用等级 A/B/M/C/D); the letter must stand alone.
_LEVEL = r"(?<![0-9A-Za-z])(?P<lv>[ABMCDabmcd])(?![0-9A-Za-z])"
_CREDIT_RES = tuple(
    re.compile(p)
    for p in (
        rf"{_LEVEL} ?级",
        rf"(?:信用|等级|级别|评级)(?:等级|级别|评级|评价)?(?:结果)? ?(?:是|为|:|评为|评定为|被评为)? ?{_LEVEL}",
        rf"(?:被?评(?:了|为|定为|的是|成|上了?|到)|(?:降|升|调)(?:为|到|成|至))个? ?{_LEVEL}",
    )
)


def parse_chinese_number(phrase: str, loose_tail: bool = True) -> Decimal | None:
    """Parse a (mixed) Chinese/Arabic number such as ``三千五百``, ``1.5亿``, ``1亿2000万``.

    Full-width digits must already be folded.  Returns ``None`` for anything
    malformed (``一二``, ``万``, ``3五``).  A trailing digit after the last unit
    is read colloquially (``三千五`` = 3500, ``3万5`` = 35000, ``1万2000`` = 12000);
    after 万/亿 that reading is only allowed when ``loose_tail`` is true, because
    in ``10万一年`` the ``一`` belongs to ``一年``.
    """
    try:
        return _parse_number(phrase, loose_tail)
    except (DecimalException, ValueError):
        return None


def _parse_number(phrase: str, loose_tail: bool) -> Decimal | None:
    total = mid = section = Decimal(0)
    pending: Decimal | None = None
    pending_single = False  # pending is a single digit (for 三千五)
    last_small: int | None = None  # small units must decrease inside a section
    last_unit: int | None = None
    zero_gap = False  # 零 seen since the last unit: 一千零五 = 1005
    seen_zero = False
    for tok in _NUM_TOKEN_RE.findall(phrase):
        if tok[0].isascii() and tok[0].isdigit():
            if pending is not None:
                return None
            pending, pending_single = Decimal(tok.replace(",", "")), len(tok) == 1
        elif tok in _CN_DIGITS:
            if _CN_DIGITS[tok] == 0:
                if pending is not None:
                    return None
                zero_gap = seen_zero = True
                continue
            if pending is not None:
                return None
            pending, pending_single = Decimal(_CN_DIGITS[tok]), True
        elif tok[0] in "点點":
            if len(tok) < 2 or pending is None or pending != pending.to_integral_value():
                return None
            fraction = "".join(str(_CN_DIGITS[c]) for c in tok[1:])
            pending, pending_single = Decimal(f"{int(pending)}.{fraction}"), False
        elif tok in _CN_SMALL:
            unit = _CN_SMALL[tok]
            if last_small is not None and unit >= last_small:
                return None
            section += (pending if pending is not None else Decimal(1)) * unit
            pending, last_small, last_unit, zero_gap = None, unit, unit, False
        elif tok in _CN_BIG:
            unit = _CN_BIG[tok]
            if pending is None and section == 0 and (unit == 10**4 or mid == 0):
                return None
            if unit == 10**4:
                if mid:
                    return None
                mid = (section + (pending or 0)) * unit
            else:
                total = (total + mid + section + (pending or 0)) * unit
                mid = Decimal(0)
            section, pending, last_small, last_unit, zero_gap = Decimal(0), None, None, unit, False
        else:
            return None
    if pending is not None and last_unit is not None and not zero_gap:
        big = last_unit >= 10**4
        if big and not loose_tail:
            return None
        if pending_single:
            pending = pending * last_unit / 10  # 三千五 -> 3500, 3万5 -> 35000
        elif pending >= last_unit:
            return None
    if pending is None and last_unit is None:
        return Decimal(0) if seen_zero else None
    return total + mid + section + (pending or 0)


def _number_value(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class _Found:
    """Accepted entities plus a character mask used to reject overlaps."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.taken = bytearray(len(original))
        self.items: list[dict[str, Any]] = []

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def add(self, entity: str, value: Any, start: int, end: int) -> bool:
        if start >= end or not self.free(start, end):
            return False
        self.taken[start:end] = b"\x01" * (end - start)
        self.items.append(
            {"entity": entity, "value": value, "start": start, "end": end, "text": self.original[start:end]}
        )
        return True


# ---------------------------------------------------------------------------
# One function per entity kind.  Each takes the folded text and a _Found.


def _looks_like_id_card(code: str) -> bool:
    """18-digit resident identity number (GB 11643) with a valid check digit."""
    if not (code[:17].isdigit() and (code[17].isdigit() or code[17] == "X")):
        return False
    try:
        _dt.date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return False
    total = sum(int(c) * w for c, w in zip(code[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == code[17]


def _extract_uscc(norm: str, found: _Found) -> None:
    for m in _USCC_CANDIDATE_RE.finditer(norm):
        code = m.group().upper()
        if not set(code) <= _USCC_SET or not any(c.isdigit() for c in code):
            continue
        if is_valid_uscc(code):
            found.add("uscc", normalize_uscc(code), m.start(), m.end())
        elif not _looks_like_id_card(code):
            found.add("uscc_invalid", found.original[m.start():m.end()], m.start(), m.end())
    for m in _USCC_SPACED_RE.finditer(norm):
        if sum(c.isdigit() for c in m.group()) >= 6 and is_valid_uscc(m.group()):
            found.add("uscc", normalize_uscc(m.group()), m.start(), m.end())


def _extract_phones(norm: str, found: _Found) -> None:
    for m in _PHONE_RE.finditer(norm):
        value = normalize_phone(m.group())
        if value is not None:
            found.add("phone", value, m.start(), m.end())


def _cn_int(text: str) -> int:
    """Small integer from Arabic or Chinese digits (月/日 numbers)."""
    if text.isdigit():
        return int(text)
    value = parse_chinese_number(text)
    return int(value) if value is not None else 0


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def _rel_month_delta(word: str) -> int:
    return -1 if word.startswith("上") else 1 if word.startswith("下") else 0


def _date_value(kind: str, g: dict[str, Any], today: _dt.date) -> tuple[str, str] | None:
    """Turn one rule match into (entity, value); None when it is not a real date."""
    year = today.year
    if g.get("y"):
        year = int(g["y"])
    elif g.get("ry"):
        year += _REL_YEAR_OFFSET[g["ry"]]
    if not 1949 <= year <= 2100:
        return None
    if kind in ("ymd", "md", "day", "rel_month_day"):
        month = _cn_int(g["m"]) if g.get("m") else today.month
        if kind == "rel_month_day":
            year, month = _shift_month(today.year, today.month, _rel_month_delta(g["rm"]))
        try:
            return "date", _dt.date(year, month, _cn_int(g["d"])).isoformat()
        except ValueError:
            return None
    if kind in ("ym", "month"):
        month = _cn_int(g["m"])
        return ("period", f"{year:04d}-{month:02d}") if 1 <= month <= 12 else None
    if kind == "rel_month":
        y, m = _shift_month(today.year, today.month, _rel_month_delta(g["rm"]))
        return "period", f"{y:04d}-{m:02d}"
    if kind == "quarter":
        return "period", f"{year:04d}-Q{_cn_int(g['q'])}"
    if kind == "rel_quarter":
        q_index = today.year * 4 + (today.month - 1) // 3 + _rel_month_delta(g["rq"])
        return "period", f"{q_index // 4:04d}-Q{q_index % 4 + 1}"
    return "period", f"{year:04d}"  # kind == "year"


def _extract_dates(norm: str, today: _dt.date, found: _Found) -> None:
    # A match that is not a real date (2月30日) still hides its text from the later,
    # looser rules, so that 30日 is not read on its own.
    rejected = bytearray(len(norm))
    for kind, pattern in _DATE_RULES:
        for m in pattern.finditer(norm):
            start, end = m.start(), m.end()
            if not found.free(start, end) or any(rejected[start:end]):
                continue
            result = _date_value(kind, m.groupdict(), today)
            if result is None:
                rejected[start:end] = b"\x01" * (end - start)
            else:
                found.add(result[0], result[1], start, end)


def _amount_at(norm: str, m: re.Match[str]) -> tuple[int, int | float | None]:
    """Read one amount candidate; return (end of the part consumed, value or None)."""
    num_start, phrase = m.start("num"), m["num"][:_PHRASE_LIMIT]
    after = norm[num_start + len(m["num"]):num_start + len(m["num"]) + 1]
    for k in range(len(phrase), 0, -1):
        value = parse_chinese_number(phrase[:k], loose_tail=k == len(m["num"]) and after not in _MEASURE_WORDS)
        if value is not None:
            break
    else:
        return m.end(), None
    end = num_start + k
    head, before = phrase[0], norm[m.start() - 1:m.start()]
    currency = _CURRENCY_RE.match(norm, end)
    if currency:
        end = currency.end()
    has_big = any(c in _CN_BIG for c in phrase[:k])
    if (
        (not currency and not m["cur"] and (not has_big or norm[end:end + 1] in _MEASURE_WORDS))
        or (head in "百佰千仟万萬亿億点點" and not currency)  # 千万不要 is not money
        or before in ("几", "数", "第")  # 几十万 is vague, 第一 is ordinal
        or (before in _CN_DIGITS and not m["cur"])  # 两三万 / 七八万 are ranges
        or norm[end:end + 1] == "%"
        or value > _MAX_AMOUNT
    ):
        return num_start + k, None
    return end, _number_value(value)


def _extract_amounts(norm: str, found: _Found) -> None:
    pos = 0
    while True:
        m = _AMOUNT_RE.search(norm, pos)
        if m is None:
            return
        end, value = _amount_at(norm, m)
        if value is not None:
            found.add("amount", value, m.start(), end)
        pos = max(end, m.start() + 1)


def _extract_credit_levels(norm: str, found: _Found) -> None:
    for pattern in _CREDIT_RES:
        for m in pattern.finditer(norm):
            found.add("credit_level", m["lv"].upper(), m.start("lv"), m.end("lv"))


class EntityExtractor:
    """Build once (it creates a small spaCy pipeline), then call :meth:`extract`."""

    def __init__(self) -> None:
        # The "char" segmenter needs neither jieba dictionaries nor pkuseg models.
        self._nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
        ruler = self._nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH"})
        assert isinstance(ruler, EntityRuler)  # add_pipe is typed as returning any pipe
        ruler.add_patterns(
            [
                {"label": "tax_type", "pattern": surface, "id": canonical}
                for canonical, aliases in TAX_TYPES.items()
                for surface in (canonical, *aliases)
            ]
        )

    def _extract_tax_types(self, norm: str, found: _Found) -> None:
        if len(norm) >= self._nlp.max_length:
            self._nlp.max_length = len(norm) + 1
        for ent in self._nlp(norm).ents:
            if ent.text == "个税" and norm[ent.start_char - 1:ent.start_char] in _NOT_GESHUI_BEFORE:
                continue
            found.add("tax_type", ent.ent_id_, ent.start_char, ent.end_char)

    def extract(self, text: str, today: _dt.date | None = None) -> list[dict[str, Any]]:
        """Extract entities from ``text``; relative dates resolve against ``today``.

        ``today`` defaults to today in China (not the server's zone); pass it
        explicitly for reproducible results.  Never raises on arbitrary strings.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        today = today or _dt.datetime.now(_CHINA).date()
        norm = to_halfwidth(text)
        found = _Found(text)
        _extract_uscc(norm, found)
        _extract_phones(norm, found)
        _extract_dates(norm, today, found)
        _extract_amounts(norm, found)
        self._extract_tax_types(norm, found)
        _extract_credit_levels(norm, found)
        return sorted(found.items, key=lambda e: (e["start"], e["end"]))
