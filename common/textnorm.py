"""Normalising user text before it is analysed: width, script, markup and whitespace."""
from __future__ import annotations

import html
import re
import unicodedata

import zhconv

__all__ = ["normalize_text", "strip_markup", "is_meaningless", "MAX_MESSAGE_CHARS"]

# A message longer than this is analysed by its head only; a 12366 question rarely exceeds 300.
MAX_MESSAGE_CHARS = 1000

_TAG = re.compile(r"<\s*(script|style)[^>]*>.*?<\s*/\s*\1\s*>|<[^>]{0,200}>", re.I | re.S)
_SPACE = re.compile(r"\s+")
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))
_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def strip_markup(text: str) -> str:
    """Drop HTML tags (and script/style bodies) and unescape entities; the words stay."""
    return html.unescape(_TAG.sub(" ", text))


def normalize_text(text: str | None, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Full-width → half-width, traditional → simplified, no markup, single spaces, bounded length."""
    if not text:
        return ""
    text = strip_markup(text[: limit * 4]).translate(_CONTROL)
    text = unicodedata.normalize("NFKC", text)
    text = zhconv.convert(text, "zh-cn")
    return _SPACE.sub(" ", text).strip()[:limit]


def is_meaningless(text: str | None) -> bool:
    """True for empty text, whitespace, emoji or punctuation only: nothing to answer."""
    return not text or not _MEANINGFUL.search(unicodedata.normalize("NFKC", text))
