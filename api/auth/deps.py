"""Who is calling: the staff account behind a bearer token, its role, and the action server.

* ``CurrentStaff``: the active staff account of a valid staff token (``Authorization: Bearer``);
  the account is read from the database on every request, so a deactivated account or a changed
  role takes effect at once. No token, a bad signature or an expired token → 401 (with
  ``WWW-Authenticate: Bearer``); an enterprise token → 403 (authentic, but not a staff identity);
  a deactivated account → 403.
* ``require_roles(*roles)``: a dependency that also demands one of ``roles`` → 403 otherwise.
* ``ServiceCaller``: internal routes for the Rasa action server; ``Authorization: Bearer
  <SERVICE_TOKEN>`` compared in constant time, → 401 when missing or wrong.
"""
from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer

from api.auth.security import ENTERPRISE_ROLE, decode_staff_token, staff_claims
from api.core.database import SessionDep
from api.core.errors import Forbidden, Unauthorized
from api.core.runtime import SettingsDep
from api.org.models import ROLES, StaffAccount

__all__ = ["ROLE_LABELS", "get_current_staff", "CurrentStaff",
           "require_roles", "service_caller", "ServiceCaller", "install_auth_error_handler"]

ROLE_LABELS = {"staff": "工作人员", "handler": "办理人员", "supervisor": "分管局领导", "director": "主要领导",
               "operator": "运营人员", "admin": "系统管理员", "expert": "专家坐席"}
if set(ROLE_LABELS) != set(ROLES):  # a new role needs its label here
    raise RuntimeError(f"ROLE_LABELS does not match ROLES: {sorted(set(ROLES) ^ set(ROLE_LABELS))}")

# auto_error=False: the missing-token answer is ours (Chinese, with our error body), not FastAPI's.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)
service_scheme = HTTPBearer(auto_error=False, scheme_name="ServiceToken",
                            description="内部接口：智能助手动作服务器使用的服务凭证 SERVICE_TOKEN")


def get_current_staff(session: SessionDep, settings: SettingsDep,
                      token: Annotated[str | None, Depends(oauth2_scheme)]) -> StaffAccount:
    if not token:
        raise Unauthorized("请先登录", code="not_authenticated")
    claims = decode_staff_token(token, secret=settings.app_secret)
    if claims.get("role") == ENTERPRISE_ROLE:
        raise Forbidden("企业身份不能访问工作人员接口", code="staff_only")
    identity = staff_claims(claims)
    staff = session.get(StaffAccount, identity.staff_id)
    if staff is None:
        raise Unauthorized("登录凭证对应的账号不存在，请重新登录", code="invalid_token")
    if not staff.active:
        raise Forbidden(f"账号“{staff.username}”已停用", code="account_inactive")
    if staff.role != identity.role or staff.unit_id != identity.unit_id:
        raise Unauthorized("账号的角色或所属单位已变更，请重新登录", code="token_stale")
    return staff


CurrentStaff = Annotated[StaffAccount, Depends(get_current_staff)]


def require_roles(*roles: str) -> Callable[..., StaffAccount]:
    """A dependency giving the current staff account if its role is one of ``roles``, else 403."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    allowed = "、".join(ROLE_LABELS[r] for r in roles)

    def check(staff: CurrentStaff) -> StaffAccount:
        if staff.role not in roles:
            raise Forbidden(f"您的角色（{ROLE_LABELS[staff.role]}）无权进行此操作，需要：{allowed}",
                            code="role_forbidden")
        return staff

    check.__name__ = f"require_{'_'.join(roles)}"
    return check


def service_caller(settings: SettingsDep,
                   credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(service_scheme)]) -> str:
    """The action server, proven by the service token; returns the actor name for the ledger."""
    if credentials is None:
        raise Unauthorized("缺少服务凭证", code="not_authenticated")
    if not hmac.compare_digest(credentials.credentials.encode(), settings.service_token.encode()):
        raise Unauthorized("服务凭证无效", code="invalid_service_token")
    return "bot"


ServiceCaller = Annotated[str, Depends(service_caller)]


def install_auth_error_handler(app: FastAPI) -> None:
    """401 answers carry ``WWW-Authenticate: Bearer`` (RFC 6750); the body is the usual error body."""

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
        return JSONResponse({"detail": exc.detail, "code": exc.code}, status_code=exc.status,
                            headers={"WWW-Authenticate": "Bearer"})
