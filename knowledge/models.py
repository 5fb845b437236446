"""Immutable value objects of the knowledge base: topics, sources and entries."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["Topic", "Source", "Entry"]


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    hint: str = ""


@dataclass(frozen=True)
class Source:
    title: str
    doc_no: str | None = None
    article: str | None = None

    def cite(self) -> str:
        """Human-readable citation: 《title》（doc_no）article."""
        title = self.title if self.title.startswith("《") else f"《{self.title}》"
        parts = [title]
        if self.doc_no:
            parts.append(f"（{self.doc_no}）")
        if self.article:
            parts.append(self.article)
        return "".join(parts)

    def as_envelope(self) -> dict[str, str | None]:
        return {"title": self.title, "doc_no": self.doc_no}


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    title: str
    answer: str
    sources: tuple[Source, ...]
    valid_from: dt.date | None
    valid_until: dt.date | None
    review: bool
    questions: tuple[str, ...]
    published: dt.date | None = None  # imported FAQ entries: the corpus' publication date
    review_reason: str = ""  # with review: what is unverified (for the editor; never shown to users)
    filing_points: str = ""  # 填报要点: how to claim it when filing (answers 怎么享受 / 如何申报); optional
    origin: str = field(default="", compare=False)  # file the entry came from

    def is_current(self, today: dt.date) -> bool:
        """True when `today` lies inside the entry's period of application."""
        if self.valid_from and today < self.valid_from:
            return False
        return not (self.valid_until and today > self.valid_until)

    def is_expired(self, today: dt.date) -> bool:
        return bool(self.valid_until and today > self.valid_until)
