"""The welcome card's 常见问题: the featured topics of ``welcome.yml``, each worded as its first entry's first
question, with the entry id so that a tap is answered from that very entry (as a clarify button is)."""
from __future__ import annotations

from pathlib import Path

import yaml

from knowledge.base import KnowledgeBase
from knowledge.models import Entry

__all__ = ["featured_topics", "suggestions"]

WELCOME_FILE = Path(__file__).resolve().parent / "welcome.yml"


def featured_topics(path: Path = WELCOME_FILE) -> list[str]:
    """Topic ids of the welcome card, in order (an absent file: none)."""
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [str(topic) for topic in data.get("featured") or []]


def suggestions(kb: KnowledgeBase, topics: list[str] | None = None, limit: int = 6) -> list[dict[str, str]]:
    """[{topic, entry, title, question}] for the featured topics that the knowledge base holds an entry for."""
    first: dict[str, Entry] = {}
    for entry in kb.entries.values():
        if entry.questions:
            first.setdefault(entry.topic, entry)
    out = []
    for topic in featured_topics() if topics is None else topics:
        found = first.get(topic)
        if found is not None:
            out.append({"topic": topic, "entry": found.id, "title": found.title, "question": found.questions[0]})
    return out[:limit]
