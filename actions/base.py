"""What every action shares: the user's text, today's date in China, and replying with an envelope."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from common.textnorm import normalize_text

__all__ = ["TaxAction", "today_in_china", "user_text", "reply", "CHINA"]

CHINA = ZoneInfo("Asia/Shanghai")


def today_in_china() -> dt.date:
    return dt.datetime.now(CHINA).date()


def user_text(tracker: Tracker) -> str:
    """The latest user message, normalised; an intent payload such as '/greet' yields ''."""
    text = (tracker.latest_message or {}).get("text") or ""
    return "" if text.startswith("/") else normalize_text(text)


def reply(dispatcher: CollectingDispatcher, text: str, custom: dict, buttons: list[dict] | None = None) -> None:
    """One text message (with buttons) and the envelope as its own `custom` message."""
    dispatcher.utter_message(text=text, buttons=buttons or [])
    dispatcher.utter_message(json_message=custom)


class TaxAction(Action):
    """Base of our actions: subclasses set `action_name` and implement `act`."""

    action_name = ""

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        return await self.act(dispatcher, tracker, domain) or []

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        raise NotImplementedError
