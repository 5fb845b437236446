"""Seeded demo data: realistic, entirely made-up enterprises with their filings, credit, risk findings and
policy claims, so that every reminder rule has someone to find. No real taxpayer data exists here.

``generate(n, seed=, today=)`` is pure (``random.Random(seed)``, dates relative to ``today``): the same seed
and day give the same data. ``seed_demo(session, n=)`` writes it in bulk, a chunk of enterprises at a time
(``COPY`` on PostgreSQL, executemany INSERTs elsewhere; a thread generates the next chunk while the database
takes the last, and memory stays flat), marks every enterprise ``demo`` and does nothing if demo enterprises
exist unless ``reset`` deletes them first. It flushes, never commits; the CLI commits:

    python -m tools.demo.enterprises --n 2000 [--reset] [--seed 2026]      # DATABASE_URL's database

The first enterprise is always the showcase (``SHOWCASE_USCC``, documented in docs/enterprise-data.md): a
B-level small-scale company with an overdue, unfiled VAT return and its repairable deduction, qualifying
for the small-scale VAT exemption and the small-low-profit relief without having claimed either.
"""
from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import queue
import random
import sys
import threading
import time as clock
from bisect import bisect
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from itertools import accumulate, islice
from typing import TypeVar

from sqlalchemy import JSON, Boolean, Date, DateTime, Numeric, String, delete, insert, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from api.core.database import rowcount
from api.enterprise.models import (
    DEFAULT_FIELD_SOURCES,
    CreditDeduction,
    CreditRecord,
    Enterprise,
    EnterpriseFiling,
    PolicyClaim,
    RiskFinding,
)
from api.enterprise.showcase import SHOWCASE_NAME, SHOWCASE_USCC
from common.identifiers import USCC_CHARSET, uscc_check_digit
from common.workdays import CHINA_TZ, china_today, is_working_day, known_years
from tools.demo.enterprise_vocab import (
    BRAND_CHARS,
    COMPANY_FORMS,
    DEDUCTIONS,
    DIRECT_D,
    INDUSTRIES,
    LEVEL_DEFICITS,
    LEVEL_SHARES,
    REGIONS,
    RISK_INDICATORS,
    SURNAMES,
    Industry,
    Region,
)

__all__ = ["DEFAULT_SEED", "bulk_insert", "SHOWCASE_USCC", "SHOWCASE_NAME", "POLICIES", "DemoSpec", "make_demo_uscc",
           "filing_deadline", "generate", "seed_demo", "delete_demo", "load_feature_models", "main"]

DEFAULT_SEED = 2026
POLICIES = ("vat-small-scale-exemption", "vat-small-scale-1pct", "cit-small-low-profit", "six-taxes-two-fees",
            "iit-individual-business-halving", "rd-super-deduction", "employment-incentive", "bank-tax-loan")
CHUNK = 2000
_DAYS = tuple(timedelta(days=n) for n in range(91))
ROWS_PER_INSERT = 10_000

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code check
_ORG_CHECK = {10: "X", 11: "0"}
_SPACE = 31 ** 6
# i → (i·STEP + OFFSET) mod 31^6 is one-to-one (STEP = 3^18 is prime to 31): no two enterprises share a code.
_STEP, _OFFSET = 387_420_489, 305_419_896


def make_demo_uscc(index: int, division: str, kind: str) -> str:
    """A valid USCC, different for every ``index``: 9 (market regulator) + 1 company / 2 个体工商户 + the
    division code + a GB 11714 organisation code ``MA`` + 6 characters + its check + the USCC check."""
    value = (index * _STEP + _OFFSET) % _SPACE
    digits = []
    for _ in range(6):
        value, digit = divmod(value, 31)
        digits.append(USCC_CHARSET[digit])
    body = "MA" + "".join(reversed(digits))
    check = 11 - sum(int(ch, 36) * w for ch, w in zip(body, _ORG_WEIGHTS)) % 11  # noqa: B905
    first17 = "9" + ("1" if kind == "company" else "2") + division + body + _ORG_CHECK.get(check, str(check))
    return first17 + uscc_check_digit(first17)


# -- the tax calendar ----------------------------------------------------------------------------------------

def _next_working_day(day: date) -> date:
    if day.year not in known_years():  # a year the holiday calendar does not know: weekends only
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=256)
def filing_deadline(year: int, month: int) -> date:
    """The monthly deadline (申报期限) in ``month``: the 15th, put back by every run of three or more days off
    in the 1st–15th (国庆, 春节 …), then onto a working day — close to the yearly notices, not a copy of them."""
    if year not in known_years():
        return _next_working_day(date(year, month, 15))
    extension, run = 0, 0
    for day in range(1, 16):
        if is_working_day(date(year, month, day)):
            extension, run = extension + (run if run >= 3 else 0), 0
        else:
            run += 1
    extension += run if run >= 3 else 0
    return _next_working_day(date(year, month, 15) + timedelta(days=extension))


def _deadline_after(period_end: date) -> date:
    following = period_end + timedelta(days=1)
    return filing_deadline(following.year, following.month)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


@dataclass(frozen=True)
class _Calendar:
    """Everything that depends on ``today`` only, computed once: the periods filed with their deadlines, the
    rating year, the sync times and the per-field source maps (shared by the enterprises synced alike)."""
    today: date
    quarters: tuple[tuple[date, date, date], ...]  # (start, end, due) of the last four complete quarters
    months: tuple[tuple[date, date, date], ...]  # (start, end, due) of their twelve months
    rating_year: int  # the last year rated (纳税信用 is published in April for the year before)
    stamp: datetime  # created_at / updated_at of the demo rows
    statements_due: date  # the rated year's annual financial statements (31 May)
    syncs: tuple[dict[str, datetime], ...]  # one per possible market-regulation sync day
    sources: tuple[dict[str, dict], ...]  # Enterprise.sources for each of those

    @classmethod
    def of(cls, today: date) -> _Calendar:
        index = today.year * 4 + (today.month - 1) // 3
        quarters, months = [], []
        for k in range(4, 0, -1):
            year, quarter = divmod(index - k, 4)
            start, end = date(year, 3 * quarter + 1, 1), _month_end(year, 3 * quarter + 3)
            quarters.append((start, end, _deadline_after(end)))
            for m in range(3):
                month_end = _month_end(year, start.month + m)
                months.append((date(year, start.month + m, 1), month_end, _deadline_after(month_end)))

        def at(day: date, hour: int, minute: int = 0) -> datetime:
            return datetime.combine(day, time(hour, minute), CHINA_TZ).astimezone(timezone.utc)

        syncs = tuple({"tax": at(today, 2), "market": at(today - timedelta(days=d), 3),
                       "social_security": at(today.replace(day=1), 4), "bank": at(today, 1, 30)} for d in range(21))
        sources = tuple({f: {"source": s, "synced_at": sync[s].isoformat()} for f, s in DEFAULT_FIELD_SOURCES.items()}
                        for sync in syncs)
        return cls(today, tuple(quarters), tuple(months), today.year - 1, at(today, 2),
                   _next_working_day(date(today.year, 5, 31)), syncs, sources)

    def quarter_string(self, start: date) -> str:
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"


# -- one enterprise ------------------------------------------------------------------------------------------
# Hot path: 100,000 enterprises must take seconds, so the draws below use rng.random() arithmetic rather than
# randint/choices, and whatever depends only on the day comes precomputed from _Calendar.

@dataclass
class DemoSpec:
    """One demo enterprise and its rows, without database ids."""
    profile: dict
    filings: list[dict] = field(default_factory=list)
    credit: dict | None = None
    deductions: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)


def _yuan(amount: float, step: int = 100) -> float:
    """Rounded to ``step`` yuan. Money stays a float in the specs (cheap to make a million of); it is written
    with two decimals, exactly."""
    return float(int(round(amount / step)) * step)  # noqa: RUF046


def _cents(amount: float) -> float:
    return round(amount, 2)


def _int(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return float(low * (high / low) ** rng.random())


T = TypeVar("T")


def _pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


def _profile(uscc: str, name: str, kind: str, taxpayer_type: str, industry: Industry, region: Region, *,
             employees: int, assets: float, sales: float, taxable: float, rd: float, hires: int,
             registered: date, sources: dict, cal: _Calendar) -> dict:
    return {"uscc": uscc, "name": name, "taxpayer_type": taxpayer_type, "kind": kind,
            "industry_code": industry.code, "industry": industry.name, "region": region.text,
            "restricted_industry": industry.restricted, "employees": employees, "total_assets": assets,
            "annual_sales": sales, "taxable_income": taxable, "rd_expense": rd, "new_hires_key_groups": hires,
            "registration_date": registered, "demo": True, "sources": sources, "created_at": cal.stamp,
            "updated_at": cal.stamp}


def _filing(tax_type: str, start: date, end: date, due: date, filed: date | None, declared, invoiced, paid,
            zero: bool, synced: datetime) -> dict:
    return {"tax_type": tax_type, "period_start": start, "period_end": end, "due_date": due, "filed_date": filed,
            "declared_sales": declared, "invoice_sales": invoiced, "tax_paid": paid, "zero_filing": zero,
            "source": "tax", "synced_at": synced}


def _deduction(code: str, reason: str, points: int, repairable: bool, occurred: date, corrected: date | None,
               synced: datetime) -> dict:
    return {"reason_code": code, "reason": reason, "points": points, "occurred_on": occurred,
            "corrected_on": corrected, "repairable": repairable, "source": "tax", "synced_at": synced}


def _claim(policy: str, period: str, claimed: bool, amount, synced: datetime, source: str = "tax") -> dict:
    return {"policy": policy, "period": period, "claimed": claimed,
            "amount": _cents(amount) if claimed and amount is not None else None, "source": source,
            "synced_at": synced}


def _showcase(cal: _Calendar) -> DemoSpec:
    """The enterprise to demonstrate with; every number here is chosen, none drawn."""
    region = next(r for r in REGIONS if r.division == "510107")
    industry = next(i for i in INDUSTRIES if i.code == "F52")
    tax = cal.syncs[0]["tax"]
    spec = DemoSpec(_profile(SHOWCASE_USCC, SHOWCASE_NAME, "company", "small_scale", industry, region,
                             employees=12, assets=_yuan(1_800_000), sales=_yuan(960_000), taxable=_yuan(420_000),
                             rd=_yuan(0), hires=0, registered=date(2019, 6, 18), sources=cal.sources[0], cal=cal))
    for (start, end, due), sales in zip(cal.quarters, (236_000, 251_500, 228_300, 243_800)):  # noqa: B905
        # Declared as taxable at 1% although at most 30万 a quarter is exempt: the relief it has not claimed.
        spec.filings.append(_filing("vat", start, end, due, due - timedelta(days=3), _cents(sales),
                                    _cents(sales * 0.92), _cents(sales * 0.01), False, tax))
    # The return still missing: VAT for the third quarter of the rated year, and its deduction.
    y = cal.rating_year
    overdue_due = _deadline_after(date(y, 9, 30))
    spec.filings.append(_filing("vat", date(y, 7, 1), date(y, 9, 30), overdue_due, None, None, _cents(231_600), None,
                                False, tax))
    spec.filings.append(_filing("financial_statements", date(y, 1, 1), date(y, 12, 31), cal.statements_due,
                                cal.statements_due - timedelta(days=10), None, None, None, False, tax))
    spec.credit = {"year": y, "level": "B", "score": 87, "source": "tax", "synced_at": tax}
    spec.deductions = [
        _deduction("invoice_violation", "未按规定开具、取得发票", 3, False, date(y, 5, 12), date(y, 5, 20), tax),
        _deduction("bookkeeping", "未按规定设置、保管账簿或记账凭证", 5, False, date(y, 8, 6), date(y, 9, 1), tax),
        _deduction("overdue_filing", "未按规定期限填报纳税申报表", 5, True, overdue_due + timedelta(days=1), None, tax),
    ]
    last_quarter = cal.quarter_string(cal.quarters[-1][0])
    spec.claims = [_claim("vat-small-scale-exemption", last_quarter, False, None, tax),
                   _claim("cit-small-low-profit", str(y), False, None, tax),
                   _claim("six-taxes-two-fees", last_quarter, True, 420, tax)]
    return spec


def _name(rng: random.Random, kind: str, industry: Industry, region: Region, taken: set[str]) -> str:
    for attempt in range(20):
        brand = _pick(rng, BRAND_CHARS) + _pick(rng, BRAND_CHARS)
        if kind == "individual":
            if rng.random() < 0.4:
                brand = _pick(rng, SURNAMES) + "记"
            name = f"{region.district}{brand}{_pick(rng, industry.individual_trades)}"
        else:
            if attempt >= 10:  # crowded: a three-character 字号
                brand += _pick(rng, BRAND_CHARS)
            name = f"{region.city}{brand}{_pick(rng, industry.company_trades)}{_pick(rng, COMPANY_FORMS)}"
        if name not in taken:
            taken.add(name)
            return name
    name = f"{name[:-4]}{len(taken)}号{name[-4:]}" if kind == "company" else f"{name}{len(taken)}号店"
    taken.add(name)
    return name


def _registered(rng: random.Random, cal: _Calendar) -> date:
    roll = rng.random()
    if roll < 0.05:  # this year: not rated yet
        first, last = date(cal.today.year, 1, 1), cal.today - timedelta(days=20)
    elif roll < 0.11:  # during the rated year: M (新设立)
        first, last = date(cal.rating_year, 1, 1), date(cal.rating_year, 12, 31)
    else:
        first, last = date(2008, 1, 1), date(cal.rating_year - 1, 12, 31)
    return first + timedelta(days=int(rng.random() * max(0, (last - first).days + 1)))


_INDUSTRIES = {"company": INDUSTRIES, "individual": tuple(i for i in INDUSTRIES if i.individual_trades)}
_CUMULATIVE = {kind: tuple(accumulate(i.weight for i in pool)) for kind, pool in _INDUSTRIES.items()}
_LEVELS = tuple(level for level, _ in LEVEL_SHARES)
_LEVEL_CUMULATIVE = tuple(accumulate(share for _, share in LEVEL_SHARES))


def _weighted(rng: random.Random, items: tuple, cumulative: tuple):
    return items[bisect(cumulative, rng.random() * cumulative[-1])]


def _random(index: int, rng: random.Random, cal: _Calendar, names: set[str]) -> DemoSpec:
    kind = "individual" if rng.random() < 0.25 else "company"
    industry = _weighted(rng, _INDUSTRIES[kind], _CUMULATIVE[kind])
    region = _pick(rng, REGIONS)
    market_day = int(rng.random() * len(cal.syncs))
    synced = cal.syncs[market_day]
    registered = _registered(rng, cal)
    if kind == "individual":
        employees, assets, sales = _int(rng, 1, 8), _log_uniform(rng, 2e4, 8e5), _log_uniform(rng, 3e4, 1.8e6)
        taxable = sales * rng.uniform(0.04, 0.2)
    else:
        size = rng.random()
        if size < 0.62:  # micro
            employees, assets, sales = _int(rng, 1, 25), _log_uniform(rng, 1e5, 6e6), _log_uniform(rng, 8e4, 4.5e6)
        elif size < 0.92:  # small
            employees, assets, sales = _int(rng, 15, 180), _log_uniform(rng, 2e6, 3.5e7), _log_uniform(rng, 1.5e6, 4e7)
        else:  # around the small-low-profit thresholds (300 employees, 5000万 assets, 300万 income)
            employees, assets, sales = _int(rng, 200, 420), _log_uniform(rng, 2.5e7, 9e7), _log_uniform(rng, 2e7, 2e8)
        taxable = max(0.0, sales * rng.uniform(-0.03, 0.14))
        if size >= 0.92 and rng.random() < 0.6:
            taxable = _log_uniform(rng, 1.5e6, 6.5e6)
    rd = sales * rng.uniform(0.02, 0.09) if kind == "company" and industry.rd and rng.random() < 0.45 else 0.0
    hires = (_int(rng, 1, 6) if rng.random() < 0.1 else 0) if kind == "company" else (1 if rng.random() < 0.03 else 0)
    general = sales > 5e6 or rng.random() < (0.12 if kind == "company" else 0.01)
    spec = DemoSpec(_profile(make_demo_uscc(index, region.division, kind), _name(rng, kind, industry, region, names),
                             kind, "general" if general else "small_scale", industry, region,
                             employees=employees, assets=_yuan(assets), sales=_yuan(sales), taxable=_yuan(taxable),
                             rd=_yuan(rd), hires=hires, registered=registered, sources=cal.sources[market_day],
                             cal=cal))
    claims_exemption = rng.random() < 0.85
    dormant = rng.random() < 0.02
    tax = synced["tax"]
    max_sales = _vat_filings(spec, rng, cal, general=general, sales=sales, registered=registered, dormant=dormant,
                             claims_exemption=claims_exemption, synced=tax)
    if kind == "company" and registered.year <= cal.rating_year:
        y, due = cal.rating_year, cal.statements_due
        missing = due < cal.today and rng.random() < 0.03
        spec.filings.append(_filing("financial_statements", date(y, 1, 1), date(y, 12, 31), due,
                                    None if missing else due - timedelta(days=int(rng.random() * 60)), None, None,
                                    None, False, tax))
    _credit(spec, rng, cal, registered=registered, dormant=dormant, synced=tax)
    _claims(spec, rng, cal, general=general, max_sales=max_sales, claims_exemption=claims_exemption, synced=synced)
    return spec


def _vat_filings(spec: DemoSpec, rng: random.Random, cal: _Calendar, *, general: bool, sales: float,
                 registered: date, dormant: bool, claims_exemption: bool, synced: datetime) -> float:
    """VAT returns of the last four quarters (monthly for general taxpayers and a few small-scale ones), with
    the anomalies the risk rules look for; returns the largest quarterly-equivalent declared sales."""
    monthly = general or rng.random() < 0.08
    periods = [p for p in (cal.months if monthly else cal.quarters) if p[1] >= registered]
    if not periods:
        return 0.0
    share = sales / (12 if monthly else 4)
    threshold = 100_000 if monthly else 300_000
    burden = rng.uniform(0.004, 0.035)
    last = len(periods) - 1
    overdue = rng.random() < 0.05
    late = int(rng.random() * last) if last and rng.random() < 0.07 else None
    mismatch = int(rng.random() * len(periods)) if rng.random() < 0.05 else None
    zero_from = max(0, len(periods) - _int(rng, 2, 3)) if rng.random() < 0.03 else None
    one_day, peak, filings, random_ = _DAYS[1], 0.0, spec.filings, rng.random
    declared: float | None
    paid: float | None
    filed: date | None
    for k, (start, end, due) in enumerate(periods):
        declared = share * (0.7 + 0.6 * random_())
        invoiced = declared * (0.55 + 0.45 * random_())
        if mismatch == k:  # invoiced well beyond what was declared
            declared, invoiced = declared * (0.4 + 0.3 * random_()), declared * (1.1 + 0.5 * random_())
        zero = dormant or (zero_from is not None and k >= zero_from)
        if zero:  # 零申报; the streak still issues invoices, the dormant do not
            declared, invoiced = 0.0, (0.0 if dormant else share * (0.3 + 0.6 * random_()))
        if general:  # noqa: SIM108
            paid = declared * burden
        else:
            paid = 0.0 if declared <= threshold and claims_exemption else declared * 0.01
        peak = max(peak, declared * (3 if monthly else 1))
        if overdue and k == last and due < cal.today:  # not filed: nothing declared yet, only invoices
            filed, declared, paid, zero = None, None, None, False
        else:
            filed = due - _DAYS[int(random_() * 13)]
            if filed <= end:
                filed = end + one_day
            if late == k:
                filed = min(due + _DAYS[_int(rng, 3, 45)], cal.today - one_day)
            declared, paid = round(declared, 2), round(paid, 2)
        filings.append({"tax_type": "vat", "period_start": start, "period_end": end, "due_date": due,
                        "filed_date": filed, "declared_sales": declared, "invoice_sales": round(invoiced, 2),
                        "tax_paid": paid, "zero_filing": zero, "source": "tax", "synced_at": synced})
    if mismatch is not None and rng.random() < 0.6:
        spec.findings.append(_finding(rng, cal, RISK_INDICATORS[0], _period_text(periods[mismatch], monthly), synced))
    if zero_from is not None and not dormant and rng.random() < 0.5:
        spec.findings.append(_finding(rng, cal, RISK_INDICATORS[1], _period_text(periods[-1], monthly), synced))
    if rng.random() < 0.02:
        indicator = _pick(rng, RISK_INDICATORS[2:])
        spec.findings.append(_finding(rng, cal, indicator, _period_text(_pick(rng, tuple(periods)), monthly), synced))
    return peak


def _period_text(period: tuple[date, date, date], monthly: bool) -> str:
    start = period[0]
    return f"{start.year}-{start.month:02d}" if monthly else f"{start.year}Q{(start.month - 1) // 3 + 1}"


def _finding(rng: random.Random, cal: _Calendar, indicator: tuple[str, str, str], period: str,
             synced: datetime) -> dict:
    name, source, text = indicator
    found = cal.stamp + timedelta(hours=8) - timedelta(days=_int(rng, 1, 60))  # 10:00 Beijing, 1–60 days ago
    return {"indicator": name, "period": period, "detail": {"说明": text}, "found_at": found, "source": source}


def _credit(spec: DemoSpec, rng: random.Random, cal: _Calendar, *, registered: date, dormant: bool,
            synced: datetime) -> None:
    y = cal.rating_year
    if registered.year > y:
        return
    level = "M" if registered.year == y or dormant else _weighted(rng, _LEVELS, _LEVEL_CUMULATIVE)
    low, high = LEVEL_DEFICITS[level]
    picks, total, score = [], 0, None
    if level == "D" and rng.random() < 0.4:  # 直接判级: no score
        picks.append(DIRECT_D)
    else:
        # Most enterprises sit near the top of their level: the deficit is skewed towards its low end, and is
        # made of a few items — the largest that fits half of the time.
        target = low + int((high - low) * rng.random() ** 3)
        while total < target:
            fitting = [d for d in DEDUCTIONS if total + d[2] <= high]
            if not fitting:
                break
            pick = max(fitting, key=lambda d: d[2]) if rng.random() < 0.5 else _pick(rng, tuple(fitting))
            picks.append(pick)
            total += pick[2]
        score = 100 - total
    spec.credit = {"year": y, "level": level, "score": score, "source": "tax", "synced_at": synced}
    first_month = registered.month if registered.year == y else 1
    for code, reason, points, repairable in picks:
        month = _int(rng, first_month, 12)
        occurred = filing_deadline(y, month) + timedelta(days=1) if code.startswith(("overdue", "direct")) \
            else date(y, month, _int(rng, 1, 28))
        corrected = occurred + timedelta(days=_int(rng, 1, 90)) if rng.random() < 0.55 else None
        if corrected is not None and corrected >= cal.today:
            corrected = None
        spec.deductions.append(_deduction(code, reason, points, repairable, occurred, corrected, synced))


def _claims(spec: DemoSpec, rng: random.Random, cal: _Calendar, *, general: bool, max_sales: float,
            claims_exemption: bool, synced: dict[str, datetime]) -> None:
    """Claims of the policies the enterprise looks eligible for; a missing claim is sometimes an explicit
    ``claimed: false`` row (the systems know) and sometimes no row at all (nobody knows)."""
    p = spec.profile
    quarter, year, this_year = cal.quarter_string(cal.quarters[-1][0]), str(cal.rating_year), str(cal.today.year)
    taxable, rated = float(p["taxable_income"]), p["registration_date"].year <= cal.rating_year

    def claim(policy: str, period: str, chance: float | bool, amount: float, source: str = "tax") -> None:
        claimed = chance if isinstance(chance, bool) else rng.random() < chance
        if claimed or rng.random() < 0.6:
            spec.claims.append(_claim(policy, period, claimed, amount, synced[source], source))

    if not general and spec.filings:
        if max_sales <= 300_000:
            claim("vat-small-scale-exemption", quarter, claims_exemption, max_sales * 0.01)
        else:
            claim("vat-small-scale-1pct", quarter, 0.9, max_sales * 0.02)
    small_low_profit = (p["kind"] == "company" and taxable <= 3e6 and p["employees"] <= 300 and rated
                        and float(p["total_assets"]) <= 5e7 and not p["restricted_industry"])
    if not general or small_low_profit:
        claim("six-taxes-two-fees", quarter, 0.8, 50 + 2950 * rng.random())
    if small_low_profit:
        claim("cit-small-low-profit", year, 0.85, taxable * 0.2)
    if p["kind"] == "individual" and taxable <= 2e6 and rated:
        claim("iit-individual-business-halving", year, 0.8, taxable * 0.05)
    if p["rd_expense"]:
        claim("rd-super-deduction", year, 0.7, float(p["rd_expense"]) * 0.25)
    if p["new_hires_key_groups"]:
        claim("employment-incentive", this_year, 0.5, p["new_hires_key_groups"] * 6000, "social_security")
    if spec.credit and spec.credit["level"] in ("A", "B", "M") and rng.random() < 0.15:
        spec.claims.append(_claim("bank-tax-loan", this_year, True, _log_uniform(rng, 1e5, 1e6), synced["bank"],
                                  "bank"))


def generate(n: int = 2000, *, seed: int = DEFAULT_SEED, today: date | None = None) -> Iterator[DemoSpec]:
    """``n`` demo enterprises, the showcase first. Pure: the same seed and day give the same data."""
    if n < 1:
        raise ValueError("n must be at least 1")
    cal = _Calendar.of(today or china_today())
    rng = random.Random(seed)
    names = {SHOWCASE_NAME}
    yield _showcase(cal)
    for index in range(1, n):
        yield _random(index, rng, cal, names)


# -- writing ---------------------------------------------------------------------------------------------------

def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(text: str) -> str:
    """A string as a field of COPY's text format."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


def _text_forms(table, columns: list[str]) -> list:
    """Per column, how a non-null value becomes a field of COPY's text format."""
    iso: dict = {}  # dates and times repeat a lot (periods, deadlines, sync times): format each once

    def moment(value):
        text = iso.get(value)
        if text is None:
            text = iso[value] = value.isoformat()
        return text

    texts: dict[int, tuple[object, str]] = {}  # the per-field source maps are shared objects: dump each once

    def document(value):
        known = texts.get(id(value))
        if known is None or known[0] is not value:
            text = _copy_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
            known = texts[id(value)] = (value, text)
        return known[1]

    forms = []
    for name in columns:
        kind = table.c[name].type
        kind = getattr(kind, "impl", kind)  # UTCDateTime → DateTime
        if isinstance(kind, Boolean):
            forms.append(lambda v: "t" if v else "f")
        elif isinstance(kind, JSON):
            forms.append(document)
        elif isinstance(kind, (Date, DateTime)):
            forms.append(moment)
        elif isinstance(kind, Numeric):
            forms.append("{:.2f}".format)
        elif isinstance(kind, String):
            forms.append(_copy_text)
        else:
            forms.append(str)
    return forms


def _copy(session: Session, table, rows: list[dict]) -> None:
    """PostgreSQL's COPY (text format) in the session's transaction: multi-row INSERTs spend most of their time
    formatting SQL text client-side, and CSV would double every quote of the JSON sources."""
    columns = list(rows[0])
    pairs = list(zip(columns, _text_forms(table, columns)))  # noqa: B905
    text = "".join("\t".join(["\\N" if (value := row[c]) is None else form(value) for c, form in pairs]) + "\n"
                   for row in rows)
    cursor = session.connection().connection.cursor()
    try:
        # psycopg 3: the whole text in one write (every small write would wait for the GIL the generator thread holds)
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(text)
    finally:
        cursor.close()


def bulk_insert(session: Session, model, rows: list[dict]) -> None:
    """Rows into ``model``'s table in batches: COPY on PostgreSQL, executemany elsewhere (every demo and bench table)."""
    if not rows:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    for part in _batches(rows, ROWS_PER_INSERT):
        if postgres:
            _copy(session, model.__table__, part)
        else:
            session.execute(insert(model), part)


def _reserve_ids(session: Session, model, count: int) -> list[int]:
    """``count`` ids from the table's own sequence (PostgreSQL), so that children can name their parent
    without reading the parents back."""
    return list(session.execute(sql(f"SELECT nextval(pg_get_serial_sequence('{model.__tablename__}', 'id')) "
                                     "FROM generate_series(1, :n)"), {"n": count}).scalars())


def _write(session: Session, specs: list[DemoSpec]) -> int:
    usccs = [s.profile["uscc"] for s in specs]
    taken = set(session.execute(select(Enterprise.uscc).where(Enterprise.uscc.in_(usccs))).scalars())
    specs = [s for s in specs if s.profile["uscc"] not in taken]  # a real enterprise with the same code wins
    if not specs:
        return 0
    credit = [s for s in specs if s.credit]
    if session.get_bind().dialect.name == "postgresql":
        ids = _reserve_ids(session, Enterprise, len(specs))
        bulk_insert(session, Enterprise, [{**s.profile, "id": i} for i, s in zip(ids, specs)])  # noqa: B905
        record_ids = dict(zip(map(id, credit), _reserve_ids(session, CreditRecord, len(credit)))) if credit else {}  # noqa: B905
    else:
        bulk_insert(session, Enterprise, [s.profile for s in specs])
        by_uscc = dict(session.execute(select(Enterprise.uscc, Enterprise.id).where(
            Enterprise.uscc.in_([s.profile["uscc"] for s in specs]))).tuples().all())
        ids = [by_uscc[s.profile["uscc"]] for s in specs]
        record_ids = None
    owned = list(zip(ids, specs))  # noqa: B905
    bulk_insert(session, EnterpriseFiling, [{**f, "enterprise_id": i} for i, s in owned for f in s.filings])
    bulk_insert(session, RiskFinding, [{**f, "enterprise_id": i} for i, s in owned for f in s.findings])
    bulk_insert(session, PolicyClaim, [{**c, "enterprise_id": i} for i, s in owned for c in s.claims])
    owned_credit = [(i, s) for i, s in owned if s.credit]
    if not owned_credit:
        return len(specs)
    if record_ids is not None:
        bulk_insert(session, CreditRecord, [{**(s.credit or {}), "id": record_ids[id(s)], "enterprise_id": i}
                                        for i, s in owned_credit])
    else:
        bulk_insert(session, CreditRecord, [{**(s.credit or {}), "enterprise_id": i} for i, s in owned_credit])
        by_owner = dict(session.execute(select(CreditRecord.enterprise_id, CreditRecord.id).where(
            CreditRecord.enterprise_id.in_([i for i, _ in owned_credit]))).tuples().all())
        record_ids = {id(s): by_owner[i] for i, s in owned_credit}
    bulk_insert(session, CreditDeduction, [{**d, "credit_record_id": record_ids[id(s)]}
                                       for _, s in owned_credit for d in s.deductions])
    return len(specs)


@contextmanager
def _ahead(batches: Iterator[list], depth: int = 2) -> Iterator[Iterator[list]]:
    """The batches, drawn by a thread up to ``depth`` ahead: the next chunk is generated while the database
    takes the last one (the generator is sequential, so the data do not change)."""
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def hand(item) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False  # the consumer has gone

    def produce() -> None:
        try:
            for batch in batches:
                if not hand(batch):
                    return
            hand(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            hand(exc)

    def consume() -> Iterator[list]:
        while (item := handoff.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item

    worker = threading.Thread(target=produce, name="demo-generator", daemon=True)
    worker.start()
    try:
        yield consume()
    finally:
        stop.set()
        worker.join()


def load_feature_models() -> None:
    """Import every feature's models, so that tables pointing at enterprises (reminders …) are known."""
    import api

    for module in pkgutil.iter_modules(api.__path__):
        if module.ispkg:
            try:  # noqa: SIM105
                importlib.import_module(f"api.{module.name}.models")
            except ModuleNotFoundError:
                pass


def _delete_with_dependents(session: Session, table, condition, tables) -> None:
    """Delete ``table``'s rows matching ``condition``, after the rows of other tables that point at them (a notice
    about a repair application, the SMS of that notice …)."""
    if "id" in table.c:
        doomed = select(table.c.id).where(condition).scalar_subquery()
        for child in tables:
            for fk in child.foreign_keys:
                if child is not table and fk.column.table is table:
                    _delete_with_dependents(session, child, fk.parent.in_(doomed), tables)
    session.execute(delete(table).where(condition))


def delete_demo(session: Session) -> int:
    """Delete the demo enterprises with everything that points at them (other features' rows too); returns
    how many enterprises went. Imported enterprises are never touched."""
    from api.core.database import Base

    load_feature_models()
    demo_ids = select(Enterprise.id).where(Enterprise.demo.is_(True)).scalar_subquery()
    own = {m.__table__.name for m in (Enterprise, EnterpriseFiling, CreditRecord, CreditDeduction, RiskFinding,
                                      PolicyClaim)}
    tables = Base.metadata.sorted_tables
    for table in reversed(tables):
        if table.name in own:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "enterprises":
                _delete_with_dependents(session, table, fk.parent.in_(demo_ids), tables)
    records = select(CreditRecord.id).where(CreditRecord.enterprise_id.in_(demo_ids)).scalar_subquery()
    session.execute(delete(CreditDeduction.__table__).where(CreditDeduction.credit_record_id.in_(records)))
    for model in (CreditRecord, EnterpriseFiling, RiskFinding, PolicyClaim):
        session.execute(delete(model.__table__).where(model.enterprise_id.in_(demo_ids)))
    deleted = rowcount(session.execute(delete(Enterprise.__table__).where(Enterprise.demo.is_(True))))
    session.expire_all()  # table-level deletes: objects loaded before must not be taken for live rows
    return deleted


def seed_demo(session: Session, n: int = 2000, *, seed: int = DEFAULT_SEED, today: date | None = None,
              reset: bool = False, chunk: int = CHUNK) -> dict:
    """Write ``n`` demo enterprises unless some exist (``reset``: delete them first). Flushes, never commits."""
    started = clock.perf_counter()
    deleted = delete_demo(session) if reset else 0
    if not reset and session.execute(select(Enterprise.id).where(Enterprise.demo.is_(True)).limit(1)).first():
        return {"created": 0, "deleted": 0, "skipped": True, "showcase": SHOWCASE_USCC,
                "seconds": round(clock.perf_counter() - started, 2)}
    with _ahead(_batches(generate(n, seed=seed, today=today), chunk)) as batches:
        created = sum(_write(session, batch) for batch in batches)
    session.flush()
    return {"created": created, "deleted": deleted, "skipped": False, "showcase": SHOWCASE_USCC,
            "seconds": round(clock.perf_counter() - started, 2)}


def main(argv: list[str] | None = None) -> int:
    from api.core.database import make_engine, make_session_factory
    from api.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m tools.demo.enterprises",
                                     description="生成演示企业数据（写入 DATABASE_URL 的数据库）")
    parser.add_argument("--n", type=int, default=2000, help="企业数量（默认2000）")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="随机种子：相同种子、相同日期生成相同数据")
    parser.add_argument("--reset", action="store_true", help="先删除已有的演示企业及其数据")
    parser.add_argument("--today", type=date.fromisoformat, help="以哪天为“今天”生成（YYYY-MM-DD，默认北京时间今天）")
    args = parser.parse_args(argv)
    engine = make_engine(get_settings().database_url)
    try:
        with make_session_factory(engine)() as session:
            result = seed_demo(session, args.n, seed=args.seed, today=args.today, reset=args.reset)
            session.commit()
    finally:
        engine.dispose()
    if result["skipped"]:
        print("已有演示企业，未重复生成（加 --reset 可删除后重新生成）。")
    else:
        print(f"已生成演示企业{result['created']}家（删除旧的{result['deleted']}家），用时{result['seconds']}秒。")
    print(f"展示企业：{SHOWCASE_NAME}，统一社会信用代码 {SHOWCASE_USCC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
