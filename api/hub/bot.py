"""What the bot's turns tell the hub about the user's message.

Each stored bot turn carries the intent and confidence of the user's message: the actions put them in the
envelope (``nlu``, actions/base.py), which :func:`understood` takes out before anything is stored or relayed;
only a turn without an envelope needs the tracker (``RasaClient.understanding``, ``api.core.rasa``).
"""
from __future__ import annotations

from api.core.rasa import BotReply

__all__ = ["understood", "NLU_KEY"]

NLU_KEY = "nlu"  # actions.base.NLU_KEY: the API does not import the action server's code


def understood(replies: list[BotReply]) -> tuple[str | None, float | None]:
    """The intent and confidence the actions put in the envelopes, removed from them (the enterprise's widget
    and the stored envelope do not need them); (None, None) when no envelope carried them."""
    intent = confidence = None
    for reply in replies:
        nlu = reply.custom.pop(NLU_KEY, None) if reply.custom else None
        if isinstance(nlu, dict) and nlu.get("intent") and intent is None:
            intent = str(nlu["intent"])
            confidence = float(nlu["confidence"]) if isinstance(nlu.get("confidence"), (int, float)) else None
    return intent, confidence
