"""/api/auth: staff log-in (OAuth2 password flow → a staff JWT, throttled by api.auth.lockout), the current
account, and lifting a log-in lockout."""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from api.auth import lockout
from api.auth.deps import ROLE_LABELS, CurrentStaff
from api.auth.schemas import LockoutLifted, StaffRead, TokenRead, UnitBrief
from api.auth.security import burn_password_check, create_staff_token, verify_password
from api.core.database import SessionDep
from api.core.errors import Forbidden, NotFound, Unauthorized
from api.core.runtime import RedisDep, SettingsDep
from api.core.time import aware_now
from api.inputs import CleanStr
from api.org.models import StaffAccount
from api.privacy.policy import audit
from api.throttle import client_address
from common.textnorm import strip_controls

__all__ = ["router", "staff_read"]

router = APIRouter(prefix="/api/auth", tags=["auth"])


def staff_read(staff: StaffAccount) -> StaffRead:
    return StaffRead(id=staff.id, username=staff.username, display_name=staff.display_name, role=staff.role,
                     role_label=ROLE_LABELS[staff.role], active=staff.active, unit=UnitBrief.model_validate(staff.unit))


@router.post("/token", response_model=TokenRead, summary="工作人员登录（OAuth2 密码模式）",
             responses={401: {"description": "用户名或密码错误"}, 403: {"description": "账号已停用"},
                        429: {"description": "账号已临时锁定，或登录过于频繁"}})
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
          settings: SettingsDep, client: RedisDep, request: Request) -> TokenRead:
    address = client_address(request)
    username = strip_controls(form.username).strip()  # a NUL must not reach the database (PostgreSQL refuses it)
    lockout.check_before_password(client, settings, username, address)  # before the costly check
    staff = session.execute(select(StaffAccount).where(StaffAccount.username == username)).scalar_one_or_none()
    if staff is None:
        burn_password_check(form.password)  # same time as a wrong password: no username probing
    if staff is None or not verify_password(form.password, staff.password_hash):
        lockout.login_failed(client, settings, form.username, address)  # raises once the account locks
        raise Unauthorized("用户名或密码错误", code="bad_credentials")
    lockout.login_succeeded(client, form.username)
    if not staff.active:  # told only to someone who knows the password
        raise Forbidden(f"账号“{staff.username}”已停用，请联系管理员", code="account_inactive")
    lifetime = timedelta(minutes=settings.staff_token_minutes)
    token = create_staff_token(staff, secret=settings.app_secret, lifetime=lifetime)
    return TokenRead(access_token=token, expires_in=int(lifetime.total_seconds()), staff=staff_read(staff))


@router.get("/me", response_model=StaffRead, summary="当前登录的工作人员")
def me(staff: CurrentStaff) -> StaffRead:
    return staff_read(staff)


@router.delete("/lockouts/{username}", response_model=LockoutLifted, summary="解除账号的登录锁定（上级领导或管理员）",
               responses={403: {"description": "无权解锁该账号"}, 404: {"description": "账号不存在"}})
def lift_lockout(username: CleanStr, staff: CurrentStaff, session: SessionDep, client: RedisDep) -> LockoutLifted:
    account = session.execute(select(StaffAccount).where(StaffAccount.username == username.strip())
                              ).scalar_one_or_none()
    if account is None:
        raise NotFound(f"账号“{username.strip()[:64]}”不存在", code="staff_not_found")
    if not lockout.may_unlock(staff, account, session=session):
        raise Forbidden("只有该账号所在单位或上级单位的分管局领导、或系统管理员可以解除锁定", code="unlock_forbidden")
    remaining = lockout.locked_for(client, account.username)
    was_locked = lockout.lift(client, account.username)
    audit(staff, "unlock_login", f"staff:{account.id}", {"username": account.username, "was_locked": was_locked,
                                                         "remaining_seconds": remaining},
          session=session, now=aware_now())
    session.commit()
    return LockoutLifted(username=account.username, was_locked=was_locked)
