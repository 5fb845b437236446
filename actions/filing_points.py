"""怎么享受 / 如何申报 / 填报要点: how to claim the policy just talked about, from its entry's filing points.

The policy is the one of the latest answer or reminder in this conversation (a bot message's ``answer`` or
``reminder`` envelope), or the topic of the reminder the API found for the enterprise's answer. An entry without
filing points is answered as usual, so the user never gets less than before.
"""
from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import reply, today_in_china
from knowledge.base import KnowledgeBase
from knowledge.models import Entry

__all__ = ["HOW_TO_CLAIM", "asks_how_to_claim", "entry_for_topic", "context_entry", "answer_filing_points"]

HOW_TO_CLAIM = re.compile(r"(怎么|如何|怎样|咋)(享受|申报|填报|填写?|办理|操作|申请享受)|(填报|申报|办理)要点|怎么弄")
FILLER = re.compile(r"那么?|请问|具体|到底|我们?|公司|企业|要|该|应该|需要|可以|这个|这项|该项|政策|优惠|减免|"
                    r"是什么|有哪些|有什么|一下|呢|吗|啊|呀|的|[？?。，,！!\s]")
MAX_FOLLOW_UP = 20  # a longer message is a question of its own, for the knowledge base
LOOK_BACK = 30  # events: only what was said just now gives the context


def asks_how_to_claim(text: str) -> bool:
    """A short follow-up asking how to claim "it" and naming nothing else: "怎么享受", "那如何申报", "填报要点呢";
    not "增值税申报表怎么填" (a question of its own)."""
    if not text or len(text) > MAX_FOLLOW_UP or not HOW_TO_CLAIM.search(text):
        return False
    return len(FILLER.sub("", HOW_TO_CLAIM.sub("", text))) <= 1


def entry_for_topic(kb: KnowledgeBase, topic: str | None) -> Entry | None:
    """The topic's entry with filing points, else its first entry."""
    entries = [e for e in kb.entries.values() if e.topic == topic]
    return next((e for e in entries if e.filing_points), entries[0] if entries else None)


def context_entry(kb: KnowledgeBase, tracker: Tracker) -> Entry | None:
    """The entry of the latest answer or reminder the bot gave in this conversation, if any."""
    for event in reversed((tracker.events or [])[-LOOK_BACK:]):
        if event.get("event") != "bot":
            continue
        custom = (event.get("data") or {}).get("custom") or {}
        entry = kb.get(str(custom.get("entry") or "")) if custom.get("kind") == "answer" else None
        if entry is not None:
            return entry if entry.filing_points else entry_for_topic(kb, entry.topic)
        if custom.get("kind") == "reminder" and custom.get("topic"):
            return entry_for_topic(kb, custom["topic"])
    return None


def answer_filing_points(dispatcher: CollectingDispatcher, kb: KnowledgeBase, entry: Entry) -> list[EventType]:
    """The entry's filing points (or its answer when it has none), with the ``answer`` envelope."""
    today = today_in_china()
    envelope = kb.envelope(entry, today, section="filing_points" if entry.filing_points else None)
    reply(dispatcher, kb.render_filing_points(entry, today), envelope)
    return []
