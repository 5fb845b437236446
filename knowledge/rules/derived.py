"""Derived values the rule conditions can name: small pure functions of (facts, today, **args).

Each function is registered by name with the unit of its value (money, count, ratio, text), a
Chinese label for reasons, and the extra placeholders it offers to `explain` and `message`
templates. A function returns a plain value, a `Found` (value plus the items it is about and
extras), or None when the facts do not allow an answer (the condition then fails and says so).
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from knowledge.rules.display import TAX_TYPE_NAMES, pct, period_key, period_label, quarter_of, wan
from knowledge.rules.facts import DeductionFact, EnterpriseFacts, FilingFact

__all__ = ["Found", "DerivedSpec", "DERIVED", "UNITS"]

UNITS = ("money", "count", "ratio", "text", "bool")


@dataclass(frozen=True)
class Found:
    """A derived value with what it is about. `items` and `extras` may be given as functions: they are
    needed only for a rule that matches, and most enterprises match few rules."""
    value: Any
    items: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()  # periods, deduction ids...: the reminder key
    extras: Mapping[str, Any] | Callable[[], Mapping[str, Any]] = field(default_factory=dict)  # more placeholders

    def details(self) -> Mapping[str, Any]:
        return self.extras() if callable(self.extras) else self.extras


@dataclass(frozen=True)
class DerivedSpec:
    name: str
    fn: Callable[..., Any]
    unit: str
    label: str
    extras: tuple[str, ...]
    params: frozenset[str]
    required: frozenset[str]


DERIVED: dict[str, DerivedSpec] = {}


DerivedFn = TypeVar("DerivedFn", bound=Callable[..., object])


def derived(name: str, unit: str, label: str, extras: tuple[str, ...] = ()) -> Callable[[DerivedFn], DerivedFn]:
    assert unit in UNITS, unit

    def register(fn: DerivedFn) -> DerivedFn:
        signature = inspect.signature(fn)
        params = list(signature.parameters.values())[2:]  # after (facts, today)
        DERIVED[name] = DerivedSpec(
            name=name,
            fn=fn,
            unit=unit,
            label=label,
            extras=extras,
            params=frozenset(p.name for p in params),
            required=frozenset(p.name for p in params if p.default is inspect.Parameter.empty),
        )
        return fn

    return register


# --- helpers -----------------------------------------------------------------------------------

def _months_back(day: date, months: int) -> date:
    """First day of the month `months` months before the month of `day`."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _sales(filing: FilingFact) -> Decimal | None:
    # Declared sales once filed; before that the invoice system's figure is the best estimate.
    return filing.declared_sales if filing.declared_sales is not None else filing.invoice_sales


# (facts, its VAT filings): several functions ask in a row for one enterprise. Replaced as one tuple,
# so a thread never sees one enterprise's facts paired with another's filings.
_last_vat: tuple[EnterpriseFacts | None, list[FilingFact]] = (None, [])


def _vat(facts: EnterpriseFacts) -> list[FilingFact]:
    global _last_vat
    memo = _last_vat
    if memo[0] is facts:
        return memo[1]
    filings = [f for f in facts.filings if f.tax_type == "vat"]
    _last_vat = (facts, filings)
    return filings


def _is_shape(filing: FilingFact, months: int) -> bool:
    s, e = filing.period_start, filing.period_end
    spans_months = (e.year * 12 + e.month) - (s.year * 12 + s.month) == months - 1
    return s.day == 1 and spans_months and (e + timedelta(days=1)).day == 1


def _peak_sales(facts: EnterpriseFacts, today: date, months: int, window_start: date) -> Found | None:
    best: tuple[Decimal, FilingFact] | None = None
    for filing in _vat(facts):
        if filing.period_start < window_start or filing.period_end >= today or not _is_shape(filing, months):
            continue
        sales = _sales(filing)
        if sales is not None and (best is None or sales > best[0]):
            best = (sales, filing)
    if best is None:
        return None
    sales, filing = best
    return Found(sales, extras=lambda: {"peak_period": period_label(filing.period_start, filing.period_end)})


def _span_label(first: FilingFact, last: FilingFact) -> str:
    """"2025年第1季度至2025年第3季度": from the first filing's period to the last one's."""
    return f"{period_label(first.period_start, first.period_end)}至{period_label(last.period_start, last.period_end)}"


def _deduction_line(d: DeductionFact) -> str:
    return f"{d.reason}（{d.occurred_on.isoformat()}，扣{d.points}分）"


# --- VAT sales ---------------------------------------------------------------------------------

@derived("max_quarter_sales", "money", "近4个季度最高季度销售额", extras=("peak_period",))
def max_quarter_sales(facts: EnterpriseFacts, today: date, quarters: int = 4) -> Found | None:
    """Largest VAT sales of one quarterly-filed period among the last `quarters` complete quarters."""
    year, quarter = quarter_of(today)
    window_start = _months_back(date(year, (quarter - 1) * 3 + 1, 1), 3 * quarters)
    return _peak_sales(facts, today, 3, window_start)


@derived("max_month_sales", "money", "近12个月最高月销售额", extras=("peak_period",))
def max_month_sales(facts: EnterpriseFacts, today: date, months: int = 12) -> Found | None:
    """Largest VAT sales of one monthly-filed period among the last `months` complete months."""
    return _peak_sales(facts, today, 1, _months_back(today, months))


# --- industry ----------------------------------------------------------------------------------

@derived("industry_section", "text", "行业门类")
def industry_section(facts: EnterpriseFacts, today: date) -> str | None:
    """GB/T 4754 门类 letter of the industry code ("F51" -> "F")."""
    return facts.industry_code[:1].upper() or None


# --- risk indicators ---------------------------------------------------------------------------

@derived("invoice_mismatch", "count", "开票与申报不一致的期数", extras=("details", "gap_wan"))
def invoice_mismatch(facts: EnterpriseFacts, today: date, tolerance_ratio: Decimal, tolerance_amount: Decimal,
                     lookback_days: int = 365) -> Found:
    """VAT periods filed in the lookback whose invoiced sales exceed declared sales beyond the tolerance.

    Only invoiced > declared counts: sales without invoices are declared too, so declared > invoiced is normal.
    """
    since = today - timedelta(days=lookback_days)
    hits = []
    for filing in _vat(facts):
        if filing.filed_date is None or filing.period_end < since:
            continue
        if filing.declared_sales is None or filing.invoice_sales is None:
            continue
        gap = filing.invoice_sales - filing.declared_sales
        if gap > tolerance_amount and gap > filing.invoice_sales * tolerance_ratio:
            hits.append((filing, gap))
    hits.sort(key=lambda hit: hit[0].period_start)
    return Found(
        len(hits),
        items=lambda: tuple(period_key(f.period_start, f.period_end) for f, _ in hits),
        extras=lambda: {
            "details": "；".join(f"{period_label(f.period_start, f.period_end)}开票{wan(f.invoice_sales)}万元、"
                                f"申报{wan(f.declared_sales)}万元" for f, _ in hits),
            "gap_wan": wan(sum((g for _, g in hits), Decimal(0))),
        },
    )


@derived("zero_filing_streak_with_invoices", "count", "连续零申报期数",
         extras=("periods_text", "invoice_wan"))
def zero_filing_streak_with_invoices(facts: EnterpriseFacts, today: date, lookback_days: int = 400) -> Found:
    """Longest run of consecutive zero VAT filings in the lookback during which invoices were still issued."""
    since = today - timedelta(days=lookback_days)
    filed = sorted((f for f in _vat(facts) if f.filed_date is not None and f.period_end >= since),
                   key=lambda f: f.period_start)
    best: list[FilingFact] = []
    run: list[FilingFact] = []
    for filing in [*filed, None]:
        if filing is not None and filing.zero_filing:
            run.append(filing)
            continue
        if run and sum((f.invoice_sales or 0 for f in run), Decimal(0)) > 0 and len(run) > len(best):
            best = run
        run = []
    if not best:
        return Found(0)
    invoiced = sum((f.invoice_sales or 0 for f in best), Decimal(0))
    first, last = best[0], best[-1]
    return Found(
        len(best),
        items=tuple(period_key(f.period_start, f.period_end) for f in best),
        extras={
            "periods_text": _span_label(first, last),
            "invoice_wan": wan(invoiced),
        },
    )


@derived("tax_burden_vs_industry", "ratio", "增值税税负率与行业参考值之比",
         extras=("burden_pct", "reference_pct", "periods_text", "sales_wan", "tax_wan"))
def tax_burden_vs_industry(facts: EnterpriseFacts, today: date, references: Mapping[str, Decimal],
                           default: Decimal, periods: int = 4) -> Found | None:
    """The enterprise's VAT burden (tax paid / declared sales over its last `periods` filed periods),
    divided by the reference burden of its industry (by industry code, then 门类 letter, then default).

    None when there are fewer than `periods` filed periods or no sales: no burden to judge.
    """
    filed = sorted((f for f in _vat(facts) if f.filed_date is not None and f.declared_sales is not None
                    and f.period_end < today), key=lambda f: f.period_end)[-periods:]
    if len(filed) < periods:
        return None
    sales = sum((f.declared_sales or Decimal(0) for f in filed), Decimal(0))
    if sales <= 0:
        return None
    tax = sum((f.tax_paid or Decimal(0) for f in filed), Decimal(0))
    reference = Decimal(references.get(facts.industry_code) or references.get(facts.industry_code[:1].upper())
                        or default)
    burden = tax / sales
    first, last = filed[0], filed[-1]
    return Found(
        (burden / reference).quantize(Decimal("0.0001")),
        items=lambda: (period_key(last.period_start, last.period_end),),
        extras=lambda: {
            "burden_pct": pct(burden),
            "reference_pct": pct(reference),
            "periods_text": _span_label(first, last),
            "sales_wan": wan(sales),
            "tax_wan": wan(tax),
        },
    )


def _overdue(facts: EnterpriseFacts, today: date, keep: Callable[[FilingFact], bool]) -> Found:
    late = sorted((f for f in facts.filings if f.filed_date is None and f.due_date < today and keep(f)),
                  key=lambda f: (f.due_date, f.tax_type))
    return Found(
        len(late),
        items=lambda: tuple(f"{f.tax_type}:{period_key(f.period_start, f.period_end)}" for f in late),
        extras=lambda: {
            "filings_text": "、".join(
                f"{TAX_TYPE_NAMES.get(f.tax_type, f.tax_type)}（{period_label(f.period_start, f.period_end)}，"
                f"期限{f.due_date.month}月{f.due_date.day}日）" for f in late),
            "days_overdue": (today - late[0].due_date).days if late else 0,
        },
    )


@derived("overdue_filings", "count", "逾期未申报的申报表数", extras=("filings_text", "days_overdue"))
def overdue_filings(facts: EnterpriseFacts, today: date, exclude: tuple[str, ...] = ()) -> Found:
    """Returns whose due date has passed (a return due today can still be filed today) and that are not filed."""
    return _overdue(facts, today, lambda f: f.tax_type not in exclude)


@derived("unreported_statements", "count", "逾期未报送的财务报表数", extras=("filings_text", "days_overdue"))
def unreported_statements(facts: EnterpriseFacts, today: date, years_back: int = 1) -> Found:
    """Financial statements for last year (and this year) past their due date and not filed."""
    first_year = today.year - years_back
    return _overdue(facts, today, lambda f: f.tax_type == "financial_statements" and f.period_end.year >= first_year)


@derived("risk_findings", "count", "税务系统发现的风险疑点数", extras=("findings_text",))
def risk_findings(facts: EnterpriseFacts, today: date, exclude_indicators: tuple[str, ...] = ()) -> Found:
    """The tax system's own findings, passed through as they are."""
    found = sorted({(i, p) for i, p in facts.risk_findings if i not in exclude_indicators}, key=lambda x: (x[1], x[0]))
    return Found(
        len(found),
        items=tuple(f"{i}:{p}" for i, p in found),
        extras={"findings_text": "、".join(f"{i}（{p}）" for i, p in found)},
    )


# --- credit ------------------------------------------------------------------------------------

@derived("uncorrected_repairable_deductions", "count", "尚未纠正的可修复扣分项数",
         extras=("deduction_ids", "reasons_text", "points", "best_deadline", "best_hint"))
def uncorrected_repairable_deductions(facts: EnterpriseFacts, today: date, exclude_codes: tuple[str, ...] = (),
                                      best_within_days: int = 30, years_back: int = 1) -> Found:
    """Repairable deductions not yet corrected, recorded this year or last (the repair tiers end with
    "corrected in the following year"): every deduction the tax system marks repairable, except
    `exclude_codes` (those repaired only on application, which another rule reminds of)."""
    first_year = today.year - years_back
    found = sorted((d for d in facts.deductions
                    if d.repairable and d.corrected_on is None and d.occurred_on.year >= first_year
                    and d.reason_code not in exclude_codes), key=lambda d: (d.occurred_on, d.id))
    # The earliest day by which correcting still earns the largest repair.
    best = [d.occurred_on + timedelta(days=best_within_days) for d in found
            if d.occurred_on + timedelta(days=best_within_days) >= today]
    best_deadline = min(best) if best else None
    return Found(
        len(found),
        items=tuple(str(d.id) for d in found),
        extras={
            "deduction_ids": [d.id for d in found],
            "reasons_text": "、".join(_deduction_line(d) for d in found),
            "points": sum(d.points for d in found),
            "best_deadline": best_deadline.isoformat() if best_deadline else "",
            "best_hint": (f"在{best_deadline.month}月{best_deadline.day}日前纠正，修复加分最多；"
                          if best_deadline else ""),
        },
    )


def annual_evaluation(year: int, evaluation_month: int = 4) -> date:
    """The day the annual evaluation of `year` is settled (每年4月确定上一年度的评价结果)."""
    return date(year + 1, evaluation_month, 1)


def repair_deadline(occurred_on: date, evaluation_month: int = 4) -> date:
    """Last day to apply for the repair of a deduction: 《纳税缴费信用管理办法》(国家税务总局公告2025年第12号,
    from 2025-07-01) has repair applied for before the next annual evaluation. A deduction of year Y is counted by
    the evaluation of Y (April Y+1), so the application must come before the following one (April Y+2).
    Replaces the "end of the following year" of the repealed 2019年第37号 / 2021年第31号."""
    return annual_evaluation(occurred_on.year + 1, evaluation_month) - timedelta(days=1)


@derived("repairable_deductions", "count", "可申请修复的扣分项数",
         extras=("deduction_ids", "reasons_text", "points", "apply_deadline"))
def repairable_deductions(facts: EnterpriseFacts, today: date, application_codes: tuple[str, ...] = (),
                          evaluation_month: int = 4) -> Found:
    """Corrected, repairable deductions that need an application: those of `application_codes` (e.g. direct
    D ratings), and those corrected only after the annual evaluation that counted them (in `evaluation_month` of
    the following year). The application is open until :func:`repair_deadline`. Deductions corrected before
    the evaluation are repaired automatically and need no reminder."""
    found = []
    for d in facts.deductions:
        if not d.repairable or d.corrected_on is None:
            continue
        deadline = repair_deadline(d.occurred_on, evaluation_month)
        evaluated = annual_evaluation(d.occurred_on.year, evaluation_month)
        if today > deadline:
            continue
        if d.reason_code in application_codes or d.corrected_on >= evaluated:
            found.append((d, deadline))
    found.sort(key=lambda x: (x[0].occurred_on, x[0].id))
    return Found(
        len(found),
        items=tuple(str(d.id) for d, _ in found),
        extras={
            "deduction_ids": [d.id for d, _ in found],
            "reasons_text": "、".join(_deduction_line(d) for d, _ in found),
            "points": sum(d.points for d, _ in found),
            "apply_deadline": min(dl for _, dl in found).isoformat() if found else "",
        },
    )
