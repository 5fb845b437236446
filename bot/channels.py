"""Rasa's REST channel, unchanged for its callers, except that no credential reaches the tracker.

Callers (the API's hub, or anyone on the same machine) still send the enterprise's token as message metadata
``enterprise_token`` (DESIGN, Identity). Rasa stores every message's metadata in the tracker, so this channel
verifies the token and stores instead:

* ``enterprise_grant``: a bot grant (common.tokens) bound to this sender id and valid for minutes, which the
  actions pass to the API's internal routes; it opens nothing by itself;
* ``enterprise``: the USCC and name, for the dialogue;
* ``enterprise_token_error``: ``token_expired`` or ``invalid_token`` when the token was refused, so the bot
  can ask the enterprise to log in again.

The URL stays ``/webhooks/rest/webhook`` (the channel keeps the name ``rest``); credentials.yml names this class.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.rest import RestInput
from rasa.shared.constants import DEFAULT_SENDER_ID
from sanic.request import Request

from common import tokens
from common.secretstore import secret

log = logging.getLogger(__name__)

TOKEN_KEY = "enterprise_token"


def guarded_metadata(metadata: Any, sender_id: Any, *, app_secret: str) -> dict[str, Any] | None:
    """The metadata to keep for a message: the caller's, with the enterprise token swapped for a grant."""
    if not isinstance(metadata, dict):
        return None
    kept = {key: value for key, value in metadata.items() if key != TOKEN_KEY}
    token = metadata.get(TOKEN_KEY)
    if not token:
        return kept
    try:
        identity = tokens.verify_enterprise_token(token, secret=app_secret)
    except tokens.TokenRejected as exc:
        kept["enterprise_token_error"] = exc.code
        return kept
    kept["enterprise"] = {"uscc": identity.uscc, "name": identity.name}
    kept["enterprise_grant"] = tokens.mint_grant(identity, str(sender_id), secret=app_secret)
    return kept


class GuardedRestInput(RestInput):
    """The REST channel (``/webhooks/rest/webhook``) that keeps bearer credentials out of the tracker."""

    def __init__(self, app_secret: str) -> None:
        self.app_secret = app_secret

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedRestInput:
        return cls(secret("APP_SECRET"))  # at start-up: a missing secret outside development stops Rasa

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        body = request.json or {}
        sender = body.get("sender")  # as UserMessage names a sender-less message
        return guarded_metadata(body.get("metadata"), DEFAULT_SENDER_ID if sender is None else sender,
                                app_secret=self.app_secret)
