"""Passwords and tokens, without FastAPI: PBKDF2-SHA256 password hashes and HS256 JWTs.

Password hashes are ``pbkdf2_sha256$<iterations>$<salt>$<hash>`` (base64 without padding); the
iteration count is stored with each hash, so it can be raised later without breaking old ones.

Two kinds of token are signed with ``APP_SECRET`` and told apart by their ``role`` claim:

* staff: ``sub`` = staff account id (string), ``role`` (one of ``org.models.ROLES``), ``unit``
  (unit id), ``iat``, ``exp`` — issued by ``POST /api/auth/token``;
* enterprise (DESIGN, Identity): ``sub`` = 统一社会信用代码, ``name``, ``role`` = ``enterprise``,
  ``exp`` — issued by the e-tax bureau page and passed to Rasa as message metadata, where the REST channel
  swaps it for a bot grant (``common.tokens``, which holds the enterprise side of this module);
* visitor: the widget's anonymous identity.

A token of one kind is never accepted as the other. Failures raise :class:`~api.core.errors.Unauthorized`
with a Chinese message a person can act on.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt

from api.core.errors import Unauthorized
from api.org.models import ROLES, StaffAccount
from common import tokens
from common.tokens import ALGORITHM, ENTERPRISE_ROLE, EnterpriseIdentity, create_enterprise_token, issue_time

__all__ = ["PBKDF2_ITERATIONS", "hash_password", "verify_password", "needs_rehash", "StaffClaims",
           "EnterpriseIdentity", "ENTERPRISE_ROLE", "create_staff_token", "decode_staff_token",
           "create_enterprise_token", "verify_enterprise_token", "verify_enterprise_grant", "staff_claims", "burn_password_check",
           "VISITOR_ROLE", "create_visitor_token", "verify_visitor_token"]

VISITOR_ROLE = "visitor"
PBKDF2_ITERATIONS = 600_000
"""OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256."""
_SCHEME = "pbkdf2_sha256"
_SALT_BYTES = 16
_MIN_PASSWORD = 8


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, iterations: int = PBKDF2_ITERATIONS) -> str:
    """A salted PBKDF2-SHA256 hash of ``password`` in the self-describing format above."""
    if not isinstance(password, str) or len(password) < _MIN_PASSWORD:
        raise ValueError(f"password must be at least {_MIN_PASSWORD} characters")
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{_SCHEME}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``; a missing or malformed hash never matches.
    The comparison takes constant time."""
    if not stored or not isinstance(password, str):
        return False
    try:
        scheme, iterations, salt, expected = stored.split("$")
        if scheme != _SCHEME:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), _unb64(salt), int(iterations))
        return hmac.compare_digest(digest, _unb64(expected))
    except (ValueError, TypeError):
        return False


def needs_rehash(stored: str, *, iterations: int = PBKDF2_ITERATIONS) -> bool:
    """True when ``stored`` was made with fewer iterations than today's setting."""
    try:
        return int(stored.split("$")[1]) < iterations
    except (AttributeError, IndexError, ValueError):
        return True


_DUMMY_HASH = None


def burn_password_check(password: str) -> None:
    """Spend the time of one real check, so an unknown username answers as slowly as a wrong password."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    verify_password(password, _DUMMY_HASH)


# -- tokens ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class StaffClaims:
    staff_id: int
    role: str
    unit_id: int
    expires_at: datetime


def create_staff_token(staff: StaffAccount, *, secret: str, lifetime: timedelta,
                       now: datetime | None = None) -> str:
    issued = issue_time(now)
    claims = {"sub": str(staff.id), "role": staff.role, "unit": staff.unit_id,
              "iat": int(issued.timestamp()), "exp": int((issued + lifetime).timestamp())}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _decode(token: str, secret: str, *, expired: str, invalid: str) -> dict[str, Any]:
    try:
        return tokens.decode(token, secret, expired=expired, invalid=invalid)
    except tokens.TokenRejected as exc:
        raise Unauthorized(exc.message, code=exc.code) from None


def decode_staff_token(token: str, *, secret: str) -> dict[str, Any]:
    """The verified claims of a staff *or* enterprise token; the caller decides what it accepts
    (see :func:`staff_claims`)."""
    return _decode(token, secret, expired="登录已过期，请重新登录", invalid="登录凭证无效，请重新登录")


def staff_claims(claims: dict[str, Any]) -> StaffClaims:
    """The staff identity in verified ``claims``; a staff token with a malformed body is refused."""
    sub, role, unit = claims.get("sub"), claims.get("role"), claims.get("unit")
    if not (isinstance(sub, str) and sub.isdigit() and role in ROLES and isinstance(unit, int)):
        raise Unauthorized("登录凭证无效，请重新登录", code="invalid_token")
    return StaffClaims(staff_id=int(sub), role=role, unit_id=unit,
                       expires_at=datetime.fromtimestamp(claims["exp"], timezone.utc))


def verify_enterprise_token(token: str, *, secret: str) -> EnterpriseIdentity:
    """The enterprise a token was issued to; only a valid, unexpired enterprise token is accepted."""
    try:
        return tokens.verify_enterprise_token(token, secret=secret)
    except tokens.TokenRejected as exc:
        raise Unauthorized(exc.message, code=exc.code) from None


def verify_enterprise_grant(grant: str, sender_id: str | None, *, secret: str) -> EnterpriseIdentity:
    """The enterprise behind a bot grant (common.tokens) that the action server presents for ``sender_id``."""
    try:
        return tokens.verify_grant(grant, sender_id, secret=secret)
    except tokens.TokenRejected as exc:
        raise Unauthorized(exc.message, code=exc.code) from None


def create_visitor_token(visitor_id: str, *, secret: str, lifetime: timedelta = timedelta(days=30),
                         now: datetime | None = None) -> str:
    """The widget's anonymous identity: whoever holds it reads that visitor's history, nobody else."""
    issued = issue_time(now)
    claims = {"sub": visitor_id, "role": VISITOR_ROLE, "iat": int(issued.timestamp()),
              "exp": int((issued + lifetime).timestamp())}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_visitor_token(token: str, *, secret: str) -> str:
    """The visitor id of a valid visitor token."""
    claims = _decode(token, secret, expired="会话已过期，请刷新页面", invalid="会话凭证无效，请刷新页面")
    sub = claims.get("sub")
    if claims.get("role") != VISITOR_ROLE or not isinstance(sub, str) or not 8 <= len(sub) <= 64:
        raise Unauthorized("会话凭证无效，请刷新页面", code="invalid_token")
    return sub
