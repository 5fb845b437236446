"""Who is chatting in the widget: an anonymous visitor (visitor token) or a logged-in enterprise.

The history belongs to the identity: ``e:<USCC>`` follows the enterprise across devices, ``v:<id>``
stays with the visitor token in the browser. Ids are random and the tokens are signed, so one
visitor cannot read another's history by guessing.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from api.auth.security import create_visitor_token, verify_enterprise_token, verify_visitor_token
from api.core.errors import Unauthorized

__all__ = ["Identity", "new_visitor_token", "resolve_identity"]


@dataclass(frozen=True)
class Identity:
    key: str  # e:<USCC> or v:<visitor id>
    visitor_id: str
    uscc: str | None = None
    name: str | None = None
    enterprise_token: str | None = None

    @property
    def kind(self) -> str:
        return "enterprise" if self.uscc else "visitor"

    def public(self) -> dict:
        return {"kind": self.kind, "name": self.name or "访客", "uscc": self.uscc}


def new_visitor_token(secret: str) -> str:
    return create_visitor_token(secrets.token_urlsafe(18), secret=secret)


def resolve_identity(visitor_token: str | None, enterprise_token: str | None, *, secret: str) -> Identity:
    """The identity behind the tokens; raises ``Unauthorized`` for a bad visitor or enterprise token."""
    if not visitor_token:
        raise Unauthorized("缺少会话凭证，请刷新页面", code="not_authenticated")
    visitor_id = verify_visitor_token(visitor_token, secret=secret)
    if enterprise_token:
        enterprise = verify_enterprise_token(enterprise_token, secret=secret)
        return Identity(key=f"e:{enterprise.uscc}", visitor_id=visitor_id, uscc=enterprise.uscc,
                        name=enterprise.name, enterprise_token=enterprise_token)
    return Identity(key=f"v:{visitor_id}", visitor_id=visitor_id)
