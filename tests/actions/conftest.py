"""Recorded trackers for action tests, and an API address where nothing listens."""
import socket

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import NLU_KEY
from actions.settings import get_settings


def make_tracker(text, intent="ask_tax_question", confidence=0.95, entities=(), slots=None, metadata=None):
    return Tracker(
        sender_id="test-sender",
        slots={"fallback_count": 0, "entry_id": None, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": confidence},
                        "entities": list(entities), "metadata": metadata or {}},
        events=[], paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen",
    )


def customs(dispatcher: CollectingDispatcher):
    """The envelopes as the enterprise sees them: without the NLU stamp the hub takes out (actions.base)."""
    return [{k: v for k, v in m["custom"].items() if k != NLU_KEY} for m in dispatcher.messages if m.get("custom")]


def texts(dispatcher: CollectingDispatcher):
    return "\n".join(m["text"] for m in dispatcher.messages if m.get("text"))


@pytest.fixture
def api_down(monkeypatch):
    """Point the actions at a local port with no server: the API is unreachable."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("API_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
