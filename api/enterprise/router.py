"""Enterprise routes: staff's enterprise profile, and the demo routes (only when ``DEMO_MODE`` is on).

* ``GET /api/enterprises/{uscc}`` — staff, experts, operators, admins and supervisors: ``key_facts`` and
  ``details`` in Chinese first (api.enterprise.summary), then the profile with each field's source system
  and sync time, the latest credit, a filings summary, claims and risk findings, and the unit that serves it
  (属地, ``serving_unit``). Its name and USCC are masked unless the caller serves the enterprise now
  (api.privacy.policy), audited.
* ``GET /api/demo/enterprises?q=&level=&limit=`` and ``POST /api/demo/token {uscc}`` — the demo page's list of
  demo enterprises and a 2-hour enterprise token for one of them. These exist only in demo mode: without it
  they are not installed at all (404). Only enterprises generated as demo data (``demo``) can be had: demo mode
  never hands out a token for an imported, real enterprise.

``install_enterprise(app, settings)`` includes the routers (the internal credit route always) and gives the
seat picture its ``profile`` and ``credit`` sections.

Pending reminders in the demo list come from ``PENDING_COUNTS``: functions ``(session, ids) -> {id: count}``
registered by name (``PENDING_COUNTS["reminders"] = …``); with none registered every count is 0.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query
from sqlalchemy import ScalarSelect, or_, select
from sqlalchemy.orm import Session

from api.auth.deps import require_roles
from api.auth.security import create_enterprise_token, verify_enterprise_token
from api.core.database import SessionDep
from api.core.errors import Invalid, NotFound
from api.core.runtime import SettingsDep
from api.core.time import aware_now
from api.enterprise import service, summary
from api.enterprise.models import KIND_LABELS, LEVELS, TAXPAYER_TYPE_LABELS, CreditRecord, Enterprise
from api.enterprise.schemas import DemoEnterprise, DemoEnterprisePage, DemoToken, DemoTokenRequest, EnterpriseProfile
from api.enterprise.showcase import SHOWCASE_USCC
from api.inputs import CleanStr
from api.org.models import LEVEL_LABELS, StaffAccount
from api.org.service import intake_unit, serving_unit
from api.privacy.policy import ENTERPRISE_FIELDS, Unmasked, audit_view, enterprise_view
from api.settings import Settings
from common.identifiers import normalize_uscc

__all__ = ["router", "demo_router", "PENDING_COUNTS", "pending_counts", "install_enterprise", "widget_link",
           "READ_ROLES", "DEMO_TOKEN_LIFETIME"]

READ_ROLES = ("staff", "expert", "operator", "admin", "supervisor")
DEMO_TOKEN_LIFETIME = timedelta(hours=2)

router = APIRouter(prefix="/api/enterprises", tags=["enterprises"])
demo_router = APIRouter(prefix="/api/demo", tags=["demo"])

PENDING_COUNTS: dict[str, Callable[[Session, list[int]], dict[int, int]]] = {}


def pending_counts(session: Session, ids: list[int]) -> dict[int, int]:
    """Per enterprise id, what the registered features have waiting for it (0 when nothing is registered)."""
    totals = dict.fromkeys(ids, 0)
    for count in PENDING_COUNTS.values():
        for enterprise_id, n in (count(session, ids) or {}).items():
            if enterprise_id in totals:
                totals[enterprise_id] += int(n or 0)
    return totals


Reader = Annotated[StaffAccount, Depends(require_roles(*READ_ROLES))]


@router.get("/{uscc}", response_model=EnterpriseProfile, summary="企业画像（含各字段的数据来源与同步时间）")
def enterprise_profile(uscc: CleanStr, staff: Reader, session: SessionDep, settings: SettingsDep,
                       unmasked: Unmasked = False) -> dict[str, Any]:
    data = service.profile(uscc, session=session)
    serving = serving_unit(data["uscc"], session=session, settings=settings)
    intake = intake_unit(session=session, settings=settings)
    decision = enterprise_view(staff, data["uscc"], session=session, switch=unmasked)
    audit_view(staff, decision, "view_enterprise", f"enterprise:{data['id']}", session=session, now=aware_now(),
               fields=ENTERPRISE_FIELDS, shown=[data["id"]])
    session.commit()
    facts = summary.key_facts(data["uscc"], data["name"], session=session, masker=decision.masker)
    return {**data, "name": decision.masker.name(data["name"]), "uscc": decision.masker.uscc(data["uscc"]),
            "key_facts": facts, "details": summary.details_for(data["uscc"], session=session),
            "serving_unit": {"id": serving.id, "name": serving.name, "level_label": LEVEL_LABELS[serving.level],
                             "intake": serving.id == intake.id}}


# -- demo ----------------------------------------------------------------------------------------------------

def _escape(text: str) -> str:
    """``text`` taken literally inside a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _latest_credit() -> tuple[ScalarSelect[Any], ScalarSelect[Any]]:
    """(level, year) of the enterprise's latest credit record, as correlated scalar subqueries."""
    latest = (select(CreditRecord.year).where(CreditRecord.enterprise_id == Enterprise.id)
              .order_by(CreditRecord.year.desc()).limit(1).scalar_subquery())
    level = (select(CreditRecord.level).where(CreditRecord.enterprise_id == Enterprise.id)
             .order_by(CreditRecord.year.desc()).limit(1).scalar_subquery())
    return level, latest


@demo_router.get("/enterprises", response_model=DemoEnterprisePage, summary="演示企业列表（仅演示模式）")
def demo_enterprises(session: SessionDep, q: CleanStr | None = Query(None, max_length=60),
                     level: CleanStr | None = Query(None, max_length=1),
                     limit: int = Query(50, ge=1, le=200)) -> DemoEnterprisePage:
    level_column, year_column = _latest_credit()
    query = select(Enterprise, level_column.label("level"), year_column.label("year")).where(Enterprise.demo.is_(True))
    if q and q.strip():
        text = q.strip()
        query = query.where(or_(Enterprise.name.like(f"%{_escape(text)}%", escape="\\"),
                                Enterprise.uscc.like(f"{_escape(normalize_uscc(text))}%", escape="\\")))
    if level:
        if level.upper() not in LEVELS:
            raise Invalid(f"信用级别“{level}”不存在，应为 {'、'.join(LEVELS)}", code="invalid_level")
        query = query.where(level_column == level.upper())
    rows = session.execute(query.order_by(Enterprise.id).limit(limit)).all()
    counts = pending_counts(session, [e.id for e, _, _ in rows])
    items = [DemoEnterprise(uscc=e.uscc, name=e.name, taxpayer_type=e.taxpayer_type,
                            taxpayer_type_label=TAXPAYER_TYPE_LABELS[e.taxpayer_type], kind=e.kind,
                            kind_label=KIND_LABELS[e.kind], region=e.region, industry=e.industry, credit_level=lv,
                            credit_year=year, pending_reminders=counts.get(e.id, 0), showcase=e.uscc == SHOWCASE_USCC)
             for e, lv, year in rows]
    return DemoEnterprisePage(items=items, limit=limit)


@demo_router.post("/token", response_model=DemoToken, summary="为演示企业签发企业登录令牌（2小时，仅演示模式）")
def demo_token(body: DemoTokenRequest, session: SessionDep, settings: SettingsDep) -> DemoToken:
    uscc = service.valid_uscc(body.uscc)
    enterprise = session.execute(select(Enterprise).where(Enterprise.uscc == uscc, Enterprise.demo.is_(True))
                                 ).scalar_one_or_none()
    if enterprise is None:
        raise NotFound(f"演示企业{uscc}不存在（只能为演示数据中的企业签发令牌）", code="demo_enterprise_not_found")
    token = create_enterprise_token(enterprise.uscc, enterprise.name, secret=settings.app_secret,
                                    lifetime=DEMO_TOKEN_LIFETIME)
    identity = verify_enterprise_token(token, secret=settings.app_secret)
    return DemoToken(token=token, uscc=enterprise.uscc, name=enterprise.name, expires_at=identity.expires_at,
                     widget_url=widget_link(token))


def widget_link(token: str) -> str:
    """The widget logged in as the enterprise. The token goes in the fragment: a browser never sends a
    fragment to a server (no access log) nor in a Referer, and the page clears it from the address bar."""
    return f"/#enterprise_token={token}"


def install_enterprise(app: FastAPI, settings: Settings) -> None:
    """Routers of the enterprise feature (the demo ones only in demo mode) and the seat picture's sections."""
    from api.enterprise.internal import router as internal_router
    from api.hub.picture import PROVIDERS

    app.include_router(router)
    app.include_router(internal_router)
    if settings.demo_mode:
        app.include_router(demo_router)
    PROVIDERS.setdefault("profile", service.picture_profile)
    PROVIDERS.setdefault("credit", service.picture_credit)
