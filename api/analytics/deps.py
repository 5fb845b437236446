"""What the operator dashboard's three routers share (analytics, conversation review, bot improvement): the roles
that may use them, the period and scope of a query, the output format, and masking with its audit.

Roles operator and admin (401 without a staff token, 403 for any other role). Everything is masked unless an admin
passes ``unmasked=true`` (the policy of :mod:`api.privacy.policy`); that view is written to the audit log in the
same transaction as the answer.
"""
from __future__ import annotations

from datetime import date, timedelta
from enum import Enum
from typing import Annotated

from fastapi import Depends, Query, Request

from api.analytics.service import Scope
from api.auth.deps import require_roles
from api.core.errors import Invalid
from api.core.time import aware_now
from api.inputs import Id, SafeDate
from api.org.models import StaffAccount
from api.privacy.masking import Masker
from api.privacy.policy import SWITCH_ROLES, audit, check_switch
from common.workdays import china_today

__all__ = ["DASHBOARD_ROLES", "DEFAULT_DAYS", "MAX_DAYS", "Operator", "Admin", "Channel", "Format", "period", "scope",
           "ScopeDep", "masker_for"]

DASHBOARD_ROLES = ("operator", "admin")
DEFAULT_DAYS = 30
MAX_DAYS = 366

Operator = Annotated[StaffAccount, Depends(require_roles(*DASHBOARD_ROLES))]
Admin = Annotated[StaffAccount, Depends(require_roles(*SWITCH_ROLES))]


class Channel(str, Enum):
    all = "all"
    enterprise = "enterprise"
    visitor = "visitor"


class Format(str, Enum):
    json = "json"
    csv = "csv"


def period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    date_to = date_to or china_today()
    date_from = date_from or date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_from > date_to:
        raise Invalid("起始日期不能晚于截止日期", code="invalid_period")
    if (date_to - date_from).days >= MAX_DAYS:
        raise Invalid(f"查询期间不能超过 {MAX_DAYS} 天", code="invalid_period")
    return date_from, date_to


def scope(date_from: SafeDate | None = Query(None, description="起始日期（含，北京时间）；默认截止日前 29 天"),
          date_to: SafeDate | None = Query(None, description="截止日期（含，北京时间）；默认今天"),
          channel: Channel = Query(Channel.all, description="all、enterprise（登录企业）或 visitor（访客）"),
          unit_id: Id | None = Query(None, description="服务单位")) -> Scope:
    first, last = period(date_from, date_to)
    return Scope(first, last, channel.value, unit_id)


ScopeDep = Annotated[Scope, Depends(scope)]


def masker_for(staff: StaffAccount, unmasked: bool, request: Request, session, action: str,
               subject: str | None = None) -> Masker:
    """Masking on; off only on the admin's switch (api.privacy.policy), and then the view is audit-logged
    (committed by the route)."""
    decision = check_switch(staff, unmasked)
    if decision is None:
        return Masker(True)
    audit(staff, action, subject or request.url.path, {"purpose": decision.purpose, "path": request.url.path,
                                                       **dict(request.query_params)}, session=session, now=aware_now())
    return decision.masker
