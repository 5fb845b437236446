"""Enterprise rows → ``knowledge.rules.facts.EnterpriseFacts``, the only thing the rules engine sees.

``iter_facts`` walks the enterprises in id order, a batch at a time: one query for the batch's enterprises
(keyset: ``id > last id``, so a caller may commit between batches) and one IN query per child table —
filings, credit records, deductions, current policy claims, risk findings — six statements a batch whatever
the batch holds, and only one batch in memory. ``load_facts`` is the same for a list of ids.

``claimed`` holds the policy ids whose latest claim row in a current period (``periods.current_periods``:
this or the previous year, quarter or month) says claimed; ``credit_*`` come from the latest credit record;
``deductions`` are those of every credit record, oldest first (the rules look at their dates).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from api.enterprise.models import (CreditDeduction, CreditRecord, Enterprise, EnterpriseFiling, PolicyClaim,
                                   RiskFinding)
from api.enterprise.periods import current_periods, parse_period
from common.workdays import china_today
from knowledge.rules.facts import DeductionFact, EnterpriseFacts, FilingFact

__all__ = ["BATCH", "load_facts", "iter_facts", "facts_for_rows"]

BATCH = 2000

_PROFILE = (Enterprise.id, Enterprise.uscc, Enterprise.name, Enterprise.taxpayer_type, Enterprise.kind,
            Enterprise.industry_code, Enterprise.industry, Enterprise.region, Enterprise.restricted_industry,
            Enterprise.employees, Enterprise.total_assets, Enterprise.annual_sales, Enterprise.taxable_income,
            Enterprise.rd_expense, Enterprise.new_hires_key_groups, Enterprise.registration_date)


def load_facts(session: Session, enterprise_ids: Sequence[int], *, today: date | None = None) -> list[EnterpriseFacts]:
    """Facts of these enterprises (unknown ids are left out), in id order."""
    ids = sorted(set(enterprise_ids))
    out: list[EnterpriseFacts] = []
    for start in range(0, len(ids), BATCH):
        rows = session.execute(select(*_PROFILE).where(Enterprise.id.in_(ids[start:start + BATCH]))
                               .order_by(Enterprise.id)).all()
        out.extend(facts_for_rows(session, rows, today=today))
    return out


def iter_facts(session: Session, batch: int = BATCH, where: ColumnElement | None = None, *,
               today: date | None = None) -> Iterator[EnterpriseFacts]:
    """Facts of every enterprise (or those matching ``where``, an expression on ``Enterprise``) in id order."""
    if batch < 1:
        raise ValueError("batch must be positive")
    today = today or china_today()
    last = None
    while True:
        query = select(*_PROFILE)
        if where is not None:
            query = query.where(where)
        if last is not None:
            query = query.where(Enterprise.id > last)
        rows = session.execute(query.order_by(Enterprise.id).limit(batch)).all()
        if not rows:
            return
        last = rows[-1].id
        yield from facts_for_rows(session, rows, today=today)
        if len(rows) < batch:
            return


def facts_for_rows(session: Session, rows: Sequence, *, today: date | None = None) -> list[EnterpriseFacts]:
    """Facts for enterprise rows (``_PROFILE`` columns): five IN queries for all their children."""
    if not rows:
        return []
    today = today or china_today()
    ids = [r.id for r in rows]
    filings: dict[int, list[FilingFact]] = defaultdict(list)
    for f in session.execute(select(
            EnterpriseFiling.enterprise_id, EnterpriseFiling.tax_type, EnterpriseFiling.period_start,
            EnterpriseFiling.period_end, EnterpriseFiling.due_date, EnterpriseFiling.filed_date,
            EnterpriseFiling.declared_sales, EnterpriseFiling.invoice_sales, EnterpriseFiling.tax_paid,
            EnterpriseFiling.zero_filing).where(EnterpriseFiling.enterprise_id.in_(ids))
            .order_by(EnterpriseFiling.enterprise_id, EnterpriseFiling.period_start, EnterpriseFiling.tax_type)):
        filings[f.enterprise_id].append(FilingFact(
            tax_type=f.tax_type, period_start=f.period_start, period_end=f.period_end, due_date=f.due_date,
            filed_date=f.filed_date, declared_sales=f.declared_sales, invoice_sales=f.invoice_sales,
            tax_paid=f.tax_paid, zero_filing=bool(f.zero_filing)))

    latest: dict[int, tuple[int, str, int | None]] = {}
    for c in session.execute(select(CreditRecord.enterprise_id, CreditRecord.year, CreditRecord.level,
                                    CreditRecord.score).where(CreditRecord.enterprise_id.in_(ids))):
        if c.enterprise_id not in latest or c.year > latest[c.enterprise_id][0]:
            latest[c.enterprise_id] = (c.year, c.level, c.score)

    deductions: dict[int, list[DeductionFact]] = defaultdict(list)
    for d in session.execute(select(
            CreditRecord.enterprise_id, CreditDeduction.id, CreditDeduction.reason_code, CreditDeduction.reason,
            CreditDeduction.points, CreditDeduction.occurred_on, CreditDeduction.corrected_on,
            CreditDeduction.repairable).join(CreditRecord, CreditRecord.id == CreditDeduction.credit_record_id)
            .where(CreditRecord.enterprise_id.in_(ids))
            .order_by(CreditRecord.enterprise_id, CreditDeduction.occurred_on, CreditDeduction.id)):
        deductions[d.enterprise_id].append(DeductionFact(
            id=d.id, reason_code=d.reason_code, reason=d.reason, points=d.points, occurred_on=d.occurred_on,
            corrected_on=d.corrected_on, repairable=bool(d.repairable)))

    # Per policy, the claim row of the latest current period decides (a claimed quarter followed by an
    # unclaimed one is not claimed now).
    decided: dict[tuple[int, str], tuple[date, bool]] = {}
    for c in session.execute(select(PolicyClaim.enterprise_id, PolicyClaim.policy, PolicyClaim.period,
                                    PolicyClaim.claimed).where(PolicyClaim.enterprise_id.in_(ids),
                                                               PolicyClaim.period.in_(sorted(current_periods(today))))):
        end = parse_period(c.period)[1]
        key = (c.enterprise_id, c.policy)
        if key not in decided or end > decided[key][0]:
            decided[key] = (end, bool(c.claimed))
    claimed: dict[int, set[str]] = defaultdict(set)
    for (enterprise_id, policy), (_, yes) in decided.items():
        if yes:
            claimed[enterprise_id].add(policy)

    findings: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for r in session.execute(select(RiskFinding.enterprise_id, RiskFinding.indicator, RiskFinding.period)
                             .where(RiskFinding.enterprise_id.in_(ids))
                             .order_by(RiskFinding.enterprise_id, RiskFinding.period, RiskFinding.indicator)):
        findings[r.enterprise_id].append((r.indicator, r.period))

    out = []
    for r in rows:
        year, level, score = latest.get(r.id, (None, None, None))
        out.append(EnterpriseFacts(
            enterprise_id=r.id, uscc=r.uscc, name=r.name, taxpayer_type=r.taxpayer_type, kind=r.kind,
            industry_code=r.industry_code, industry=r.industry, region=r.region,
            restricted_industry=bool(r.restricted_industry), employees=r.employees, total_assets=r.total_assets,
            annual_sales=r.annual_sales, taxable_income=r.taxable_income, rd_expense=r.rd_expense,
            new_hires_key_groups=r.new_hires_key_groups, registration_date=r.registration_date,
            credit_level=level, credit_year=year, credit_score=score,
            deductions=tuple(deductions.get(r.id, ())), filings=tuple(filings.get(r.id, ())),
            claimed=frozenset(claimed.get(r.id, ())), risk_findings=tuple(findings.get(r.id, ()))))
    return out
