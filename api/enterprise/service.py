"""Look-ups over enterprise data: an enterprise by USCC, its latest credit and the text the bot says about it,
the staff profile (with each field's source system and sync time) and the seat picture's sections.

Functions take ``session=`` and never commit. Unknown enterprises answer 404 with a Chinese message.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.errors import Invalid, NotFound
from api.enterprise.models import (
    FIELD_LABELS,
    KIND_LABELS,
    SOURCE_LABELS,
    TAX_TYPE_LABELS,
    TAXPAYER_TYPE_LABELS,
    CreditDeduction,
    CreditRecord,
    Enterprise,
    EnterpriseFiling,
    PolicyClaim,
    RiskFinding,
)
from common.identifiers import is_valid_uscc, normalize_uscc
from common.workdays import china_today

__all__ = ["NO_CREDIT", "valid_uscc", "get_by_uscc", "find_by_uscc", "latest_credit", "deduction_read", "credit_text",
           "own_credit", "filing_state", "profile", "picture_profile", "picture_credit", "wan"]

NO_CREDIT = ("暂未查询到贵企业的纳税信用记录。新设立或评价年度内经营不满一年的企业可能尚未参评，"
             "可登录电子税务局“纳税信用”模块查询，或拨打12366咨询。")
RECENT_FILINGS = 12


def valid_uscc(text: str) -> str:
    """The normalised USCC, or 422 saying what is wrong with it."""
    uscc = normalize_uscc(text or "")
    if not is_valid_uscc(uscc):
        raise Invalid(f"统一社会信用代码“{text}”无效：应为18位，且校验位正确", code="invalid_uscc")
    return uscc


def find_by_uscc(uscc: str, *, session: Session) -> Enterprise | None:
    return session.execute(select(Enterprise).where(Enterprise.uscc == normalize_uscc(uscc or ""))).scalar_one_or_none()


def get_by_uscc(uscc: str, *, session: Session) -> Enterprise:
    enterprise = find_by_uscc(valid_uscc(uscc), session=session)
    if enterprise is None:
        raise NotFound(f"未找到统一社会信用代码为{normalize_uscc(uscc)}的企业", code="enterprise_not_found")
    return enterprise


def latest_credit(enterprise_id: int, *, session: Session) -> tuple[CreditRecord | None, list[CreditDeduction]]:
    """The latest year's credit record and its deductions, oldest first."""
    record = session.execute(select(CreditRecord).where(CreditRecord.enterprise_id == enterprise_id)
                             .order_by(CreditRecord.year.desc()).limit(1)).scalar_one_or_none()
    if record is None:
        return None, []
    deductions = session.execute(select(CreditDeduction).where(CreditDeduction.credit_record_id == record.id)
                                 .order_by(CreditDeduction.occurred_on, CreditDeduction.id)).scalars().all()
    return record, list(deductions)


def deduction_read(deduction: CreditDeduction) -> dict[str, Any]:
    return {"id": deduction.id, "reason_code": deduction.reason_code, "reason": deduction.reason,
            "points": deduction.points, "date": deduction.occurred_on, "repairable": deduction.repairable,
            "corrected": deduction.corrected_on is not None, "corrected_on": deduction.corrected_on}


def _deduction_line(d: CreditDeduction) -> str:
    state = f"已于{d.corrected_on.isoformat()}纠正" if d.corrected_on else "尚未纠正"
    return f"{d.reason}（{d.occurred_on.isoformat()}，扣{d.points}分，{state}）"


def credit_text(record: CreditRecord, deductions: list[CreditDeduction]) -> str:
    """One paragraph: the level, every deduction, and which of them can be repaired and how."""
    score = f"（{record.score}分）" if record.score is not None else ""
    parts = [f"贵企业{record.year}年度纳税信用等级为{record.level}级{score}。"]
    if not deductions:
        parts.append("无扣分记录。")
        return "".join(parts)
    parts.append("扣分记录：" + "；".join(_deduction_line(d) for d in deductions) + "。")
    repairable = [d for d in deductions if d.repairable]
    if not repairable:
        parts.append("以上扣分项不属于可申请信用修复的情形。")
        return "".join(parts)
    open_ones = [d for d in repairable if d.corrected_on is None]
    parts.append(f"其中可修复的{len(repairable)}项：" + "、".join(d.reason for d in repairable) + "。")
    if open_ones:
        parts.append(f"尚有{len(open_ones)}项未纠正，请尽快纠正（如补办申报、缴纳税款），纠正后可向主管税务机关申请纳税信用修复，"
                     "越早纠正修复加分越多。")
    else:
        parts.append("均已纠正，可向主管税务机关申请纳税信用修复。")
    return "".join(parts)


def own_credit(uscc: str, *, session: Session) -> dict[str, Any]:
    """The enterprise's own latest credit: level, year, score, deductions and the text; 404 when there is none."""
    enterprise = find_by_uscc(uscc, session=session)
    record, deductions = latest_credit(enterprise.id, session=session) if enterprise else (None, [])
    if record is None:
        raise NotFound(NO_CREDIT, code="credit_not_found")
    return {"text": credit_text(record, deductions), "level": record.level, "year": record.year,
            "score": record.score, "deductions": [deduction_read(d) for d in deductions]}


def filing_state(filing: EnterpriseFiling, today: date) -> str:
    """filed (on time) · late (filed after the due date) · overdue (due, not filed) · pending (not due yet)."""
    if filing.filed_date is not None:
        return "late" if filing.filed_date > filing.due_date else "filed"
    return "overdue" if filing.due_date < today else "pending"


def _sources(enterprise: Enterprise) -> dict[str, dict[str, Any]]:
    out = {}
    for field, value in (enterprise.sources or {}).items():
        if isinstance(value, dict) and value.get("source") in SOURCE_LABELS:
            out[field] = {"source": value["source"], "source_label": SOURCE_LABELS[value["source"]],
                          "synced_at": value.get("synced_at"), "field_label": FIELD_LABELS.get(field, field)}
    return out


def _filings_summary(enterprise_id: int, *, session: Session, today: date) -> dict[str, Any]:
    filings = session.execute(select(EnterpriseFiling).where(EnterpriseFiling.enterprise_id == enterprise_id)
                              .order_by(EnterpriseFiling.period_end.desc(), EnterpriseFiling.tax_type)).scalars().all()
    states = [filing_state(f, today) for f in filings]
    recent = [{"tax_type": f.tax_type, "tax_type_label": TAX_TYPE_LABELS.get(f.tax_type, f.tax_type),
               "period_start": f.period_start, "period_end": f.period_end, "due_date": f.due_date,
               "filed_date": f.filed_date, "declared_sales": f.declared_sales, "invoice_sales": f.invoice_sales,
               "tax_paid": f.tax_paid, "zero_filing": f.zero_filing, "state": state, "source": f.source}
              for f, state in list(zip(filings, states))[:RECENT_FILINGS]]  # noqa: B905
    return {"total": len(filings), "filed_on_time": states.count("filed"), "filed_late": states.count("late"),
            "overdue_unfiled": states.count("overdue"), "pending": states.count("pending"),
            "zero_filings": sum(1 for f in filings if f.zero_filing), "recent": recent}


def profile(uscc: str, *, session: Session, today: date | None = None) -> dict[str, Any]:
    """Everything staff see about one enterprise, each profile field with the system it came from."""
    today = today or china_today()
    e = get_by_uscc(uscc, session=session)
    record, deductions = latest_credit(e.id, session=session)
    claims = session.execute(select(PolicyClaim).where(PolicyClaim.enterprise_id == e.id)
                             .order_by(PolicyClaim.period.desc(), PolicyClaim.policy)).scalars().all()
    findings = session.execute(select(RiskFinding).where(RiskFinding.enterprise_id == e.id)
                               .order_by(RiskFinding.found_at.desc())).scalars().all()
    credit = None if record is None else {
        "level": record.level, "year": record.year, "score": record.score, "source": record.source,
        "synced_at": record.synced_at, "deductions": [deduction_read(d) for d in deductions]}
    return {
        "id": e.id, "uscc": e.uscc, "name": e.name, "taxpayer_type": e.taxpayer_type,
        "taxpayer_type_label": TAXPAYER_TYPE_LABELS[e.taxpayer_type], "kind": e.kind, "kind_label": KIND_LABELS[e.kind],
        "industry_code": e.industry_code, "industry": e.industry, "region": e.region,
        "restricted_industry": e.restricted_industry, "employees": e.employees, "total_assets": e.total_assets,
        "annual_sales": e.annual_sales, "taxable_income": e.taxable_income, "rd_expense": e.rd_expense,
        "new_hires_key_groups": e.new_hires_key_groups, "registration_date": e.registration_date, "demo": e.demo,
        "sources": _sources(e), "credit": credit, "filings": _filings_summary(e.id, session=session, today=today),
        "claims": [{"policy": c.policy, "period": c.period, "claimed": c.claimed, "amount": c.amount,
                    "source": c.source, "synced_at": c.synced_at} for c in claims],
        "risk_findings": [{"indicator": f.indicator, "period": f.period, "detail": f.detail, "found_at": f.found_at,
                           "source": f.source} for f in findings],
    }


# -- the seat picture's sections (api.hub.picture.PROVIDERS): None when the enterprise is not known ------------

def wan(amount: Any) -> str:
    """Yuan as a number of 万元 with two decimals: 1200000 → '120.00'."""
    return f"{amount / 10000:.2f}" if amount is not None else ""


def picture_profile(uscc: str, session: Session) -> dict[str, Any] | None:
    e = find_by_uscc(uscc, session=session)
    if e is None:
        return None
    overdue = session.execute(select(func.count()).select_from(EnterpriseFiling).where(
        EnterpriseFiling.enterprise_id == e.id, EnterpriseFiling.filed_date.is_(None),
        EnterpriseFiling.due_date < china_today())).scalar_one()
    return {"name": e.name, "uscc": e.uscc, "taxpayer_type": TAXPAYER_TYPE_LABELS[e.taxpayer_type],
            "kind": KIND_LABELS[e.kind], "industry": f"{e.industry}（{e.industry_code}）", "region": e.region,
            "employees": e.employees, "total_assets_wan": wan(e.total_assets),
            "annual_sales_wan": wan(e.annual_sales),
            "taxable_income_wan": wan(e.taxable_income), "registration_date": e.registration_date.isoformat(),
            "overdue_filings": overdue,
            "sources": {field: {"label": s["source_label"], "synced_at": s["synced_at"],
                                "field_label": s["field_label"]}
                        for field, s in _sources(e).items()}}


def picture_credit(uscc: str, session: Session) -> dict[str, Any] | None:
    e = find_by_uscc(uscc, session=session)
    record, deductions = latest_credit(e.id, session=session) if e else (None, [])
    if record is None:
        return None
    return {"level": record.level, "year": record.year, "score": record.score, "text": credit_text(record, deductions),
            "deductions": [{**deduction_read(d), "date": d.occurred_on.isoformat(),
                            "corrected_on": d.corrected_on.isoformat() if d.corrected_on else None}
                           for d in deductions]}
