"""The rules engine: load and validate knowledge/rules/*.yml, evaluate a rule for one enterprise, render
the reminder text.

A rule file holds `rules:`, a list of rules. A rule has `id`, `type` (policy | risk | credit), `title`,
`topic` (a knowledge topic id), `sources`, `valid_from`, `valid_until`, `quiet_days`, `review`, `message`,
optional `key` (a template for what the reminder is about) and `note`, and `conditions`. A condition is one of

    {fact: taxable_income, op: "<=", value: 300万, explain: "年应纳税所得额 {value_wan}万元 {op} {limit_wan}万元"}
    {derived: overdue_filings, args: {...}, op: ">=", value: 1, explain: ..., explain_fail: ...}
    {any: [condition, condition, ...], explain: "{detail}"}          # holds when one of them holds
    {eligible_for: cit-small-low-profit, explain: ..., explain_fail: "{detail}"}  # that rule's conditions hold

`explain` is the reason line when the condition holds; `{op}` reads as the operator when it holds and as its
negation when it does not, so one template serves both. `explain_fail` and `explain_missing` override the
line for a failing condition and for a value the facts cannot give.

Policy rules match when every condition holds and the enterprise has not claimed the policy; risk and credit
rules when every condition holds. Outside `valid_from`..`valid_until` a rule never matches.
"""
from __future__ import annotations

import datetime as dt
import operator
import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.errors import KnowledgeValidationError
from knowledge.models import Source
from knowledge.rules.derived import DERIVED, Found
from knowledge.rules.display import ENUM_NAMES, pct, quarter_of, wan
from knowledge.rules.facts import EnterpriseFacts

__all__ = [
    "RULES_DIR", "Rule", "Condition", "Outcome", "RuleValidationError",
    "load_rules", "get_rules", "evaluate", "evaluate_all", "render_message",
]

RULES_DIR = Path(__file__).resolve().parent
TYPES = ("policy", "risk", "credit")
RULE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
REQUIRED = ("id", "type", "title", "topic", "sources", "valid_from", "valid_until", "quiet_days", "review",
            "message", "conditions")
OPTIONAL = ("key", "note")
EARLIEST, LATEST = dt.date(1980, 1, 1), dt.date(2100, 1, 1)

# Facts a condition may name: unit and the Chinese label used when a value is missing.
FACTS: dict[str, tuple[str, str]] = {
    "taxpayer_type": ("text", "纳税人类型"),
    "kind": ("text", "主体类型"),
    "industry_code": ("text", "行业代码"),
    "industry": ("text", "行业"),
    "region": ("text", "地区"),
    "restricted_industry": ("bool", "是否属于国家限制或禁止行业"),
    "employees": ("count", "从业人数"),
    "total_assets": ("money", "资产总额"),
    "annual_sales": ("money", "年销售额"),
    "taxable_income": ("money", "年应纳税所得额"),
    "rd_expense": ("money", "研发费用"),
    "new_hires_key_groups": ("count", "今年招用重点群体人数"),
    "credit_level": ("text", "纳税信用等级"),
    "credit_year": ("count", "纳税信用评价年度"),
    "credit_score": ("count", "纳税信用得分"),
}


def _in(value: Any, limit: Any) -> bool:
    return value in limit


def _not_in(value: Any, limit: Any) -> bool:
    return value not in limit


def _is_true(value: Any, _limit: Any) -> bool:
    return value is True


def _is_false(value: Any, _limit: Any) -> bool:
    return value is False


# name -> (test, symbol when it holds, symbol when it fails, kind of value it takes)
OPS: dict[str, tuple[Callable[[Any, Any], bool], str, str, str]] = {
    "<=": (operator.le, "≤", ">", "number"),
    "<": (operator.lt, "<", "≥", "number"),
    ">=": (operator.ge, "≥", "<", "number"),
    ">": (operator.gt, ">", "≤", "number"),
    "==": (operator.eq, "=", "≠", "scalar"),
    "in": (_in, "属于", "不属于", "list"),
    "not_in": (_not_in, "不属于", "属于", "list"),
    "is_true": (_is_true, "是", "否", "none"),
    "is_false": (_is_false, "否", "是", "none"),
}
OP_UNITS = {"number": ("money", "count", "ratio"), "scalar": ("text", "count", "money"), "list": ("text",),
            "none": ("bool",)}

LEAF_PLACEHOLDERS = frozenset({"label", "value", "value_wan", "value_pct", "value_text", "limit", "limit_wan",
                               "limit_pct", "limit_text", "op"})
GROUP_PLACEHOLDERS = frozenset({"detail"})
COMMON_VALUES = frozenset({"enterprise_name", "rule_title", "year", "quarter_label", "today", "valid_until", "items"})
KEY_PLACEHOLDERS = frozenset({"rule_id", "year", "quarter", "month", "items"})


Cache = dict[Any, Any]  # derived values of one enterprise, by (function, args), shared by all its rules
Holds = Callable[[EnterpriseFacts, dt.date, Cache], bool]
Raw = dict[str, Any]  # a mapping as read from a rule file


class RuleValidationError(KnowledgeValidationError):
    """A rule file is broken; the message names the file and the rule."""


@dataclass(frozen=True)
class Condition:
    kind: str                     # "fact" | "derived" | "any" | "eligible_for"
    name: str                     # the fact, the derived function, or the referenced rule; "" for any
    op: str = ""
    limit: Any = None             # Decimal, scalar or frozenset, per the operator
    explain: str = ""
    explain_fail: str = ""
    explain_missing: str = ""
    unit: str = ""
    label: str = ""
    children: tuple[Condition, ...] = ()
    args: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    args_key: tuple[Any, ...] = ()
    # holds(facts, today, cache) -> bool, compiled once: the fast path over every enterprise.
    holds: Holds = field(init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "holds", _compile(self))


@dataclass(frozen=True)
class Rule:
    id: str
    type: str
    title: str
    topic: str
    sources: tuple[Source, ...]
    valid_from: dt.date
    valid_until: dt.date | None
    quiet_days: int
    review: bool
    message: str
    conditions: tuple[Condition, ...]
    key: str = ""
    note: str = ""
    origin: str = field(default="", compare=False)

    def in_force(self, today: dt.date) -> bool:
        return self.valid_from <= today and (self.valid_until is None or today <= self.valid_until)


@dataclass(frozen=True)
class Outcome:
    rule_id: str
    # policy: qualifies and has not claimed; risk: the indicator fires; credit: repairable deduction
    matched: bool
    reasons: tuple[str, ...]  # one Chinese line per condition, e.g. "年应纳税所得额 120万元 ≤ 300万元"
    values: dict[str, Any]   # what the message placeholders and the funnel need, e.g. {"deduction_id": 7}
    key: str                 # what the reminder is about, for quiet periods: rule id + period or deduction id


# --- evaluation ---------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _value(cond: Condition, facts: EnterpriseFacts, today: dt.date, cache: Cache) -> tuple[Any, Found | None]:
    if cond.kind == "fact":
        return getattr(facts, cond.name), None
    key = (cond.name, cond.args_key)
    found = cache.get(key, cache)  # the cache itself marks "not computed yet": None is a valid result
    if found is cache:
        raw = DERIVED[cond.name].fn(facts, today, **cond.args)
        found = raw if raw is None or isinstance(raw, Found) else Found(raw)
        cache[key] = found
    return (None, None) if found is None else (found.value, found)


def _compile(cond: Condition) -> Holds:
    """A closure telling whether the condition holds, without building any text."""
    children = tuple(c.holds for c in cond.children)
    if cond.kind == "any":
        return lambda facts, today, cache: any(h(facts, today, cache) for h in children)
    if cond.kind == "eligible_for":
        return lambda facts, today, cache: all(h(facts, today, cache) for h in children)
    test, limit, name = OPS[cond.op][0], cond.limit, cond.name
    if cond.kind == "fact":
        def fact_holds(facts: EnterpriseFacts, today: dt.date, cache: Cache) -> bool:
            value = getattr(facts, name)
            return value is not None and test(value, limit)
        return fact_holds

    def derived_holds(facts: EnterpriseFacts, today: dt.date, cache: Cache) -> bool:
        value = _value(cond, facts, today, cache)[0]
        return value is not None and test(value, limit)
    return derived_holds


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


def _shown(value: Any, unit: str) -> str:
    if unit == "bool":
        return "是" if value else "否"
    if unit == "ratio" and isinstance(value, Decimal):
        return _trim_decimal(value.quantize(Decimal("0.0001")))
    if isinstance(value, Decimal):
        return _trim_decimal(value)
    return str(value)


def _trim_decimal(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _limit_text(limit: Any) -> str:
    if isinstance(limit, frozenset):
        return "、".join(ENUM_NAMES.get(x, str(x)) for x in sorted(limit, key=str))
    return ENUM_NAMES.get(limit, str(limit)) if isinstance(limit, str) else ("" if limit is None else _shown(limit, ""))


class _Template(dict[str, Any]):
    """format_map context that leaves nothing unexplained: a placeholder without a value reads as "—"."""

    def __missing__(self, key: str) -> str:
        return "—"


class _Context(dict[str, Any]):
    """The placeholders of one reason line, each computed only when the template asks for it: the
    engine builds reasons for every matched rule of every enterprise."""

    def __init__(self, extras: Mapping[str, Any], cond: Condition, value: Any, holds: bool):
        super().__init__(extras)
        self.cond, self.value, self.holds = cond, value, holds

    def __missing__(self, key: str) -> str:
        cond, value = self.cond, self.value
        limit = cond.limit if isinstance(cond.limit, Decimal) else None
        if key == "label":
            return cond.label
        if key == "value":
            return _shown(value, cond.unit)
        if key == "value_wan":
            return wan(value, limit) if cond.unit == "money" else ""
        if key == "value_pct":
            return pct(value) if cond.unit == "ratio" else ""
        if key == "value_text":
            return ENUM_NAMES.get(value, value) if isinstance(value, str) else _shown(value, cond.unit)
        if key in ("limit", "limit_text"):
            return _limit_text(cond.limit)
        if key == "limit_wan":
            return wan(limit, value) if limit is not None and cond.unit == "money" else ""
        if key == "limit_pct":
            return pct(limit) if limit is not None else ""
        if key == "op":
            _test, when_holds, when_fails, _kind = OPS[cond.op]
            return when_holds if self.holds else when_fails
        return "—"


def _explain(cond: Condition, facts: EnterpriseFacts, today: dt.date, cache: Cache, values: dict[str, Any],
             items: list[str]) -> tuple[bool, str]:
    """Evaluate with the reason line; publish the condition's values for the message and the funnel."""
    if cond.kind in ("any", "eligible_for"):
        if cond.kind == "any":
            results = []
            for child in cond.children:  # the first alternative that holds is the reason; the rest need no text
                results.append(_explain(child, facts, today, cache, values, items))
                if results[-1][0]:
                    break
            holds = results[-1][0]
            detail = next(r for ok, r in results if ok) if holds else "；".join(r for _, r in results)
        else:
            results = [_explain(c, facts, today, cache, values, items) for c in cond.children]
            holds = all(ok for ok, _ in results)
            detail = "；".join(r for _, r in results) if holds else next(r for ok, r in results if not ok)
        template = cond.explain if holds or not cond.explain_fail else cond.explain_fail
        return holds, (template or "{detail}").format_map(_Template(detail=detail))

    value, found = _value(cond, facts, today, cache)
    if value is None:
        return False, cond.explain_missing or f"暂无{cond.label}数据，无法判断"
    holds = bool(OPS[cond.op][0](value, cond.limit))
    extras = found.details() if found is not None else {}
    values[cond.name] = _jsonable(value)
    if cond.unit == "money":
        values[f"{cond.name}_wan"] = wan(value)
    elif cond.unit == "ratio":
        values[f"{cond.name}_pct"] = pct(value)
    elif cond.unit == "text":
        values[f"{cond.name}_text"] = ENUM_NAMES.get(value, value)
    for name, extra in extras.items():
        values[name] = _jsonable(extra)
    if found is not None:
        items.extend(found.items() if callable(found.items) else found.items)
    context = _Context(extras, cond=cond, value=value, holds=holds)
    template = cond.explain if holds or not cond.explain_fail else cond.explain_fail
    return holds, template.format_map(context)


@lru_cache(maxsize=64)
def _calendar(today: dt.date) -> dict[str, Any]:
    """What `today` contributes to values and keys (cached: one day serves a whole run)."""
    year, quarter = quarter_of(today)
    return {"year": year, "quarter": f"{year}Q{quarter}", "quarter_label": f"{year}年第{quarter}季度",
            "month": f"{year}-{today.month:02d}", "today": today.isoformat()}


def _base_values(rule: Rule, facts: EnterpriseFacts, today: dt.date) -> dict[str, Any]:
    calendar = _calendar(today)
    return {
        "enterprise_name": facts.name,
        "rule_title": rule.title,
        "year": calendar["year"],
        "quarter_label": calendar["quarter_label"],
        "today": calendar["today"],
        "valid_until": _cn_date(rule.valid_until) if rule.valid_until else "长期",
    }


def _key(rule: Rule, items: list[str], today: dt.date) -> str:
    calendar = _calendar(today)
    template = rule.key or ("{rule_id}:{items}" if items else "{rule_id}:{year}")
    return template.format(rule_id=rule.id, year=calendar["year"], quarter=calendar["quarter"],
                           month=calendar["month"], items=",".join(items))


def _validity_reason(rule: Rule, today: dt.date) -> str:
    what = "政策" if rule.type == "policy" else "规则"
    if today < rule.valid_from:
        return f"该{what}自{_cn_date(rule.valid_from)}起适用，今天（{_cn_date(today)}）尚未开始"
    return f"该{what}适用至{_cn_date(rule.valid_until)}，今天（{_cn_date(today)}）已过期，不再提醒"


def evaluate(rule: Rule, facts: EnterpriseFacts, today: dt.date, _cache: Cache | None = None) -> Outcome:
    """One rule for one enterprise on `today`, with a reason line per condition."""
    cache: Cache = {} if _cache is None else _cache
    values = _base_values(rule, facts, today)
    items: list[str] = []
    if not rule.in_force(today):
        values["items"] = []
        return Outcome(rule.id, False, (_validity_reason(rule, today),), values, _key(rule, items, today))
    reasons = []
    matched = True
    for cond in rule.conditions:
        ok, reason = _explain(cond, facts, today, cache, values, items)
        matched = matched and ok
        reasons.append(reason)
    if rule.type == "policy" and rule.id in facts.claimed:
        matched = False
        reasons.append("本期已在享受这项优惠，无需提醒")
    items = list(dict.fromkeys(items))
    values["items"] = items
    return Outcome(rule.id, matched, tuple(reasons), values, _key(rule, items, today))


def evaluate_all(rules: Mapping[str, Rule] | Iterable[Rule], facts: EnterpriseFacts, today: dt.date) -> list[Outcome]:
    """The matched outcomes of all rules for one enterprise. Derived values are computed once per
    enterprise and text is built only for the rules that match: this runs over every enterprise."""
    cache: Cache = {}
    matched = []
    for rule in (rules.values() if isinstance(rules, Mapping) else rules):
        if not rule.in_force(today) or (rule.type == "policy" and rule.id in facts.claimed):
            continue
        for cond in rule.conditions:
            if not cond.holds(facts, today, cache):
                break
        else:
            matched.append(evaluate(rule, facts, today, cache))
    return matched


def render_message(rule: Rule, outcome: Outcome) -> str:
    """The reminder text: the rule's message with the outcome's values."""
    values = _Template({k: ("—" if v is None else v) for k, v in outcome.values.items()})
    for name, value in list(values.items()):
        if isinstance(value, list):
            values[name] = "、".join(str(v) for v in value)
    return rule.message.format_map(values).strip()


# --- loading and validation ---------------------------------------------------------------------

def _placeholders(template: str, where: str) -> set[str]:
    try:
        return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError as exc:
        raise RuleValidationError(f"{where}: bad template {template!r}: {exc}") from None


def _number(raw: Any, where: str) -> Decimal:
    """A number from YAML: 300, 0.05, "300万" (万 = ×10000)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        raise RuleValidationError(f"{where}: value must be a number, got {raw!r}")
    text = str(raw).strip().replace(",", "")
    scale = Decimal(1)
    if text.endswith("万"):
        text, scale = text[:-1], Decimal(10000)
    try:
        return Decimal(text) * scale
    except InvalidOperation:
        raise RuleValidationError(f"{where}: value must be a number, got {raw!r}") from None


def _freeze(value: Any) -> Any:
    """Args as the derived functions take them: floats as Decimal (exact money and ratios), lists as tuples."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    return value


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


def _optional_date(raw: Any, where: str, name: str) -> dt.date | None:
    return None if raw is None else _date(raw, where, name)


def _date(raw: Any, where: str, name: str) -> dt.date:
    if raw is None:
        raise RuleValidationError(f"{where}: {name} is required")
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, str):
        try:
            raw = dt.date.fromisoformat(raw)
        except ValueError:
            raise RuleValidationError(f"{where}: {name} must be a date YYYY-MM-DD, got {raw!r}") from None
    if not isinstance(raw, dt.date):
        raise RuleValidationError(f"{where}: {name} must be a date YYYY-MM-DD, got {raw!r}")
    if not EARLIEST <= raw <= LATEST:
        raise RuleValidationError(f"{where}: {name} {raw} is out of range")
    return raw


class _Compiler:
    """Turns raw rule mappings into Rules; `eligible_for` references are resolved across files."""

    def __init__(self, raws: dict[str, tuple[Raw, Path]], topics: set[str]) -> None:
        self.raws = raws
        self.topics = topics
        self.done: dict[str, Rule] = {}
        self.stack: list[str] = []

    def rule(self, rule_id: str) -> Rule:
        if rule_id in self.done:
            return self.done[rule_id]
        raw, path = self.raws[rule_id]
        where = f"{path}: rule {rule_id}"
        self.stack.append(rule_id)
        try:
            rule = self._rule(raw, path, where)
        finally:
            self.stack.pop()
        self.done[rule_id] = rule
        return rule

    def _rule(self, raw: Raw, path: Path, where: str) -> Rule:
        missing = [k for k in REQUIRED if k not in raw]
        if missing:
            raise RuleValidationError(f"{where}: missing {', '.join(missing)}")
        unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            raise RuleValidationError(f"{where}: unknown field(s) {', '.join(unknown)}")
        if raw["type"] not in TYPES:
            raise RuleValidationError(f"{where}: unknown type {raw['type']!r} (one of {', '.join(TYPES)})")
        for name in ("title", "message"):
            if not isinstance(raw[name], str) or not raw[name].strip():
                raise RuleValidationError(f"{where}: {name} must be non-empty text")
        if raw["topic"] not in self.topics:
            raise RuleValidationError(f"{where}: unknown topic {raw['topic']!r}")
        if not isinstance(raw["review"], bool):
            raise RuleValidationError(f"{where}: review must be true or false")
        quiet = raw["quiet_days"]
        if isinstance(quiet, bool) or not isinstance(quiet, int) or quiet < 0:
            raise RuleValidationError(f"{where}: quiet_days must be a whole number of days ≥ 0")
        valid_from = _date(raw["valid_from"], where, "valid_from")
        valid_until = _optional_date(raw["valid_until"], where, "valid_until")
        if valid_until and valid_until < valid_from:
            raise RuleValidationError(f"{where}: valid_until {valid_until} is before valid_from {valid_from}")
        sources = self._sources(raw["sources"], where)
        conditions = raw["conditions"]
        if not isinstance(conditions, list) or not conditions:
            raise RuleValidationError(f"{where}: conditions must be a non-empty list")
        compiled = tuple(self.condition(c, f"{where}: condition {i}") for i, c in enumerate(conditions, 1))
        allowed = COMMON_VALUES | _published(compiled)
        unexplained = _placeholders(raw["message"], where) - allowed
        if unexplained:
            raise RuleValidationError(f"{where}: message uses unknown placeholder(s) {', '.join(sorted(unexplained))}")
        key = raw.get("key") or ""
        if not isinstance(key, str) or _placeholders(key, where) - KEY_PLACEHOLDERS:
            raise RuleValidationError(f"{where}: key template may use only {', '.join(sorted(KEY_PLACEHOLDERS))}")
        note = raw.get("note") or ""
        if not isinstance(note, str):
            raise RuleValidationError(f"{where}: note must be text")
        return Rule(
            id=raw["id"], type=raw["type"], title=raw["title"].strip(), topic=raw["topic"], sources=sources,
            valid_from=valid_from, valid_until=valid_until, quiet_days=quiet, review=raw["review"],
            message=raw["message"].strip(), conditions=compiled, key=key, note=note.strip(), origin=str(path),
        )

    @staticmethod
    def _sources(raw: Any, where: str) -> tuple[Source, ...]:
        if not isinstance(raw, list) or not raw:
            raise RuleValidationError(f"{where}: sources must be a non-empty list")
        sources = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("title"), str) or not item["title"].strip():
                raise RuleValidationError(f"{where}: every source needs a title: {item!r}")
            if set(item) - {"title", "doc_no", "article"}:
                raise RuleValidationError(f"{where}: a source has only title, doc_no and article: {item!r}")
            doc_no = item.get("doc_no")
            if doc_no is not None and (not isinstance(doc_no, str) or not doc_no.strip()):
                raise RuleValidationError(f"{where}: doc_no must be text or null: {item!r}")
            sources.append(Source(item["title"].strip(), doc_no.strip() if doc_no else None, item.get("article")))
        return tuple(sources)

    def condition(self, raw: Any, where: str) -> Condition:
        if not isinstance(raw, dict):
            raise RuleValidationError(f"{where}: a condition is a mapping, got {raw!r}")
        kinds = [k for k in ("fact", "derived", "any", "eligible_for") if k in raw]
        if len(kinds) != 1:
            raise RuleValidationError(f"{where}: name exactly one of fact, derived, any, eligible_for")
        kind = kinds[0]
        texts: dict[str, str] = {}
        for name in ("explain", "explain_fail", "explain_missing"):
            text = raw.get(name, "")
            if not isinstance(text, str):
                raise RuleValidationError(f"{where}: {name} must be text")
            texts[name] = text.strip()
        if kind in ("any", "eligible_for"):
            return self._group(raw, kind, texts, where)
        allowed_keys = {kind, "op", "value", "args", "explain", "explain_fail", "explain_missing"}
        unknown = sorted(set(raw) - allowed_keys)
        if unknown:
            raise RuleValidationError(f"{where}: unknown field(s) {', '.join(unknown)}")
        name = raw[kind]
        args: Raw = {}
        extras: tuple[str, ...] = ()
        if kind == "fact":
            if name not in FACTS:
                raise RuleValidationError(f"{where}: unknown fact {name!r}")
            if "args" in raw:
                raise RuleValidationError(f"{where}: a fact takes no args")
            unit, label = FACTS[name]
        else:
            spec = DERIVED.get(name)
            if spec is None:
                raise RuleValidationError(
                    f"{where}: unknown derived function {name!r} (known: {', '.join(sorted(DERIVED))})")
            args = raw.get("args") or {}
            if not isinstance(args, dict):
                raise RuleValidationError(f"{where}: args must be a mapping")
            bad = sorted(set(args) - spec.params)
            if bad:
                raise RuleValidationError(f"{where}: {name} takes no argument(s) {', '.join(bad)}")
            lacking = sorted(spec.required - set(args))
            if lacking:
                raise RuleValidationError(f"{where}: {name} needs argument(s) {', '.join(lacking)}")
            args = _freeze(args)
            unit, label, extras = spec.unit, spec.label, spec.extras
        op = raw.get("op")
        if op not in OPS:
            raise RuleValidationError(f"{where}: unknown operator {op!r} (one of {', '.join(OPS)})")
        value_kind = OPS[op][3]
        if unit not in OP_UNITS[value_kind]:
            raise RuleValidationError(f"{where}: operator {op} does not apply to {name} ({unit})")
        limit = self._limit(raw, value_kind, unit, where)
        if not texts["explain"]:
            raise RuleValidationError(f"{where}: explain is required")
        for text in texts.values():
            unexplained = _placeholders(text, where) - LEAF_PLACEHOLDERS - set(extras)
            if unexplained:
                raise RuleValidationError(
                    f"{where}: explain uses unknown placeholder(s) {', '.join(sorted(unexplained))}")
        return Condition(kind=kind, name=name, op=op, limit=limit, unit=unit, label=label, args=args,
                         args_key=_hashable(args), explain=texts["explain"], explain_fail=texts["explain_fail"],
                         explain_missing=texts["explain_missing"])

    @staticmethod
    def _limit(raw: Raw, value_kind: str, unit: str, where: str) -> Any:
        if value_kind == "none":
            if "value" in raw:
                raise RuleValidationError(f"{where}: {raw['op']} takes no value")
            return None
        if "value" not in raw:
            raise RuleValidationError(f"{where}: value is required for {raw['op']}")
        value = raw["value"]
        if value_kind == "number" or (value_kind == "scalar" and unit != "text"):
            return _number(value, where)
        if value_kind == "scalar":
            if not isinstance(value, str):
                raise RuleValidationError(f"{where}: value must be text, got {value!r}")
            return value
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise RuleValidationError(f"{where}: value must be a non-empty list of text")
        return frozenset(value)

    def _group(self, raw: Raw, kind: str, texts: dict[str, str], where: str) -> Condition:
        unknown = sorted(set(raw) - {kind, "explain", "explain_fail"})
        if unknown:
            raise RuleValidationError(f"{where}: unknown field(s) {', '.join(unknown)} for {kind}")
        for text in texts.values():
            bad = _placeholders(text, where) - GROUP_PLACEHOLDERS
            if bad:
                raise RuleValidationError(
                    f"{where}: {kind} explain may use only {{detail}}, not {', '.join(sorted(bad))}")
        if kind == "any":
            items = raw["any"]
            if not isinstance(items, list) or len(items) < 2:
                raise RuleValidationError(f"{where}: any needs a list of at least two conditions")
            children = tuple(self.condition(c, f"{where}.{i}") for i, c in enumerate(items, 1))
            return Condition(kind="any", name="", children=children, explain=texts["explain"],
                             explain_fail=texts["explain_fail"])
        target = raw["eligible_for"]
        if target not in self.raws:
            raise RuleValidationError(f"{where}: eligible_for names unknown rule {target!r}")
        if target in self.stack:
            cycle = " -> ".join([*self.stack, target])
            raise RuleValidationError(f"{where}: eligible_for {target!r} makes a cycle: {cycle}")
        referenced = self.rule(target)
        if referenced.type != "policy":
            raise RuleValidationError(f"{where}: eligible_for must name a policy rule, {target!r} is {referenced.type}")
        return Condition(kind="eligible_for", name=target, children=referenced.conditions, explain=texts["explain"],
                         explain_fail=texts["explain_fail"])


def _published(conditions: Iterable[Condition]) -> set[str]:
    """The value names a rule's conditions put into Outcome.values (for checking message placeholders)."""
    names: set[str] = set()
    for cond in conditions:
        if cond.children:
            names |= _published(cond.children)
            continue
        names.add(cond.name)
        suffix = {"money": "_wan", "ratio": "_pct", "text": "_text"}.get(cond.unit, "")
        names.add(f"{cond.name}{suffix}")
        if cond.kind == "derived":
            names |= set(DERIVED[cond.name].extras)
    return names


def _read(path: Path) -> list[Raw]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleValidationError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RuleValidationError(f"{path}: expected a mapping with a 'rules' list")
    for index, raw in enumerate(data["rules"], 1):
        if not isinstance(raw, dict):
            raise RuleValidationError(f"{path}: rule {index} is not a mapping")
        if not isinstance(raw.get("id"), str) or not RULE_ID.match(raw["id"]):
            raise RuleValidationError(
                f"{path}: rule {index}: id must be kebab-case (lowercase, digits, dashes), got {raw.get('id')!r}")
    rules: list[Raw] = data["rules"]
    return rules


def load_rules(root: Path | str = RULES_DIR, *, topics: Iterable[str] | None = None) -> dict[str, Rule]:
    """All rules of the *.yml files under `root`, validated; any defect raises RuleValidationError naming
    the file and the rule. `topics` defaults to the ids of knowledge/topics.yml."""
    root = Path(root)
    paths = sorted(root.glob("*.yml"))
    if not paths:
        raise RuleValidationError(f"{root}: no rule files (*.yml)")
    if topics is None:
        from knowledge.loader import load_topics

        topics = load_topics()
    raws: dict[str, tuple[Raw, Path]] = {}
    for path in paths:
        for raw in _read(path):
            if raw["id"] in raws:
                raise RuleValidationError(f"{path}: rule {raw['id']}: id already used in {raws[raw['id']][1]}")
            raws[raw["id"]] = (raw, path)
    compiler = _Compiler(raws, set(topics))
    return {rule_id: compiler.rule(rule_id) for rule_id in raws}


@lru_cache(maxsize=1)
def get_rules() -> dict[str, Rule]:
    """The shipped rules, loaded once on first use."""
    return load_rules()
