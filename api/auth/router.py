"""/api/auth: staff log-in (OAuth2 password flow → a staff JWT) and the current account."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from api.auth.deps import ROLE_LABELS, CurrentStaff, SettingsDep
from api.auth.schemas import StaffRead, TokenRead, UnitBrief
from api.auth.security import burn_password_check, create_staff_token, verify_password
from api.database import SessionDep
from api.errors import Forbidden, Unauthorized
from api.org.models import StaffAccount
from common.textnorm import strip_controls

__all__ = ["router", "staff_read"]

router = APIRouter(prefix="/api/auth", tags=["auth"])


def staff_read(staff: StaffAccount) -> StaffRead:
    return StaffRead(id=staff.id, username=staff.username, display_name=staff.display_name, role=staff.role,
                     role_label=ROLE_LABELS[staff.role], active=staff.active, unit=UnitBrief.from_orm(staff.unit))


@router.post("/token", response_model=TokenRead, summary="工作人员登录（OAuth2 密码模式）",
             responses={401: {"description": "用户名或密码错误"}, 403: {"description": "账号已停用"}})
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
          settings: SettingsDep) -> TokenRead:
    username = strip_controls(form.username).strip()  # a NUL must not reach the database (PostgreSQL refuses it)
    staff = session.execute(select(StaffAccount).where(StaffAccount.username == username)).scalar_one_or_none()
    if staff is None:
        burn_password_check(form.password)  # same time as a wrong password: no username probing
        raise Unauthorized("用户名或密码错误", code="bad_credentials")
    if not verify_password(form.password, staff.password_hash):
        raise Unauthorized("用户名或密码错误", code="bad_credentials")
    if not staff.active:  # told only to someone who knows the password
        raise Forbidden(f"账号“{staff.username}”已停用，请联系管理员", code="account_inactive")
    lifetime = timedelta(minutes=settings.staff_token_minutes)
    token = create_staff_token(staff, secret=settings.app_secret, lifetime=lifetime)
    return TokenRead(access_token=token, expires_in=int(lifetime.total_seconds()), staff=staff_read(staff))


@router.get("/me", response_model=StaffRead, summary="当前登录的工作人员")
def me(staff: CurrentStaff) -> StaffRead:
    return staff_read(staff)
