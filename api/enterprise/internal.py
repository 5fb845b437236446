"""/api/internal/credit: the logged-in enterprise's own 纳税信用, for the action server (``ServiceCaller`` only).

Whose credit it is comes from the bot grant (api.auth.grants) made from the enterprise token and from nothing else — a USCC
in the body is ignored (DESIGN, Identity). No token, a bad or an expired one → 401 with a Chinese reason;
no credit record for the enterprise → 404 ("暂未查询到贵企业的纳税信用记录…"), which the bot says as it is.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.auth.deps import ServiceCaller
from api.auth.grants import grant_identity
from api.core.database import SessionDep
from api.core.runtime import SettingsDep
from api.enterprise import service
from api.enterprise.schemas import CreditQuery, OwnCredit

__all__ = ["router"]

router = APIRouter(prefix="/api/internal/credit", tags=["internal"])


@router.post("", response_model=OwnCredit, summary="查询登录企业自己的纳税信用")
def own_credit(body: CreditQuery, caller: ServiceCaller, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    identity = grant_identity(body, settings, login_required="为保护企业信息，请先登录电子税务局后再查询本企业的纳税信用")
    return service.own_credit(identity.uscc, session=session)
