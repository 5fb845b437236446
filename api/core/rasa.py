"""The Rasa client: Rasa's REST channel (with the enterprise's token as message metadata), the tracker's
latest understanding, and whether Rasa answers at all.

One ``httpx.AsyncClient`` per instance (connection reuse keeps the hub's overhead to a few ms); Rasa's HTTP
API (the tracker) answers only a JWT signed with ``RASA_JWT_SECRET``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from common.tokens import rasa_api_token

__all__ = ["BotUnavailable", "BotReply", "RasaClient", "merge_envelopes"]

log = logging.getLogger(__name__)


class BotUnavailable(Exception):
    """Rasa did not answer (down, restarting or too slow)."""


@dataclass(frozen=True)
class BotReply:
    text: str
    buttons: list[dict[str, Any]]
    custom: dict[str, Any] | None
    attachment: str | None = None


def merge_envelopes(raw: list[Any]) -> list[BotReply]:
    """Rasa's REST channel sends a message's text (with its buttons) and its ``custom`` envelope as two
    items; the widget shows one bubble per message, so an envelope joins the text it came with."""
    replies: list[BotReply] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        custom = item.get("custom") if isinstance(item.get("custom"), dict) else None
        text, buttons = item.get("text") or "", item.get("buttons") or []
        if custom is not None and not text and not buttons and replies and replies[-1].custom is None:
            last = replies.pop()
            replies.append(BotReply(last.text, last.buttons, custom, last.attachment))
            continue
        replies.append(BotReply(text, buttons, custom, item.get("image") or item.get("attachment")))
    return replies


class RasaClient:
    def __init__(self, base_url: str, timeout: float = 30.0, jwt_secret: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.jwt_secret = jwt_secret  # Rasa's HTTP API (the tracker) answers only a JWT signed with it
        self.http = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=100))

    async def close(self) -> None:
        await self.http.aclose()

    async def send(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> list[BotReply]:
        body = {"sender": sender, "message": message, "metadata": metadata or {}}
        try:
            response = await self.http.post(f"{self.base_url}/webhooks/rest/webhook", json=body)
            response.raise_for_status()
            raw = response.json() or []
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("Rasa did not answer for %s: %s", sender, exc)
            raise BotUnavailable(str(exc)) from exc
        return merge_envelopes(raw)

    async def alive(self, timeout: float) -> bool:
        """Rasa's server answers its root address with 200 within ``timeout`` seconds."""
        try:
            return (await self.http.get(f"{self.base_url}/", timeout=timeout)).status_code == 200
        except httpx.HTTPError:
            return False

    async def events(self, sender: str) -> list[dict[str, Any]] | None:
        """The events of the sender's tracker since its last restart; None if Rasa cannot say."""
        try:
            headers = {"Authorization": f"Bearer {rasa_api_token(self.jwt_secret)}"} if self.jwt_secret else {}
            response = await self.http.get(f"{self.base_url}/conversations/{sender}/tracker",
                                           params={"include_events": "AFTER_RESTART"}, headers=headers)
            response.raise_for_status()
            events = response.json().get("events")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.info("no tracker for %s: %s", sender, exc)
            return None
        return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else None

    async def understanding(self, sender: str) -> tuple[str | None, float | None]:
        """The intent and confidence Rasa gave the sender's latest message; (None, None) if unknown."""
        try:
            headers = {"Authorization": f"Bearer {rasa_api_token(self.jwt_secret)}"} if self.jwt_secret else {}
            response = await self.http.get(f"{self.base_url}/conversations/{sender}/tracker",
                                           params={"include_events": "NONE"}, headers=headers)
            response.raise_for_status()
            intent = (response.json().get("latest_message") or {}).get("intent") or {}
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.info("no intent for %s: %s", sender, exc)
            return None, None
        confidence = intent.get("confidence")
        return intent.get("name"), float(confidence) if confidence is not None else None
