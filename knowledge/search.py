"""Choosing what to do with a question: answer one entry, ask which of a few, or admit nothing fits.

Two views of each entry are scored with BM25: the entry as a whole (title, question variants,
answer) and its single closest question variant. Their blend ranks the entries. Whether the
best one is good enough is judged by *coverage*: the share of the query's IDF weight that the
entry's vocabulary explains. A message full of words the knowledge base has never seen
("天气", "火锅") has low coverage however well its one tax word matches.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from knowledge.analysis import Analyzer
from knowledge.index import BM25Index
from knowledge.models import Entry

__all__ = ["Thresholds", "Candidate", "Decision", "Retriever"]


@dataclass(frozen=True)
class Thresholds:
    answer_coverage: float = 0.28  # below: the entry does not explain enough of the question
    strict_coverage: float = 0.45  # when NLU itself doubted the message is a tax question
    min_score: float = 0.25  # blended score (0–1) below which nothing is relevant
    clarify_ratio: float = 0.90  # runner-up of another topic this close → ask which one
    max_options: int = 4


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    coverage: float
    matched: int = 0  # distinct query terms the entry contains


@dataclass(frozen=True)
class Decision:
    kind: str  # "answer" | "clarify" | "none"
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)
    reason: str = ""

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


class Retriever:
    """Ranks entries for a question. Build once at start; `rank` and `decide` are pure."""

    WHOLE_WEIGHT = 0.5  # share of the whole-entry view in the blend; the rest is the closest variant
    DOMAIN_BOOST = 2.0  # a tax term ("滞纳金") says more about the topic than an everyday word ("计算公式")

    def __init__(self, entries: Sequence[Entry], analyzer: Analyzer, thresholds: Thresholds | None = None):
        self.entries = list(entries)
        self.analyzer = analyzer
        self.thresholds = thresholds or Thresholds()
        whole_docs, variant_docs, self._variant_owner = [], [], []
        answers = [set(analyzer.terms(entry.answer)) for entry in self.entries]
        boilerplate = self._boilerplate(answers)
        for i, entry in enumerate(self.entries):
            title = analyzer.terms(entry.title)
            questions = [analyzer.terms(q) for q in entry.questions]
            whole_docs.append(title * 2 + [t for q in questions for t in q] + sorted(answers[i] - boilerplate))
            for terms in [title, *questions]:
                variant_docs.append(terms)
                self._variant_owner.append(i)
        self._whole = BM25Index(whole_docs)
        self._variants = BM25Index(variant_docs)

    @staticmethod
    def _boilerplate(answers: list[set[str]], share: float = 0.2) -> set[str]:
        """Answer words found in more than `share` of the answers ("12366", "确认"): they say nothing of the topic."""
        counts: dict[str, int] = {}
        for terms in answers:
            for term in terms:
                counts[term] = counts.get(term, 0) + 1
        return {term for term, n in counts.items() if len(answers) >= 10 and n > share * len(answers)}

    def rank(self, text: str, limit: int = 8) -> list[Candidate]:
        query = self.analyzer.terms(text)
        if not query or not self.entries:
            return []
        boost = {t: self.DOMAIN_BOOST for t in query if t in self.analyzer.domain_words}
        whole = self._whole.scores(query, boost)
        closest = [0.0] * len(self.entries)
        for j, score in enumerate(self._variants.scores(query, boost)):
            owner = self._variant_owner[j]
            closest[owner] = max(closest[owner], score)
        top_whole, top_closest = max(whole) or 1.0, max(closest) or 1.0
        # Normalise each view by the query's ideal score so the blend is comparable across queries.
        ideal = sum(self._whole.weight(t) * boost.get(t, 1.0) for t in set(query)) or 1.0
        candidates = []
        for i, entry in enumerate(self.entries):
            if not whole[i] and not closest[i]:
                continue
            relative = self.WHOLE_WEIGHT * whole[i] / top_whole + (1 - self.WHOLE_WEIGHT) * closest[i] / top_closest
            absolute = min(1.0, whole[i] / ideal)
            matched = sum(1 for t in set(query) if self._whole.contains(i, t))
            candidates.append(Candidate(entry, round(relative * absolute ** 0.5, 4), self._coverage(query, i), matched))
        candidates.sort(key=lambda c: c.score, reverse=True)
        return candidates[:limit]

    def decide(self, text: str, strict: bool = False) -> Decision:
        limits = self.thresholds
        ranked = self.rank(text)
        if not ranked:
            return Decision("none", reason="no_match")
        needed = limits.strict_coverage if strict else limits.answer_coverage
        # An entry that explains too little of the question cannot be its answer, however well it ranks.
        ranked = [c for c in ranked if c.coverage >= needed] or ranked[:1]
        best = ranked[0]
        # One everyday word ("东西") matching is chance; one tax word ("滞纳金") is a real question.
        if best.matched < 2 and not set(self.analyzer.terms(text)) & self.analyzer.domain_words:
            return Decision("none", tuple(ranked[:3]), reason="too_little_matched")
        if best.score < limits.min_score or best.coverage < needed:
            return Decision("none", tuple(ranked[:3]), reason="low_confidence")
        rivals = [best]
        for candidate in ranked[1:]:
            if candidate.entry.topic in {r.entry.topic for r in rivals}:
                continue
            if candidate.score >= best.score * limits.clarify_ratio:
                rivals.append(candidate)
            if len(rivals) == limits.max_options:
                break
        if len(rivals) > 1:
            return Decision("clarify", tuple(rivals), reason="close_candidates")
        return Decision("answer", (best,))

    def _coverage(self, query: list[str], entry_index: int) -> float:
        terms = set(query)
        total = sum(self._whole.weight(t) for t in terms)
        explained = sum(self._whole.weight(t) for t in terms if self._whole.contains(entry_index, t))
        return round(explained / total, 4) if total else 0.0
