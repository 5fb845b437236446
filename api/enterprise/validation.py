"""The import formats' columns and how each value is checked (docs/enterprise-data.md is the reference).

A row is a mapping from column to a raw value — a string from CSV, a string, number, boolean or null from
JSON Lines. ``clean_row(kind, raw)`` gives the typed values of the non-empty columns, or raises
``RowError`` with one Chinese reason naming the column. An empty cell is "not given".
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from api.enterprise.models import (
    KIND_LABELS,
    LEVELS,
    SOURCE_LABELS,
    SOURCES,
    TAX_TYPE_LABELS,
    TAX_TYPES,
    TAXPAYER_TYPE_LABELS,
    TAXPAYER_TYPES,
)
from api.enterprise.models import KINDS as ENTERPRISE_KINDS
from api.enterprise.periods import parse_period
from api.inputs import clean_tree
from common.identifiers import USCC_CHARSET, is_valid_uscc, normalize_uscc
from common.workdays import CHINA_TZ

__all__ = ["RowError", "Column", "KINDS", "COLUMNS", "REQUIRED", "clean_row", "check_header"]

KINDS = ("enterprises", "filings", "credit", "risk_findings", "policy_claims")
ROW_TYPES = ("record", "deduction")
MAX_MONEY = Decimal("99999999999999.99")  # Numeric(16, 2)


class RowError(ValueError):
    """Why a row is refused, in Chinese."""


# -- values ------------------------------------------------------------------------------------------------

def _text(limit: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip()
        if len(text) > limit:
            raise ValueError(f"超过{limit}个字符")
        return text
    return parse


def _choice(values: tuple[str, ...], labels: dict[str, str] | None = None) -> Callable[[Any], str]:
    by_label = {v: k for k, v in (labels or {}).items()}

    def parse(value: Any) -> str:
        text = str(value).strip()
        if text in values:
            return text
        if text in by_label:
            return by_label[text]
        raise ValueError(f"“{text}”不是可用的值，应为 {'、'.join(values)}")
    return parse


def _uscc(value: Any) -> str:
    code = normalize_uscc(str(value))
    if len(code) != 18 or any(ch not in USCC_CHARSET for ch in code):
        raise ValueError(f"“{value}”格式不正确，应为18位数字或大写字母（不含I、O、S、V、Z）")
    if not is_valid_uscc(code):
        raise ValueError(f"“{value}”校验位不正确，请核对")
    return code


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(value: Any) -> date:
    text = str(value).strip()
    try:
        if not _DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"日期“{text}”不正确，应为 YYYY-MM-DD（如 2025-10-15）") from None


def _datetime(value: Any) -> datetime:
    """ISO 8601; without an offset it is Beijing time; a date alone is its Beijing midnight."""
    text = str(value).strip()
    try:
        if _DATE.match(text):
            return datetime.combine(date.fromisoformat(text), time(), CHINA_TZ)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"时间“{text}”不正确，应为 YYYY-MM-DDTHH:MM:SS+08:00 或 YYYY-MM-DD") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


def _money(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"“{value}”不是金额")
    text = str(value).strip().replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{value}”不是金额（单位：元，如 125000.50）") from None
    if not amount.is_finite():
        raise ValueError(f"“{value}”不是金额")
    if amount < 0:
        raise ValueError(f"金额“{value}”不能为负数")
    if amount > MAX_MONEY:
        raise ValueError(f"金额“{value}”过大")
    return amount.quantize(Decimal("0.01"))


def _count(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"“{value}”不是整数")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"“{value}”不是整数") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"“{value}”不是整数")
    if number < 0:
        raise ValueError(f"“{value}”不能为负数")
    if number > 2_000_000_000:
        raise ValueError(f"“{value}”过大")
    return int(number)


def _score(value: Any) -> int:
    score = _count(value)
    if score > 100:
        raise ValueError(f"信用得分“{value}”应在0到100之间")
    return score


def _year(value: Any) -> int:
    year = _count(value)
    if not 1990 <= year <= 2100:
        raise ValueError(f"年度“{value}”不正确")
    return year


_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"“{value}”应为 true 或 false（也可写 是/否、1/0）")


def _period(value: Any) -> str:
    text = str(value).strip()
    parse_period(text)  # its ValueError is already Chinese
    return text


_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def _rule_id(value: Any) -> str:
    text = str(value).strip()
    if not _RULE_ID.match(text):
        raise ValueError(f"“{text}”不是规则编号（小写字母、数字和连字符，如 vat-small-scale-exemption）")
    return text


def _indicator(value: Any) -> str:
    text = str(value).strip()
    if not 1 <= len(text) <= 60:
        raise ValueError("应为1到60个字符")
    return text


def _json_object(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(str(value))
    except ValueError:
        raise ValueError("应为 JSON 对象，如 {\"gap\": 120000}") from None
    if not isinstance(parsed, dict):
        raise ValueError("应为 JSON 对象，如 {\"gap\": 120000}")
    return parsed


# -- columns -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    name: str
    label: str
    parse: Callable[[Any], Any]


def _columns(*specs: tuple[str, str, Callable[[Any], Any]]) -> dict[str, Column]:
    return {name: Column(name, label, parse) for name, label, parse in specs}


_SOURCE = ("source", "来源", _choice(SOURCES, SOURCE_LABELS))
_SYNCED = ("synced_at", "同步时间", _datetime)
_USCC = ("uscc", "统一社会信用代码", _uscc)

COLUMNS: dict[str, dict[str, Column]] = {
    "enterprises": _columns(
        _USCC, ("name", "名称", _text(200)), ("taxpayer_type", "纳税人类型", _choice(TAXPAYER_TYPES, TAXPAYER_TYPE_LABELS)),
        ("kind", "主体类型", _choice(ENTERPRISE_KINDS, KIND_LABELS)), ("industry_code", "行业代码", _text(8)),
        ("industry", "行业", _text(100)), ("region", "地区", _text(100)),
        ("restricted_industry", "国家限制或禁止行业", _bool), ("employees", "从业人数", _count),
        ("total_assets", "资产总额", _money), ("annual_sales", "年销售额", _money),
        ("taxable_income", "年应纳税所得额", _money), ("rd_expense", "研发费用", _money),
        ("new_hires_key_groups", "本年招用重点群体人数", _count), ("registration_date", "登记日期", _date),
        _SOURCE, _SYNCED),
    "filings": _columns(
        _USCC, ("tax_type", "税种", _choice(TAX_TYPES, TAX_TYPE_LABELS)), ("period_start", "所属期起", _date),
        ("period_end", "所属期止", _date), ("due_date", "申报期限", _date), ("filed_date", "申报日期", _date),
        ("declared_sales", "申报销售额", _money), ("invoice_sales", "开票销售额", _money), ("tax_paid", "缴纳税额", _money),
        ("zero_filing", "零申报", _bool), _SOURCE, _SYNCED),
    "credit": _columns(
        _USCC, ("year", "评价年度", _year), ("row_type", "行类型", _choice(ROW_TYPES, {"record": "评价", "deduction": "扣分"})),
        ("level", "信用级别", _choice(LEVELS)), ("score", "信用得分", _score), ("reason_code", "扣分代码", _text(40)),
        ("reason", "扣分原因", _text(200)), ("points", "扣分分值", _count), ("occurred_on", "扣分日期", _date),
        ("corrected_on", "纠正日期", _date), ("repairable", "可修复", _bool), _SOURCE, _SYNCED),
    "risk_findings": _columns(
        _USCC, ("indicator", "风险指标", _indicator), ("period", "所属期", _period), ("detail", "疑点详情", _json_object),
        ("found_at", "发现时间", _datetime), _SOURCE),
    "policy_claims": _columns(
        _USCC, ("policy", "优惠政策（规则编号）", _rule_id), ("period", "所属期", _period), ("claimed", "已享受", _bool),
        ("amount", "减免金额", _money), _SOURCE, _SYNCED),
}

REQUIRED: dict[str, tuple[str, ...]] = {
    "enterprises": ("uscc",),  # the rest only for an enterprise not known yet (see NEW_ENTERPRISE)
    "filings": ("uscc", "tax_type", "period_start", "period_end", "due_date"),
    "credit": ("uscc", "year", "row_type"),
    "risk_findings": ("uscc", "indicator", "period"),
    "policy_claims": ("uscc", "policy", "period", "claimed"),
}
NEW_ENTERPRISE = ("name", "taxpayer_type", "kind", "industry_code", "industry", "region", "registration_date")
BY_ROW_TYPE = {"record": ("level",), "deduction": ("reason_code", "reason", "points", "occurred_on")}


def check_header(kind: str, names: Sequence[str]) -> str | None:
    """Why a header (the column names of a file) cannot be read, or None."""
    columns = COLUMNS[kind]
    names = [n.strip() for n in names if n is not None]
    unknown = [n for n in names if n not in columns]
    missing = [n for n in REQUIRED[kind] if n not in names]
    problems = []
    if missing:
        problems.append("缺少必需的列：" + "、".join(missing))
    if unknown:
        problems.append("有未知的列：" + "、".join(unknown) + "（可用的列：" + "、".join(columns) + "）")
    return "；".join(problems) or None


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip() == "")


def clean_row(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Typed values of the non-empty columns of one row, with the checks that need no database."""
    columns = COLUMNS[kind]
    unknown = [k for k in raw if k not in columns]
    if unknown:
        raise RowError("有未知的字段：" + "、".join(str(k) for k in unknown))
    out = {}
    for name, value in raw.items():
        value = clean_tree(value)  # control characters out, as at every intake (JSON Lines may carry \u0000)
        if not _given(value):
            continue
        column = columns[name]
        try:
            out[name] = column.parse(value)
        except ValueError as exc:
            raise RowError(f"{column.label}（{name}）：{exc}") from None
    missing = [n for n in REQUIRED[kind] if n not in out]
    if kind == "credit" and "row_type" in out:
        missing += [n for n in BY_ROW_TYPE[out["row_type"]] if n not in out]
    if missing:
        raise RowError("缺少必填字段：" + "、".join(f"{columns[n].label}（{n}）" for n in missing))
    _consistent(kind, out)
    return out


def _consistent(kind: str, row: dict[str, Any]) -> None:
    if kind == "filings":
        if row["period_start"] > row["period_end"]:
            raise RowError("所属期起（period_start）晚于所属期止（period_end）")
        if row["due_date"] < row["period_end"]:
            raise RowError("申报期限（due_date）早于所属期止（period_end）")
        if row.get("zero_filing") and row.get("declared_sales"):
            raise RowError("零申报（zero_filing）的申报销售额（declared_sales）应为0")
    if kind == "credit" and row.get("corrected_on") and row.get("occurred_on") \
            and row["corrected_on"] < row["occurred_on"]:
        raise RowError("纠正日期（corrected_on）早于扣分日期（occurred_on）")
