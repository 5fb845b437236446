"""How numbers, periods and codes read in Chinese reasons and reminder texts (万元, %, 2025年第1季度)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

__all__ = ["wan", "pct", "period_key", "period_label", "quarter_of", "TAX_TYPE_NAMES", "ENUM_NAMES"]

TEN_THOUSAND = Decimal(10000)
_CENT = Decimal("0.01")

TAX_TYPE_NAMES = {
    "vat": "增值税",
    "cit": "企业所得税",
    "iit": "个人所得税",
    "stamp": "印花税",
    "property": "房产税",
    "land_use": "城镇土地使用税",
    "social_insurance": "社会保险费",
    "financial_statements": "财务会计报表",
}

# Codes of EnterpriseFacts fields as the user reads them.
ENUM_NAMES = {
    "small_scale": "小规模纳税人",
    "general": "一般纳税人",
    "company": "企业",
    "individual": "个体工商户",
}


def _trim(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def wan(yuan: Decimal | int | None, against: Decimal | int | None = None) -> str:
    """Yuan as 万元 text: two decimals, trailing zeros dropped (1234567 -> "123.46").

    With `against` (the limit it is compared with), more decimals are shown when two decimals
    would make different amounts look equal: 300万零1元 reads "300.0001", not "300".
    """
    if yuan is None:
        return "—"
    if against is None or against == yuan:
        if isinstance(yuan, int) or (isinstance(yuan, Decimal) and yuan == yuan.to_integral_value()):
            # Whole yuan (the usual case): integer arithmetic, no Decimal rounding.
            cents = (abs(int(yuan)) + 50) // 100
            sign = "-" if yuan < 0 and cents else ""
            whole, frac = divmod(cents, 100)
            return f"{sign}{whole}" + (f".{frac:02d}".rstrip("0") if frac else "")
        return _trim((Decimal(yuan) / TEN_THOUSAND).quantize(_CENT, rounding=ROUND_HALF_UP))
    value = Decimal(yuan) / TEN_THOUSAND
    other = Decimal(against) / TEN_THOUSAND
    for places in (2, 4, 6):
        exp = Decimal(1).scaleb(-places)
        shown = value.quantize(exp, rounding=ROUND_HALF_UP)
        if shown != other.quantize(exp, rounding=ROUND_HALF_UP):
            return _trim(shown)
    return _trim(value)


def pct(ratio: Decimal | float | None, places: int = 2) -> str:
    """A ratio as a percentage: Decimal("0.0123") -> "1.23%"."""
    if ratio is None:
        return "—"
    value = (Decimal(str(ratio)) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{_trim(value)}%"


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def _shape(start: date, end: date) -> str:
    if start.day != 1 or end != _month_end(end.year, end.month) or start.year != end.year:
        return "other"
    months = end.month - start.month + 1
    if months == 1:
        return "month"
    if months == 3 and start.month % 3 == 1:
        return "quarter"
    if months == 12:
        return "year"
    return "other"


@lru_cache(maxsize=4096)  # enterprises share their periods; labels are built for every finding
def period_key(start: date, end: date) -> str:
    """A short stable id of a period for reminder keys: 2025Q1, 2025-03, 2025, or a date range."""
    shape = _shape(start, end)
    if shape == "month":
        return f"{start.year}-{start.month:02d}"
    if shape == "quarter":
        return f"{start.year}Q{quarter_of(start)[1]}"
    if shape == "year":
        return str(start.year)
    return f"{start.isoformat()}~{end.isoformat()}"


@lru_cache(maxsize=4096)
def period_label(start: date, end: date) -> str:
    """The period as a bookkeeper says it: 2025年3月, 2025年第1季度, 2025年度."""
    shape = _shape(start, end)
    if shape == "month":
        return f"{start.year}年{start.month}月"
    if shape == "quarter":
        return f"{start.year}年第{quarter_of(start)[1]}季度"
    if shape == "year":
        return f"{start.year}年度"
    return f"{start.isoformat()}至{end.isoformat()}"
