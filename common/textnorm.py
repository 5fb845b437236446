"""Normalising user text before it is analysed: width, script, markup and whitespace."""
from __future__ import annotations

import html
import re
import unicodedata

import zhconv

__all__ = ["normalize_text", "strip_markup", "strip_controls", "is_meaningless", "MAX_MESSAGE_CHARS"]

# A message longer than this is analysed by its head only; a 12366 question rarely exceeds 300.
MAX_MESSAGE_CHARS = 1000

_TAG = re.compile(r"<\s*(script|style)[^>]*>.*?<\s*/\s*\1\s*>|<[^>]{0,200}>", re.I | re.S)
_SPACE = re.compile(r"\s+")
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))
_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
# What intake removes from any text a person or a program sends: C0 controls but tab and newline (NUL breaks
# PostgreSQL, CSV and XLSX), DEL, C1 controls, and lone surrogates (no encoding can store them). A carriage
# return is a line break: \r\n and a lone \r become \n, so stored text has one kind of line end.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def strip_markup(text: str) -> str:
    """Drop HTML tags (and script/style bodies) and unescape entities; the words stay."""
    return html.unescape(_TAG.sub(" ", text))


def strip_controls(text: str) -> str:
    """The one intake cleaning of stored text: line ends made ``\\n``, control characters and lone surrogates
    removed. Everything else (spaces, Chinese, emoji, bidirectional marks) is kept as sent."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNWANTED.sub("", text)


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
