"""Enterprise rows → ``knowledge.rules.facts.EnterpriseFacts``, the only thing the rules engine sees.

``iter_facts`` walks the enterprises in id order, a batch at a time: one query for the batch's enterprises
(keyset: ``id > last id``, so a caller may commit between batches) and one query per child table — filings,
credit records, deductions, current policy claims, risk findings — by the batch's id range (or its ids when
filtered): six statements a batch whatever the batch holds, and only one batch in memory. ``load_facts`` is
the same for a list of ids.

``claimed`` holds the policy ids whose latest claim row in a current period (``periods.current_periods``:
this or the previous year, quarter or month) says claimed; ``credit_*`` come from the latest credit record;
``deductions`` are those of every credit record, oldest first (the rules look at their dates).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from api.enterprise.models import CreditDeduction, CreditRecord, Enterprise, EnterpriseFiling, PolicyClaim, RiskFinding
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
    connection = session.connection()
    for start in range(0, len(ids), BATCH):
        rows = connection.execute(select(*_PROFILE).where(Enterprise.id.in_(ids[start:start + BATCH]))
                                  .order_by(Enterprise.id)).all()
        out.extend(facts_for_rows(session, rows, today=today))
    return out


def iter_facts(session: Session, batch: int = BATCH, where: ColumnElement[bool] | None = None, *,
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
        # Core rows through the session's connection (its transaction): no ORM loading for plain columns.
        rows = session.connection().execute(query.order_by(Enterprise.id).limit(batch)).all()
        if not rows:
            return
        last = rows[-1][0]
        # Without a filter the batch is every enterprise between its first and last id, so its children are
        # a range of each child index, which the planner reads better than a 2,000-value IN list.
        yield from facts_for_rows(session, rows, today=today, contiguous=where is None)
        if len(rows) < batch:
            return


@lru_cache(maxsize=4096)
def _period_end(period: str) -> date:
    return parse_period(period)[1]


def facts_for_rows(session: Session, rows: Sequence[Any], *, today: date | None = None,
                   contiguous: bool = False) -> list[EnterpriseFacts]:
    """Facts for enterprise rows (``_PROFILE`` columns, in id order): five queries for all their children.
    ``contiguous``: the rows are all the enterprises from the first id to the last."""
    if not rows:
        return []
    today = today or china_today()
    ids = [r[0] for r in rows]
    connection = session.connection()

    def of_batch(column: Any) -> ColumnElement[bool]:
        # The range bounds the index scan either way; a filtered batch also names its ids.
        in_range = column.between(ids[0], ids[-1])
        return in_range if contiguous else and_(in_range, column.in_(ids))

    filings: dict[int, list[FilingFact]] = defaultdict(list)
    for owner, tax_type, start, end, due, filed, declared, invoiced, paid, zero in connection.execute(select(
            EnterpriseFiling.enterprise_id, EnterpriseFiling.tax_type, EnterpriseFiling.period_start,
            EnterpriseFiling.period_end, EnterpriseFiling.due_date, EnterpriseFiling.filed_date,
            EnterpriseFiling.declared_sales, EnterpriseFiling.invoice_sales, EnterpriseFiling.tax_paid,
            EnterpriseFiling.zero_filing).where(of_batch(EnterpriseFiling.enterprise_id))
            .order_by(EnterpriseFiling.enterprise_id, EnterpriseFiling.period_start, EnterpriseFiling.tax_type)).all():
        filings[owner].append(FilingFact(tax_type=tax_type, period_start=start, period_end=end, due_date=due,
                                         filed_date=filed, declared_sales=declared, invoice_sales=invoiced,
                                         tax_paid=paid, zero_filing=bool(zero)))

    latest: dict[int, tuple[int, str, int | None]] = {}
    for owner, year, level, score in connection.execute(select(
            CreditRecord.enterprise_id, CreditRecord.year, CreditRecord.level, CreditRecord.score)
            .where(of_batch(CreditRecord.enterprise_id))).all():
        if owner not in latest or year > latest[owner][0]:
            latest[owner] = (year, level, score)

    deductions: dict[int, list[DeductionFact]] = defaultdict(list)
    for owner, id_, code, reason, points, occurred, corrected, repairable in connection.execute(select(
            CreditRecord.enterprise_id, CreditDeduction.id, CreditDeduction.reason_code, CreditDeduction.reason,
            CreditDeduction.points, CreditDeduction.occurred_on, CreditDeduction.corrected_on,
            CreditDeduction.repairable).join(CreditRecord, CreditRecord.id == CreditDeduction.credit_record_id)
            .where(of_batch(CreditRecord.enterprise_id))
            .order_by(CreditRecord.enterprise_id, CreditDeduction.occurred_on, CreditDeduction.id)).all():
        deductions[owner].append(DeductionFact(id=id_, reason_code=code, reason=reason, points=points,
                                               occurred_on=occurred, corrected_on=corrected,
                                               repairable=bool(repairable)))

    # Per policy, the claim row of the latest current period decides (a claimed quarter followed by an
    # unclaimed one is not claimed now).
    decided: dict[tuple[int, str], tuple[date, bool]] = {}
    for owner, policy, period, yes in connection.execute(select(
            PolicyClaim.enterprise_id, PolicyClaim.policy, PolicyClaim.period, PolicyClaim.claimed)
            .where(of_batch(PolicyClaim.enterprise_id), PolicyClaim.period.in_(sorted(current_periods(today))))).all():
        end = _period_end(period)
        known = decided.get((owner, policy))
        if known is None or end > known[0]:
            decided[(owner, policy)] = (end, bool(yes))
    claimed: dict[int, set[str]] = defaultdict(set)
    for (owner, policy), (_, yes) in decided.items():
        if yes:
            claimed[owner].add(policy)

    findings: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for owner, indicator, period in connection.execute(select(
            RiskFinding.enterprise_id, RiskFinding.indicator, RiskFinding.period)
            .where(of_batch(RiskFinding.enterprise_id))
            .order_by(RiskFinding.enterprise_id, RiskFinding.period, RiskFinding.indicator)).all():
        findings[owner].append((indicator, period))

    empty: frozenset[str] = frozenset()
    out = []
    for (id_, uscc, name, taxpayer_type, kind, industry_code, industry, region, restricted, employees, assets,
         sales, taxable, rd, hires, registered) in rows:
        year, level, score = latest.get(id_, (None, None, None))
        out.append(EnterpriseFacts(
            enterprise_id=id_, uscc=uscc, name=name, taxpayer_type=taxpayer_type, kind=kind,
            industry_code=industry_code, industry=industry, region=region, restricted_industry=bool(restricted),
            employees=employees, total_assets=assets, annual_sales=sales, taxable_income=taxable, rd_expense=rd,
            new_hires_key_groups=hires, registration_date=registered, credit_level=level, credit_year=year,
            credit_score=score, deductions=tuple(deductions.get(id_, ())), filings=tuple(filings.get(id_, ())),
            claimed=frozenset(claimed[id_]) if id_ in claimed else empty,
            risk_findings=tuple(findings.get(id_, ()))))
    return out
