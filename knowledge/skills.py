"""Seat skills: the group of topics a seat answers (knowledge/skills.yml), and a topic's skill."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

__all__ = ["GENERAL", "SKILLS_FILE", "load_skills", "skill_of"]

GENERAL = "综合"
"""The skill of a conversation whose topic is unknown: any seat of the tier takes it."""
SKILLS_FILE = Path(__file__).with_name("skills.yml")


@lru_cache(maxsize=1)
def load_skills(path: Path = SKILLS_FILE) -> dict[str, str]:
    """topic id → skill name; a topic listed under two skills is an error."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    by_topic: dict[str, str] = {}
    for skill, topics in (raw.get("skills") or {}).items():
        for topic in topics or []:
            if topic in by_topic:
                raise ValueError(f"{path.name}: topic {topic} is under both {by_topic[topic]} and {skill}")
            by_topic[topic] = skill
    return by_topic


def skill_of(topic: str | None) -> str:
    return load_skills().get(topic or "", GENERAL)
