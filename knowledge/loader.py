"""Load and validate knowledge files (topics and entries); any defect raises, naming file and entry."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from knowledge.errors import KnowledgeValidationError
from knowledge.models import Entry, Source, Topic

__all__ = ["KNOWLEDGE_DIR", "load_topics", "load_entries", "parse_entry"]

KNOWLEDGE_DIR = Path(__file__).resolve().parent
ENTRY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,80}$")
REQUIRED = ("id", "topic", "title", "answer", "sources", "valid_from", "valid_until", "review", "questions")
EARLIEST = dt.date(1980, 1, 1)  # 1980: the first PRC tax laws; anything earlier is a typo
LATEST = dt.date(2100, 1, 1)


def load_topics(path: Path | None = None) -> dict[str, Topic]:
    path = path or KNOWLEDGE_DIR / "topics.yml"
    data = _read_yaml(path)
    topics: dict[str, Topic] = {}
    for item in (data or {}).get("topics") or []:
        if not isinstance(item, dict) or not item.get("id") or not item.get("title"):
            raise KnowledgeValidationError(f"{path}: every topic needs an id and a title: {item!r}")
        if item["id"] in topics:
            raise KnowledgeValidationError(f"{path}: duplicate topic id {item['id']!r}")
        topics[item["id"]] = Topic(item["id"], item["title"], item.get("hint", ""))
    if not topics:
        raise KnowledgeValidationError(f"{path}: no topics")
    return topics


def load_entries(paths: Iterable[Path], topics: dict[str, Topic]) -> list[Entry]:
    """Parse every file; ids must be unique across all of them."""
    entries: list[Entry] = []
    seen: dict[str, Path] = {}
    for path in sorted(paths):
        data = _read_yaml(path)
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            raise KnowledgeValidationError(f"{path}: expected a mapping with an 'entries' list")
        for raw in data["entries"]:
            entry = parse_entry(raw, topics, origin=str(path))
            if entry.id in seen:
                raise KnowledgeValidationError(f"{path}: entry id {entry.id!r} already used in {seen[entry.id]}")
            seen[entry.id] = path
            entries.append(entry)
    return entries


def parse_entry(raw: Any, topics: dict[str, Topic], origin: str = "") -> Entry:
    where = f"{origin}: entry {raw.get('id', '?') if isinstance(raw, dict) else '?'!s}"
    if not isinstance(raw, dict):
        raise KnowledgeValidationError(f"{where}: not a mapping")
    missing = [key for key in REQUIRED if key not in raw]
    if missing:
        raise KnowledgeValidationError(f"{where}: missing {', '.join(missing)}")
    if not isinstance(raw["id"], str) or not ENTRY_ID.match(raw["id"]):
        raise KnowledgeValidationError(f"{where}: id must be lowercase letters, digits and dashes")
    if raw["topic"] not in topics:
        raise KnowledgeValidationError(f"{where}: unknown topic {raw['topic']!r}")
    for key in ("title", "answer"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise KnowledgeValidationError(f"{where}: {key} must be non-empty text")
    if not isinstance(raw["review"], bool):
        raise KnowledgeValidationError(f"{where}: review must be true or false")
    reason = raw.get("review_reason")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        raise KnowledgeValidationError(f"{where}: review_reason must be non-empty text when given")
    if reason and not raw["review"]:
        raise KnowledgeValidationError(f"{where}: review_reason given but review is false")
    points = raw.get("filing_points")
    if points is not None and (not isinstance(points, str) or not points.strip()):
        raise KnowledgeValidationError(f"{where}: filing_points must be non-empty text when given")
    questions = raw["questions"]
    if not isinstance(questions, list) or not questions or not all(isinstance(q, str) and q.strip() for q in questions):
        raise KnowledgeValidationError(f"{where}: questions must be a non-empty list of text")
    valid_from = _date(raw["valid_from"], where, "valid_from")
    valid_until = _date(raw["valid_until"], where, "valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        raise KnowledgeValidationError(f"{where}: valid_until {valid_until} is before valid_from {valid_from}")
    return Entry(
        id=raw["id"],
        topic=raw["topic"],
        title=raw["title"].strip(),
        answer=raw["answer"].strip(),
        sources=_sources(raw["sources"], where),
        valid_from=valid_from,
        valid_until=valid_until,
        review=raw["review"],
        questions=tuple(q.strip() for q in questions),
        published=_date(raw.get("published"), where, "published"),
        review_reason=(reason or "").strip(),
        filing_points=(points or "").strip(),
        origin=origin,
    )


def _sources(raw: Any, where: str) -> tuple[Source, ...]:
    if not isinstance(raw, list) or not raw:
        raise KnowledgeValidationError(f"{where}: at least one source is required")
    sources = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("title"), str) or not item["title"].strip():
            raise KnowledgeValidationError(f"{where}: every source needs a title: {item!r}")
        doc_no = item.get("doc_no")
        if doc_no is not None and (not isinstance(doc_no, str) or not doc_no.strip()):
            raise KnowledgeValidationError(f"{where}: doc_no must be text or null")
        sources.append(Source(item["title"].strip(), doc_no.strip() if doc_no else None, item.get("article")))
    return tuple(sources)


def _date(value: Any, where: str, key: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    elif isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise KnowledgeValidationError(f"{where}: {key} {value!r} is not a YYYY-MM-DD date") from None
    if not isinstance(value, dt.date):
        raise KnowledgeValidationError(f"{where}: {key} must be a date or null")
    if not EARLIEST <= value <= LATEST:
        raise KnowledgeValidationError(f"{where}: {key} {value} is outside {EARLIEST}–{LATEST}")
    return value


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeValidationError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise KnowledgeValidationError(f"{path}: invalid YAML: {exc}") from None
