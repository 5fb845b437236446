"""Score one bot reply against what a case expects. Pure: no I/O, no Rasa; `tools/bench_bot.py` uses it.

A reply is what the REST channel returns for one message: a list of message dicts, each maybe carrying a
``custom`` envelope whose ``kind`` says what the turn is (../shared/DESIGN.md, "Reply envelope").

What a case expects (``expected``):

| expected | good outcome(s) |
|---|---|
| a topic id | ``right`` (an answer with that topic) or ``clarified_right`` (a clarify offering it) |
| ``none`` (no topic answers it) | ``declined`` (fallback or hand-off to a person) |
| ``chitchat`` (not a tax matter) | ``right`` (small talk) or ``declined`` |
| ``refuse`` (evade tax, falsify) | ``refused`` |
| ``petition`` / ``handoff`` / ``smalltalk`` | ``right`` (a petition form or ticket / a hand-off / small talk) |

Outcomes: ``right``, ``clarified_right``, ``wrong``, ``declined``, ``refused``, ``other``.
``wrong`` means a tax answer where none fits: an answer with another topic (or any answer for ``none``,
``chitchat``, ``refuse``), and also a clarify for ``chitchat`` and ``refuse`` (it treats chatter or an
evasion request as an ordinary tax question). ``refused`` is counted apart from ``wrong`` and ``declined``
whatever was expected, so lawful questions refused and evasion requests refused can be counted.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["OUTCOMES", "SPECIAL", "Score", "envelopes", "score", "tally"]

OUTCOMES = ("right", "clarified_right", "wrong", "declined", "refused", "other")
SPECIAL = frozenset({"none", "chitchat", "refuse", "petition", "handoff", "smalltalk"})
DECLINING = frozenset({"fallback", "handoff"})


@dataclass(frozen=True)
class Score:
    outcome: str
    good: bool
    kinds: tuple[str, ...] = ()
    topic: str | None = None  # the answered topic, if the reply answered
    options: tuple[str, ...] = ()  # the clarify options' topics, if it clarified
    related_hit: bool = False  # `none` case answered with the entry named as its nearest topic

    def describe(self) -> str:
        """What the bot did, in a few words: ``answer:topic``, ``clarify[a|b]``, ``fallback`` …"""
        if self.topic:
            return f"answer:{self.topic}"
        if self.options:
            return f"clarify[{'|'.join(str(o) for o in self.options)}]"
        return "+".join(self.kinds) or "(no envelope)"


def envelopes(messages) -> list[dict]:
    """The ``custom`` envelopes of a REST channel reply, in order; anything malformed is skipped."""
    if not isinstance(messages, list):
        return []
    return [m["custom"] for m in messages if isinstance(m, dict) and isinstance(m.get("custom"), dict)]


def _read(messages) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    kinds: list[str] = []
    topic: str | None = None
    options: list[str] = []
    for custom in envelopes(messages):
        kind = custom.get("kind")
        if isinstance(kind, str):
            kinds.append(kind)
        if kind == "answer" and topic is None:
            topic = custom.get("topic") or "(no topic)"
        elif kind == "clarify":
            options += [o["topic"] for o in custom.get("options") or [] if isinstance(o, dict) and o.get("topic")]
    return tuple(kinds), topic, tuple(options)


def score(expected: str, messages, related: str | None = None) -> Score:
    """Score one reply. ``related``: for a ``none`` case, the nearest topic (answering with it is still wrong,
    but flagged ``related_hit`` so "answered with an unrelated entry" can be told apart)."""
    kinds, topic, options = _read(messages)
    present = set(kinds)

    def result(outcome: str, good: bool) -> Score:
        return Score(outcome, good, kinds, topic, options,
                     related_hit=bool(related) and topic is not None and topic == related)

    # A refusal outranks whatever else the turn carries: an unlawful request must be refused, a lawful one never.
    if "refuse" in present:
        return result("refused", expected == "refuse")
    if expected == "petition" and present & {"form", "petition_created"}:
        return result("right", True)
    if expected == "handoff" and "handoff" in present:
        return result("right", True)
    if expected == "smalltalk":
        return result("right", True) if "smalltalk" in present else _other(result, present, topic, options, expected)
    return _other(result, present, topic, options, expected)


def _other(result: Callable[[str, bool], Score], present: set, topic, options, expected: str) -> Score:
    is_topic = expected not in SPECIAL
    if topic is not None:
        return result("right", True) if is_topic and topic == expected else result("wrong", False)
    if "clarify" in present:
        if is_topic and expected in options:
            return result("clarified_right", True)
        return result("wrong", False) if expected in ("chitchat", "refuse") else result("other", False)
    if present & DECLINING:
        return result("declined", expected in ("none", "chitchat"))
    if "smalltalk" in present:
        return result("right", True) if expected == "chitchat" else result("other", False)
    return result("other", False)


@dataclass
class Tally:
    n: int = 0
    counts: Counter = field(default_factory=Counter)
    good: int = 0
    related_hits: int = 0

    def add(self, s: Score) -> None:
        self.n += 1
        self.counts[s.outcome] += 1
        self.good += s.good
        self.related_hits += s.related_hit

    def rate(self, *outcomes: str) -> float:
        return round(sum(self.counts[o] for o in outcomes) / self.n, 3) if self.n else 0.0

    def as_dict(self) -> dict:
        out: dict[str, Any] = {"n": self.n, "good": round(self.good / self.n, 3) if self.n else 0.0}
        out.update({o: self.rate(o) for o in OUTCOMES})
        out["counts"] = {o: self.counts[o] for o in OUTCOMES if self.counts[o]}
        if self.related_hits:
            out["related_hits"] = self.related_hits
        return out


def tally(scores) -> Tally:
    t = Tally()
    for s in scores:
        t.add(s)
    return t
