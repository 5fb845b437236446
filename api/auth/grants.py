"""Who the enterprise is, on the routes the action server calls: the bot grant of the turn.

Rasa's channel (bot/channels.py) swaps the enterprise token for a grant bound to the conversation's sender id
(common.tokens); the actions send both back (actions.base.enterprise_fields). A grant without its sender id,
or for another sender, is refused like a bad token; no grant means an anonymous caller.
"""
from __future__ import annotations

from typing import overload

from pydantic import BaseModel

from api.auth.security import EnterpriseIdentity, verify_enterprise_grant
from api.core.errors import Unauthorized
from api.inputs import clean_str
from api.settings import Settings

__all__ = ["EnterpriseGrant", "grant_identity"]


class EnterpriseGrant(BaseModel):
    """The identity fields of an internal request body."""
    sender_id: clean_str(max_length=100) | None = None
    enterprise_grant: clean_str(max_length=4000) | None = None


@overload
def grant_identity(body: EnterpriseGrant, settings: Settings, *, login_required: str) -> EnterpriseIdentity: ...
@overload
def grant_identity(body: EnterpriseGrant, settings: Settings, *,
                   login_required: None = None) -> EnterpriseIdentity | None: ...
def grant_identity(body: EnterpriseGrant, settings: Settings, *,
                   login_required: str | None = None) -> EnterpriseIdentity | None:
    """The enterprise of the body's grant; None without one, unless ``login_required`` (the Chinese reason) says
    the route needs it (401 ``login_required``). A bad or expired grant is 401 whatever the route."""
    if not body.enterprise_grant:
        if login_required:
            raise Unauthorized(login_required, code="login_required")
        return None
    return verify_enterprise_grant(body.enterprise_grant, body.sender_id, secret=settings.app_secret)
