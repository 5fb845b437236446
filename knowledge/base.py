"""The loaded knowledge base: entries by id, the retriever, and how an answer is worded."""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from common import envelopes
from knowledge.analysis import Analyzer
from knowledge.errors import KnowledgeValidationError
from knowledge.loader import KNOWLEDGE_DIR, load_entries, load_topics
from knowledge.models import Entry, Topic
from knowledge.search import Decision, Retriever, Thresholds

__all__ = ["KnowledgeBase", "load_knowledge_base", "get_knowledge_base", "entry_files", "knowledge_root",
           "files_stamp"]

log = logging.getLogger(__name__)
RELOAD_CHECK_SECONDS = 1.0  # how stale the bot's view of the files may be after an approved improvement

REVIEW_NOTE = "提示：本条内容尚待税务机关复核，具体以主管税务机关或12366的答复为准。"
IMPORTED_NOTE = "（本条来自外部问答库，发布日期：{date}，请注意时效。）"


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class KnowledgeBase:
    def __init__(self, topics: dict[str, Topic], entries: Iterable[Entry], thresholds: Thresholds | None = None):
        self.topics = topics
        self.entries = {e.id: e for e in entries}
        self.retriever = Retriever(list(self.entries.values()), Analyzer(), thresholds)

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def decide(self, text: str, today: dt.date, strict: bool = False) -> Decision:
        """Like `Retriever.decide`, but a current entry of the same topic replaces an expired one."""
        decision = self.retriever.decide(text, strict=strict)
        best = decision.best
        if decision.kind != "answer" or best is None or not best.entry.is_expired(today):
            return decision
        for candidate in self.retriever.rank(text):
            if candidate.entry.topic == best.entry.topic and candidate.entry.is_current(today):
                return Decision("answer", (candidate,))
        return decision

    def period(self, entry: Entry) -> str:
        if entry.valid_from and entry.valid_until:
            return f"{_cn_date(entry.valid_from)}至{_cn_date(entry.valid_until)}"
        if entry.valid_from:
            return f"自{_cn_date(entry.valid_from)}起执行，目前未规定截止日期"
        if entry.valid_until:
            return f"执行至{_cn_date(entry.valid_until)}"
        return "未规定执行期限"

    def render(self, entry: Entry, today: dt.date) -> str:
        """The answer as shown to the user: status first if not current, then text, sources, period."""
        lines = []
        if entry.valid_until and entry.is_expired(today):
            lines.append(f"请注意：以下规定已于{_cn_date(entry.valid_until)}到期，仅供了解历史政策，"
                         "现行口径请咨询主管税务机关或12366。")
        elif entry.valid_from and not entry.is_current(today):
            lines.append(f"请注意：以下规定自{_cn_date(entry.valid_from)}起才开始执行。")
        lines.append(entry.answer)
        lines.append("依据：" + "；".join(source.cite() for source in entry.sources))
        lines.append("适用期间：" + self.period(entry))
        if entry.published:
            lines.append(IMPORTED_NOTE.format(date=_cn_date(entry.published)))
        if entry.review:
            lines.append(REVIEW_NOTE)
        return "\n".join(lines)

    def render_filing_points(self, entry: Entry, today: dt.date) -> str:
        """How to claim what the entry grants (its 填报要点), cited like an answer; the answer itself when the
        entry has none."""
        if not entry.filing_points:
            return self.render(entry, today)
        lines = ["填报要点：", entry.filing_points,
                 "依据：" + "；".join(source.cite() for source in entry.sources), "适用期间：" + self.period(entry)]
        if entry.review:
            lines.append(REVIEW_NOTE)
        return "\n".join(lines)

    def envelope(self, entry: Entry, today: dt.date, section: str | None = None) -> dict[str, Any]:
        """The ``answer`` envelope of the entry (``section`` ``filing_points`` when its 填报要点 were shown)."""
        return envelopes.answer(topic=entry.topic, entry=entry.id, title=entry.title,
                                sources=[s.as_envelope() for s in entry.sources], valid_from=entry.valid_from,
                                valid_until=entry.valid_until, current=entry.is_current(today), review=entry.review,
                                section=section)


def entry_files(root: Path = KNOWLEDGE_DIR) -> list[Path]:
    return sorted((root / "content").glob("*.yml")) + sorted((root / "imported").glob("*.yml"))


def load_knowledge_base(root: Path = KNOWLEDGE_DIR, thresholds: Thresholds | None = None) -> KnowledgeBase:
    """Validate everything under `root` and build the index; raises KnowledgeValidationError."""
    topics = load_topics(root / "topics.yml")
    files = entry_files(root)
    if not files:
        raise KnowledgeValidationError(f"{root}: no entry files in content/")
    return KnowledgeBase(topics, load_entries(files, topics), thresholds)


def knowledge_root() -> Path:
    """Where the bot reads its knowledge: ``$KNOWLEDGE_DIR`` (the directory the dashboard writes approved
    improvements to; tests and staging point it at a copy), else this package's own directory."""
    return Path(os.environ.get("KNOWLEDGE_DIR") or KNOWLEDGE_DIR).resolve()


Stamp = tuple[tuple[str, int, int], ...]  # (file name, size, modification time) of each source file


def files_stamp(root: Path) -> Stamp:
    """Name, size and modification time of every file the knowledge base is built from."""
    stamp = []
    for path in (root / "topics.yml", *entry_files(root)):
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        stamp.append((path.name, info.st_size, info.st_mtime_ns))
    return tuple(stamp)


@dataclass
class _Loaded:
    stamp: Stamp
    kb: KnowledgeBase
    checked_at: float


_loaded: dict[Path, _Loaded] = {}
_reload_lock = threading.Lock()


def get_knowledge_base(root: Path | None = None, *, check_now: bool = False) -> KnowledgeBase:
    """The knowledge base under `root` (default :func:`knowledge_root`), built on first use and rebuilt when
    its files change (checked at most every second — a check costs ~0.4 ms — or now if `check_now`), so an
    approved question variant or entry is answered without restarting the action server. If the changed
    files do not validate, the last valid version keeps answering and the error is logged once."""
    root = Path(root).resolve() if root else knowledge_root()
    now = time.monotonic()

    def fresh(loaded: _Loaded | None) -> TypeGuard[_Loaded]:
        return loaded is not None and not check_now and now - loaded.checked_at < RELOAD_CHECK_SECONDS

    current = _loaded.get(root)
    if fresh(current):
        return current.kb
    with _reload_lock:  # the API serves from threads: one rebuild at a time
        current = _loaded.get(root)
        if fresh(current):
            return current.kb
        stamp = files_stamp(root)
        if current is not None and stamp == current.stamp:
            current.checked_at = now
            return current.kb
        try:
            kb = load_knowledge_base(root)
        except KnowledgeValidationError:
            if current is None:
                raise
            log.exception("knowledge under %s no longer validates; answering from the last valid version", root)
            current.stamp, current.checked_at = stamp, now  # retried when the files change again
            return current.kb
        if current is not None:
            log.info("knowledge under %s changed: reloaded %d entries", root, len(kb.entries))
        _loaded[root] = _Loaded(stamp, kb, now)
        return kb
