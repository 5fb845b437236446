"""Text search over conversations without reading their messages: positioned character bigrams (PostgreSQL).
The analytics aggregation (api.analytics.aggregate) stores the documents; the review's search queries them.

Chinese has no spaces and the searched words are short (发票, 退税, 社保卡), so neither the default text
search parsers nor trigram indexes (nothing to index in a two-character pattern) fit. The aggregation
stores, per conversation, a ``tsvector`` (``analytics_search.document``, GIN index) of

* every pair of adjacent characters of the user's, the bot's (except answers) and the seats' messages, at
  its character position (texts half-width and lower-cased, whitespace dropped; two positions of gap
  between messages, so a phrase never spans two of them; a text's last character also appears as
  ``<char>¶`` so that one-character searches find it);
* ``e:<entry id>`` for each knowledge answer the bot gave — the answer's text is the entry's, and need not be
  indexed a thousand times.

A search for ``q`` becomes the phrase ``'c1c2' <-> 'c2c3' <-> …`` (adjacent bigrams at adjacent positions:
exactly "contains q", up to the normalisation above) OR ``'e:<id>'`` for every entry whose rendered answer
contains ``q``. A one-character ``q`` is the prefix query ``'c':*``. Positions above 16 383 (PostgreSQL's
limit) are not indexed: a conversation's first ~16 000 characters are searchable this way.
SQLite has no documents; the review filters the messages with ILIKE there.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import lru_cache

from common.identifiers import to_halfwidth
from knowledge.base import KnowledgeBase

__all__ = ["document", "query", "entries_containing", "END_MARK", "MAX_POSITION"]

MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 256
GAP = 2
END_MARK = "¶"


def _chars(text: str | None) -> list[str]:
    return [c for c in to_halfwidth(text or "").lower() if not c.isspace()]


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def document(texts: Sequence[str | None], entry_ids: Iterable[str]) -> str:
    """The ``tsvector`` input text of a conversation."""
    positions: dict[str, list[int]] = {}
    at = 1
    for text in texts:
        chars = _chars(text)
        if not chars:
            continue
        for a, b in zip(chars + [END_MARK], chars[1:] + [END_MARK]):  # noqa: B905, RUF005
            if at > MAX_POSITION:
                break
            if b == END_MARK and a == END_MARK:
                continue
            spots = positions.setdefault(a + b, [])
            if len(spots) < MAX_POSITIONS_PER_LEXEME:
                spots.append(at)
            at += 1
        at += GAP
    parts = [f"{_quote(lexeme)}:{','.join(map(str, spots))}" for lexeme, spots in positions.items()]
    parts += [_quote(f"e:{entry_id}") for entry_id in dict.fromkeys(entry_ids)]
    return " ".join(parts)


def query(q: str, entry_ids: Iterable[str] = ()) -> str | None:
    """The ``tsquery`` input text for "contains ``q``", or None when ``q`` has no characters."""
    chars = _chars(q)
    if not chars:
        return None
    if len(chars) == 1:
        parts = [f"{_quote(chars[0])}:*"]
    else:
        parts = [" <-> ".join(_quote(a + b) for a, b in zip(chars, chars[1:]))]  # noqa: B905, RUF007
    parts += [_quote(f"e:{entry_id}") for entry_id in entry_ids]
    return " | ".join(f"( {part} )" for part in parts)


@lru_cache(maxsize=2)  # keyed by the knowledge base itself: a reloaded one is a new key
def _answer_texts(kb: KnowledgeBase, today: dt.date) -> tuple[tuple[str, str], ...]:
    return tuple((entry.id, "".join(_chars(entry.title + kb.render(entry, today)))) for entry in kb.entries.values())


def entries_containing(q: str, today: dt.date) -> list[str]:
    """Knowledge entries whose answer, as the bot renders it, contains ``q``."""
    from knowledge.base import get_knowledge_base

    needle = "".join(_chars(q))
    if not needle:
        return []
    return [entry_id for entry_id, text in _answer_texts(get_knowledge_base(), today) if needle in text]
