"""Log-in throttles and the account lockout (api.throttle, in Redis, shared by every instance).

Before the password is checked (PBKDF2 costs ~0.4 s of CPU) three cheap Redis reads decide whether
it is checked at all: the account's lock, the address's failures across accounts, and the address's
attempts. A wrong password counts a failure for the account and for the address; the
``login_failures_per_account``-th failure locks the account for ``login_lockout_minutes``, whether it
exists or not (the answer must not tell which usernames exist). A success clears the account's
failures. The lock is lifted by time, or by a supervisor of the account's unit (or of a unit above
it) or an admin (:func:`may_unlock`).
"""
from __future__ import annotations

import redis
from sqlalchemy.orm import Session

from api import throttle
from api.core.errors import TooManyRequests
from api.org.models import StaffAccount, Unit
from api.settings import Settings

__all__ = ["LOCKED", "check_before_password", "login_failed", "login_succeeded", "locked_for", "lift",
           "may_unlock", "account_key"]

LOCKED = "账号已临时锁定：连续多次密码错误。请{wait}后再试，或请联系上级或管理员解锁。"
ADDRESS_FAILURES = "登录失败次数过多，为保护账号安全，请{wait}后再试。"
ADDRESS_ATTEMPTS = "登录请求过于频繁，请{wait}后再试。"


def account_key(username: str) -> str:
    """The subject of an account's counters: what the log-in looks up (no account name is longer than 64)."""
    return username.strip()[:64]


def check_before_password(client: redis.Redis, settings: Settings, username: str, address: str) -> None:
    """Raise TooManyRequests when this log-in must not reach the password check."""
    wait = throttle.locked_for(client, "login-lock", account_key(username))
    if wait:
        raise _locked(wait)
    throttle.refuse_if_full(client, "login-fail-addr", address, settings.login_failures_per_address,
                            detail=ADDRESS_FAILURES)
    throttle.take(client, "login-addr", address, settings.login_attempts_per_address, detail=ADDRESS_ATTEMPTS)


def login_failed(client: redis.Redis, settings: Settings, username: str, address: str) -> None:
    """Count a wrong password; the failure that fills the account's window locks it (and says so)."""
    subject = account_key(username)
    throttle.record_failure(client, "login-fail-addr", address, settings.login_failures_per_address)
    if throttle.record_failure(client, "login-fail", subject, settings.login_failures_per_account) \
            >= settings.login_failures_per_account.count:
        seconds = settings.login_lockout_minutes * 60
        throttle.lock(client, "login-lock", subject, seconds)
        throttle.clear(client, "login-fail", subject)
        raise _locked(seconds)


def login_succeeded(client: redis.Redis, username: str) -> None:
    throttle.clear(client, "login-fail", account_key(username))


def locked_for(client: redis.Redis, username: str) -> int:
    return throttle.locked_for(client, "login-lock", account_key(username))


def lift(client: redis.Redis, username: str) -> bool:
    """Unlock the account and forget its failures; True when it was locked."""
    subject = account_key(username)
    throttle.clear(client, "login-fail", subject)
    return throttle.unlock(client, "login-lock", subject)


def may_unlock(actor: StaffAccount, account: StaffAccount, *, session: Session) -> bool:
    """An admin, or a supervisor whose unit is the account's unit or one above it."""
    if actor.role == "admin":
        return True
    if actor.role != "supervisor":
        return False
    unit_id: int | None = account.unit_id
    seen: set[int] = set()
    while unit_id is not None and unit_id not in seen:  # up the tree; `seen` guards against a bad cycle
        if unit_id == actor.unit_id:
            return True
        seen.add(unit_id)
        unit = session.get(Unit, unit_id)
        unit_id = unit.parent_id if unit is not None else None
    return False


def _locked(seconds: int) -> TooManyRequests:
    return TooManyRequests(LOCKED.format(wait=throttle.wait_text(seconds)), code="account_locked",
                                    retry_after=seconds)
