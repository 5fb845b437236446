"""What every action shares: the user's text, today's date in China, and replying with an envelope."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from common.safety import assess
from common.textnorm import normalize_text

__all__ = ["TaxAction", "today_in_china", "user_text", "reply", "stamp_understanding", "enterprise_fields",
           "login_problem", "CHINA", "NLU_KEY"]

CHINA = ZoneInfo("Asia/Shanghai")
NLU_KEY = "nlu"  # in each envelope: what the NLU made of the user's message (the hub stores it, then drops it)


def today_in_china() -> dt.date:
    return dt.datetime.now(CHINA).date()


def user_text(tracker: Tracker) -> str:
    """The latest user message, normalised; an intent payload such as '/greet' yields ''."""
    text = (tracker.latest_message or {}).get("text") or ""
    return "" if text.startswith("/") else normalize_text(text)


def enterprise_fields(tracker: Tracker) -> dict[str, Any]:
    """Who the enterprise is, as the API's internal routes take it: this turn's bot grant (bot/channels.py put
    it in the metadata in place of the enterprise token) and the sender id it is bound to. Without a log-in the
    grant is None and the API treats the caller as anonymous."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return {"sender_id": tracker.sender_id, "enterprise_grant": metadata.get("enterprise_grant")}


LOGIN_PROBLEMS = {"token_expired": "您的电子税务局登录已过期，请重新登录后再查询。",
                  "invalid_token": "未能核验您的企业登录信息，请重新登录电子税务局后再查询。"}


def login_problem(tracker: Tracker) -> str | None:
    """What to tell an enterprise whose token the channel refused (bot/channels.py), or None."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    problem = metadata.get("enterprise_token_error")
    return LOGIN_PROBLEMS.get(problem) if isinstance(problem, str) else None


def reply(dispatcher: CollectingDispatcher, text: str, custom: dict[str, Any],
          buttons: list[dict[str, Any]] | None = None) -> None:
    """One text message (with buttons) and the envelope as its own `custom` message."""
    dispatcher.utter_message(text=text, buttons=buttons or [])
    dispatcher.utter_message(json_message=custom)


def stamp_understanding(messages: list[dict[str, Any]], latest_message: dict[str, Any] | None) -> None:
    """Put the turn's intent and confidence into every envelope, so the conversation hub records them with the
    bot's reply instead of asking Rasa for the tracker after each turn."""
    intent = (latest_message or {}).get("intent") or {}
    if not intent.get("name"):
        return
    confidence = intent.get("confidence")
    understood = {"intent": intent["name"],
                  "confidence": round(float(confidence), 4) if confidence is not None else None}
    for message in messages:
        if isinstance(message.get("custom"), dict) and message["custom"]:  # rasa_sdk gives plain text `custom: {}`
            message["custom"][NLU_KEY] = understood


class TaxAction(Action):
    """Base of our actions: subclasses set `action_name` and implement `act`.

    Whatever the classifier made of the message, a request to evade tax or falsify records (common.safety) is
    refused before any action answers it; actions that only carry a form forward set ``screens_requests`` off
    (the petition text is the enterprise's own account, not a request to the bot)."""

    action_name = ""
    screens_requests = True

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if self.screens_requests and assess(user_text(tracker)).is_request:
            from actions.conversation import refuse  # conversation builds on this module

            events = refuse(dispatcher)
        else:
            events = await self.act(dispatcher, tracker, domain) or []
        stamp_understanding(dispatcher.messages, tracker.latest_message)
        return events

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        raise NotImplementedError
