"""What staff see first about an enterprise, in Chinese: ``key_facts`` (name, USCC, taxpayer type, industry,
credit, pending reminders, petitions in hand, risk findings, filings) and ``details`` (the profile grouped under
Chinese titles). Which system each field came from stays apart, in ``sources`` (api.enterprise.service), for
the page to show on demand.

Used by the seat picture (api.hub.picture) and the staff profile (``GET /api/enterprises/{uscc}``), so both say
the same thing the same way. A fact is ``{field, label, value, hint}``: ``value`` is text ready to show,
``hint`` a short explanation or null. Name and USCC pass through the caller's masker (api.privacy.policy).
Functions take ``session=`` and never commit.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.enterprise.models import (
    ENTERPRISE_FIELD_LABELS,
    FILING_STATE_LABELS,
    KIND_LABELS,
    TAX_TYPE_LABELS,
    TAXPAYER_TYPE_LABELS,
    Enterprise,
    EnterpriseFiling,
    RiskFinding,
)
from api.enterprise.service import filing_state, find_by_uscc, latest_credit, wan
from api.petition.constants import Status
from api.petition.models import Petition
from api.privacy.masking import Masker
from common.workdays import china_today

__all__ = ["IN_HAND", "key_facts", "details", "details_for", "open_petitions"]

IN_HAND = (Status.registered, Status.handed_over, Status.assigned, Status.in_progress, Status.resolved)
"""Petitions whose result the enterprise has not been given yet (反馈前): 在办诉求."""

DETAIL_GROUPS = (
    ("登记信息", ("kind", "industry", "region", "registration_date", "restricted_industry")),
    ("规模与财务", ("employees", "total_assets", "annual_sales", "taxable_income", "rd_expense",
                "new_hires_key_groups")),
)
_MONEY = {"total_assets", "annual_sales", "taxable_income", "rd_expense"}
_PEOPLE = {"employees", "new_hires_key_groups"}


def _fact(field: str, value: str, hint: str | None = None, label: str | None = None) -> dict[str, Any]:
    """One fact, named by ``ENTERPRISE_FIELD_LABELS`` unless ``label`` says otherwise."""
    return {"field": field, "label": label or ENTERPRISE_FIELD_LABELS[field], "value": value, "hint": hint}


def open_petitions(uscc: str, *, session: Session) -> int:
    return session.execute(select(func.count()).select_from(Petition).where(
        Petition.uscc == uscc, Petition.status.in_([s.value for s in IN_HAND]))).scalar_one()


def _credit_fact(enterprise: Enterprise, session: Session) -> dict[str, Any]:
    record, deductions = latest_credit(enterprise.id, session=session)
    if record is None:
        return _fact("credit", "暂无评价记录", "新设立或经营不满一年的企业可能尚未参评")
    score = f"，{record.score}分" if record.score is not None else ""
    to_fix = [d for d in deductions if d.repairable and d.corrected_on is None]
    hint = f"有{len(to_fix)}项可修复的扣分尚未纠正" if to_fix else (f"扣分{len(deductions)}项" if deductions else "无扣分记录")
    return _fact("credit", f"{record.level}级（{record.year}年度{score}）", hint)


def _filing_fact(enterprise: Enterprise, session: Session, today: date) -> dict[str, Any]:
    filings = session.execute(select(EnterpriseFiling).where(EnterpriseFiling.enterprise_id == enterprise.id)
                              .order_by(EnterpriseFiling.period_end.desc(), EnterpriseFiling.tax_type)).scalars().all()
    if not filings:
        return _fact("filings", "暂无申报记录")
    states = [filing_state(f, today) for f in filings]
    overdue = states.count("overdue")
    latest, state = filings[0], states[0]
    hint = (f"最近一期：{TAX_TYPE_LABELS.get(latest.tax_type, latest.tax_type)} "
            f"{latest.period_start.isoformat()}至{latest.period_end.isoformat()}，{FILING_STATE_LABELS[state]}")
    return _fact("filings", f"{overdue}期逾期未申报" if overdue else "无逾期未申报", hint)


def _risk_fact(enterprise: Enterprise, session: Session) -> dict[str, Any]:
    rows = session.execute(select(RiskFinding.period).where(RiskFinding.enterprise_id == enterprise.id)
                           .order_by(RiskFinding.found_at.desc())).scalars().all()
    return _fact("risk_findings", f"{len(rows)}条" if rows else "无", f"最近所属期：{rows[0]}" if rows else None)


def _pending_reminders(enterprise: Enterprise, session: Session) -> int:
    from api.enterprise.router import pending_counts  # the features that keep reminders register there

    return pending_counts(session, [enterprise.id]).get(enterprise.id, 0)


def key_facts(uscc: str | None, name: str | None, *, session: Session, masker: Masker | None = None,
              today: date | None = None) -> list[dict[str, Any]]:
    """The facts staff need first. A visitor: only that; an enterprise the data does not hold: name, USCC and
    its petitions; otherwise also type, industry, credit, reminders, risk findings and filings."""
    masker = masker or Masker(False)
    if not uscc:
        return [_fact("name", masker.name(name) or "访客（未登录）", "未登录，身份未经核验", label="企业名称")]
    enterprise = find_by_uscc(uscc, session=session)
    facts = [_fact("name", masker.name(enterprise.name if enterprise else name) or "（未提供）", label="企业名称"),
             _fact("uscc", masker.uscc(uscc))]
    if enterprise is not None:
        facts += [
            _fact("taxpayer_type", TAXPAYER_TYPE_LABELS[enterprise.taxpayer_type], KIND_LABELS[enterprise.kind]),
            _fact("industry", f"{enterprise.industry}（{enterprise.industry_code}）", enterprise.region),
            _credit_fact(enterprise, session),
        ]
        pending = _pending_reminders(enterprise, session)
        facts.append(_fact("pending_reminders", f"{pending}条" if pending else "无", "企业尚未查看的提醒"))
    count = open_petitions(uscc, session=session)
    facts.append(_fact("open_petitions", f"{count}件" if count else "无", "已受理、尚未向企业反馈办理结果"))
    if enterprise is not None:
        facts += [_risk_fact(enterprise, session), _filing_fact(enterprise, session, today or china_today())]
    return facts


def _show(field: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if field in _MONEY:
        return f"{wan(value)}万元"
    if field in _PEOPLE:
        return f"{value}人"
    if field == "kind":
        return KIND_LABELS[value]
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def details(enterprise: Enterprise) -> list[dict[str, Any]]:
    """The profile under Chinese titles: [{title, items: [{field, label, value}]}], values ready to show."""
    out = []
    for title, fields in DETAIL_GROUPS:
        items = []
        for field in fields:
            value = getattr(enterprise, field)
            if field == "industry":
                value = f"{enterprise.industry}（{enterprise.industry_code}）"
            items.append({"field": field, "label": ENTERPRISE_FIELD_LABELS[field], "value": _show(field, value)})
        out.append({"title": title, "items": items})
    return out



def details_for(uscc: str | None, *, session: Session) -> list[dict[str, Any]] | None:
    """``details`` of the enterprise with this USCC; None when the data does not hold it."""
    enterprise = find_by_uscc(uscc, session=session) if uscc else None
    return details(enterprise) if enterprise is not None else None
