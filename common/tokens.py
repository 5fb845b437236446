"""Enterprise tokens and the bot grants made from them: HS256 JWTs signed with ``APP_SECRET``.

Pure (PyJWT and ``common.identifiers`` only), so the Rasa channel and the API check a token the same way.

* An **enterprise token** (DESIGN, Identity) is what the e-tax bureau page issues: ``sub`` = 统一社会信用代码,
  ``name``, ``role`` = ``enterprise``, ``exp``. Whoever holds one reads that enterprise's data in the widget, so
  it must never be stored where another party can read it.
* A **bot grant** is what the Rasa REST channel (``bot/channels.py``) puts in the message metadata instead of the
  token, so Rasa's tracker keeps something useless once stolen: ``role`` = ``bot_grant``, bound to one Rasa
  sender id (``sid``), lasting minutes, accepted only by the API's internal routes (which also need the service
  token) and only together with that sender id. Widget and staff routes refuse it (wrong role).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt

from common.identifiers import is_valid_uscc, normalize_uscc

__all__ = ["ALGORITHM", "ENTERPRISE_ROLE", "GRANT_ROLE", "GRANT_LIFETIME", "TokenRejected", "EnterpriseIdentity",
           "decode", "create_enterprise_token", "verify_enterprise_token", "mint_grant", "verify_grant",
           "rasa_api_token", "issue_time"]

ALGORITHM = "HS256"
ENTERPRISE_ROLE = "enterprise"
GRANT_ROLE = "bot_grant"
GRANT_LIFETIME = timedelta(minutes=15)  # one turn's actions run within seconds; each message brings a fresh grant
_ENTERPRISE_EXPIRED = "企业登录已过期，请重新登录电子税务局后再试"
_ENTERPRISE_INVALID = "企业登录凭证无效，请重新登录电子税务局后再试"


class TokenRejected(Exception):
    """A token that is expired (``code`` = ``token_expired``) or invalid (``invalid_token``); ``message`` is
    Chinese a person can act on."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class EnterpriseIdentity:
    uscc: str
    name: str
    expires_at: datetime


def issue_time(now: datetime | None = None) -> datetime:
    """When a token is issued: ``now`` if given (tests), else the current UTC time."""
    return now or datetime.now(timezone.utc)


def decode(token: str, secret: str, *, expired: str, invalid: str) -> dict[str, Any]:
    """The verified claims of any of our tokens (``exp``, ``sub`` and ``role`` required)."""
    if not token or not isinstance(token, str):
        raise TokenRejected(invalid, "invalid_token")
    try:
        claims: dict[str, Any] = jwt.decode(token, secret, algorithms=[ALGORITHM],
                                            options={"require": ["exp", "sub", "role"]})
        return claims
    except jwt.ExpiredSignatureError:
        raise TokenRejected(expired, "token_expired") from None
    except jwt.InvalidTokenError:
        raise TokenRejected(invalid, "invalid_token") from None


def create_enterprise_token(uscc: str, name: str, *, secret: str, lifetime: timedelta = timedelta(hours=2),
                            now: datetime | None = None) -> str:
    """What the e-tax bureau page issues; here for demos and tests."""
    issued = issue_time(now)
    claims = {"sub": normalize_uscc(uscc), "name": name, "role": ENTERPRISE_ROLE,
              "iat": int(issued.timestamp()), "exp": int((issued + lifetime).timestamp())}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _identity(claims: dict[str, Any], role: str) -> EnterpriseIdentity:
    sub, name = claims.get("sub"), claims.get("name")
    if claims.get("role") != role or not isinstance(sub, str) or not is_valid_uscc(sub) or not isinstance(name, str):
        raise TokenRejected(_ENTERPRISE_INVALID, "invalid_token")
    return EnterpriseIdentity(uscc=normalize_uscc(sub), name=name,
                              expires_at=datetime.fromtimestamp(claims["exp"], timezone.utc))


def verify_enterprise_token(token: str, *, secret: str) -> EnterpriseIdentity:
    """The enterprise a token was issued to; only a valid, unexpired enterprise token is accepted."""
    return _identity(decode(token, secret, expired=_ENTERPRISE_EXPIRED, invalid=_ENTERPRISE_INVALID),
                     ENTERPRISE_ROLE)


def mint_grant(identity: EnterpriseIdentity, sender_id: str, *, secret: str, now: datetime | None = None) -> str:
    """A grant for the actions of ``sender_id``'s turns; it never outlives the token it was made from."""
    issued = issue_time(now)
    expires = min(issued + GRANT_LIFETIME, identity.expires_at)
    claims = {"sub": identity.uscc, "name": identity.name, "role": GRANT_ROLE, "sid": sender_id,
              "iat": int(issued.timestamp()), "exp": int(expires.timestamp())}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_grant(grant: str, sender_id: str | None, *, secret: str) -> EnterpriseIdentity:
    """The enterprise behind a grant presented for ``sender_id``; a grant of another conversation is refused."""
    claims = decode(grant, secret, expired=_ENTERPRISE_EXPIRED, invalid=_ENTERPRISE_INVALID)
    if not sender_id or claims.get("sid") != sender_id:
        raise TokenRejected(_ENTERPRISE_INVALID, "invalid_token")
    return _identity(claims, GRANT_ROLE)


def rasa_api_token(secret: str, *, lifetime: timedelta = timedelta(minutes=5), now: datetime | None = None) -> str:
    """A bearer JWT for Rasa's HTTP API (``bot/serve.py`` starts Rasa with ``RASA_JWT_SECRET``): Rasa lets the
    ``admin`` role read any tracker and replace the model. Made per call, so none lives long."""
    issued = issue_time(now)
    claims = {"user": {"username": "tax-assistant-service", "role": "admin"},
              "iat": int(issued.timestamp()), "exp": int((issued + lifetime).timestamp())}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
