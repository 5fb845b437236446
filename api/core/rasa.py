"""The Rasa client: Rasa's REST channel (with the enterprise's token as message metadata), the tracker's
latest understanding, and whether Rasa answers at all.

One ``httpx.AsyncClient`` per instance for the tracker and health; the turns themselves go over
:mod:`api.core.keepalive` (kept-alive connections at a fraction of httpx's CPU: the enterprise waits for it on every
turn). Rasa's HTTP API (the tracker) answers only a JWT signed with ``RASA_JWT_SECRET``.

Several Rasa instances (``RASA_URL`` lists them, comma-separated; they share trackers and locks in Redis,
bot/endpoints.redis.yml): a conversation's turns go to one of them, chosen by its sender id, so its tracker stays
warm there; when that one refuses the connection the next one takes the turn. At most ``inflight`` turns per
Rasa instance are sent at once (:class:`api.core.capacity.Capacity`): the others wait their turn in order, and the
caller hears where its turn is when the answer takes long.
"""
from __future__ import annotations

import asyncio
import json
import logging
import zlib
from dataclasses import dataclass
from typing import Any

import httpx

from api.core.capacity import Capacity, OnBusy
from api.core.keepalive import Failed, KeepAlivePool, Refused
from common.tokens import rasa_api_token

__all__ = ["BotUnavailable", "BotReply", "RasaClient", "merge_envelopes", "rasa_urls"]

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


def rasa_urls(setting: str) -> list[str]:
    """The Rasa instances of a ``RASA_URL`` setting: one address, or several separated by commas."""
    urls = [url.strip().rstrip("/") for url in setting.split(",") if url.strip()]
    if not urls:
        raise ValueError("RASA_URL names no Rasa instance")
    return urls


class RasaClient:
    def __init__(self, base_url: str, timeout: float = 15.0, jwt_secret: str | None = None, inflight: int = 3,
                 busy_after: float = 1.5):
        self.urls = rasa_urls(base_url)
        self.jwt_secret = jwt_secret  # Rasa's HTTP API (the tracker) answers only a JWT signed with it
        self.http = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=100))
        self.webhook = KeepAlivePool(timeout)  # the turns themselves (api.core.keepalive)
        self.capacity = Capacity(inflight * len(self.urls), busy_after)

    async def close(self) -> None:
        await self.webhook.close()
        await self.http.aclose()

    def instances_for(self, sender: str) -> list[str]:
        """The instances in the order a sender's turn tries them: its own first (a stable hash), then the rest."""
        first = zlib.crc32(sender.encode()) % len(self.urls)
        return self.urls[first:] + self.urls[:first]

    async def send(self, sender: str, message: str, metadata: dict[str, Any] | None = None,
                   on_busy: OnBusy | None = None) -> list[BotReply]:
        """The bot's answer to one message; waits its turn when the bot is at capacity, and ``on_busy`` hears once
        where the turn is when the answer takes long (api.core.capacity). BotUnavailable when no instance
        answers."""
        body = {"sender": sender, "message": message, "metadata": metadata or {}}
        return await self.capacity.run(lambda: self._post(sender, body), on_busy)

    async def _post(self, sender: str, body: dict[str, Any]) -> list[BotReply]:
        data = json.dumps(body, ensure_ascii=False).encode()
        for url in self.instances_for(sender):
            try:
                if url.startswith("http://"):  # the hot path: api.core.keepalive, a fraction of httpx's CPU
                    raw = json.loads(await self.webhook.post_json(f"{url}/webhooks/rest/webhook", data)) or []
                else:
                    response = await self.http.post(f"{url}/webhooks/rest/webhook", content=data,
                                                    headers={"Content-Type": "application/json"})
                    response.raise_for_status()
                    raw = response.json() or []
            except (Refused, httpx.ConnectError) as exc:  # nothing reached it: the next instance may take the turn
                log.warning("Rasa at %s refused the connection for %s: %s", url, sender, exc)
                continue
            except (Failed, httpx.HTTPError, ValueError) as exc:  # it may have run the turn: never send it twice
                log.warning("Rasa did not answer for %s: %s", sender, exc)
                raise BotUnavailable(str(exc)) from exc
            return merge_envelopes(raw)
        raise BotUnavailable("no Rasa instance accepted the connection")

    async def alive(self, timeout: float) -> bool:
        """Every Rasa instance answers its root address with 200 within ``timeout`` seconds."""
        return all(await asyncio.gather(*(self._alive(url, timeout) for url in self.urls)))

    async def _alive(self, url: str, timeout: float) -> bool:
        try:
            return (await self.http.get(f"{url}/", timeout=timeout)).status_code == 200
        except httpx.HTTPError:
            return False

    async def events(self, sender: str) -> list[dict[str, Any]] | None:
        """The events of the sender's tracker since its last restart; None if Rasa cannot say."""
        try:
            headers = {"Authorization": f"Bearer {rasa_api_token(self.jwt_secret)}"} if self.jwt_secret else {}
            response = await self.http.get(f"{self.instances_for(sender)[0]}/conversations/{sender}/tracker",
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
            response = await self.http.get(f"{self.instances_for(sender)[0]}/conversations/{sender}/tracker",
                                           params={"include_events": "NONE"}, headers=headers)
            response.raise_for_status()
            intent = (response.json().get("latest_message") or {}).get("intent") or {}
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.info("no intent for %s: %s", sender, exc)
            return None, None
        confidence = intent.get("confidence")
        return intent.get("name"), float(confidence) if confidence is not None else None
