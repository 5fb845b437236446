"""Choosing what to do with a question: answer one entry, ask which of a few, or admit nothing fits.

Two views of each entry are scored with BM25: the entry as a whole (title, question variants,
answer) and its single closest question variant. Their blend ranks the entries. Whether the
best one really answers the question is the verifier's call (knowledge/verifier.py), from the
evidence gathered here: *coverage* (the share of the query's IDF weight the entry's vocabulary
explains), the same for the question's content words and for the entry's closest question
variant alone (a word the entry only mentions in passing, "核定征收企业不适用", does not make it
the answer), and the content words it leaves out ("差旅费", "包装袋": what the question is about
and the entry is not). A message full of words the knowledge base has never seen ("天气",
"火锅") has low coverage however well its one tax word matches.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from knowledge.analysis import Analyzer
from knowledge.index import BM25Index
from knowledge.models import Entry
from knowledge.verifier import Verifier

__all__ = ["Thresholds", "Candidate", "Decision", "Retriever", "choose"]


@dataclass(frozen=True)
class Thresholds:
    clarify_ratio: float = 0.90  # an answerable best entry with a runner-up of another topic this close → ask
    max_options: int = 4
    options_when_unsure: int = 3  # topics offered when the verifier is unsure


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    coverage: float
    matched: int = 0  # distinct query terms the entry contains
    # the verifier's evidence (verifier.FEATURES)
    features: dict[str, float] = field(default_factory=dict, compare=False)
    probability: float | None = None  # the verifier's judgement, for the best candidate


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
    TOPIC_WORD_ENTRIES = 3  # a word the questions of at most this many entries use is topic vocabulary

    def __init__(self, entries: Sequence[Entry], analyzer: Analyzer, thresholds: Thresholds | None = None,
                 verifier: Verifier | None = None):
        self.entries = list(entries)
        self.analyzer = analyzer
        self.thresholds = thresholds or Thresholds()
        self.verifier = verifier or Verifier.load()
        whole_docs, variant_docs, self._variant_owner = [], [], []
        self._variants_of: list[list[set[str]]] = [[] for _ in self.entries]
        answers = [set(analyzer.terms(entry.answer)) for entry in self.entries]
        boilerplate = self._boilerplate(answers)
        for i, entry in enumerate(self.entries):
            title = analyzer.terms(entry.title)
            questions = [analyzer.terms(q) for q in entry.questions]
            whole_docs.append(title * 2 + [t for q in questions for t in q] + sorted(answers[i] - boilerplate))
            for terms in [title, *questions]:
                variant_docs.append(terms)
                self._variant_owner.append(i)
                self._variants_of[i].append(set(terms))
        self._whole = BM25Index(whole_docs)
        self._variants = BM25Index(variant_docs)
        # Tax vocabulary beyond the dictionary: a content word that the titles and question variants of only a
        # few entries use ("密码" for logging in, "执照" for a new business) says what a question is about.
        owners: dict[str, set[int]] = {}
        for i, variants in enumerate(self._variants_of):
            for term in set().union(*variants) if variants else ():
                owners.setdefault(term, set()).add(i)
        self.topic_words = {t for t, o in owners.items()
                            if len(o) <= self.TOPIC_WORD_ENTRIES and analyzer.is_content(t)}

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
        top = candidates[:limit]
        if top:
            runner_up = top[1].score if len(top) > 1 else 0.0
            top[0] = self._with_evidence(top[0], query, runner_up)
        return top

    def _with_evidence(self, candidate: Candidate, query: list[str], runner_up: float) -> Candidate:
        """The best candidate with the verifier's features and probability."""
        i = self.entries.index(candidate.entry)
        terms = list(dict.fromkeys(query))
        content = [t for t in terms if self.analyzer.is_content(t)]
        weight = self._whole.weight
        content_total = sum(weight(t) for t in content) or 1.0
        uncovered = [t for t in content if not self._whole.contains(i, t)]
        closest = max((sum(weight(t) for t in content if t in variant) for variant in self._variants_of[i]),
                      default=0.0)
        features = {
            "score": candidate.score, "coverage": candidate.coverage,
            "content_coverage": 1.0 - sum(weight(t) for t in uncovered) / content_total,
            "variant_coverage": closest / content_total,
            "uncovered": len(uncovered), "uncovered_max": max((weight(t) for t in uncovered), default=0.0),
            "terms": len(terms), "content_terms": len(content), "matched": candidate.matched,
            "runner_up": runner_up,
            "tax_words": sum(1 for t in terms if t in self.analyzer.domain_words or t in self.topic_words),
        }
        return Candidate(candidate.entry, candidate.score, candidate.coverage, candidate.matched, features)

    def mentions_tax(self, text: str) -> bool:
        """Does the message use tax vocabulary (the dictionary, or words of few entries' questions)? Then it is a
        tax matter even when no entry answers it, and must not be told it is outside the bot's field."""
        return any(t in self.analyzer.domain_words or t in self.topic_words for t in self.analyzer.terms(text))

    def decide(self, text: str, strict: bool = False) -> Decision:
        """Answer, clarify or decline: :func:`choose` over :meth:`rank`."""
        return choose(self.rank(text), self.verifier, self.thresholds, strict=strict)

    def _coverage(self, query: list[str], entry_index: int) -> float:
        terms = set(query)
        total = sum(self._whole.weight(t) for t in terms)
        explained = sum(self._whole.weight(t) for t in terms if self._whole.contains(entry_index, t))
        return round(explained / total, 4) if total else 0.0


def choose(ranked: list[Candidate], verifier: Verifier, limits: Thresholds, *, strict: bool = False) -> Decision:
    """Answer, clarify or decline (``Decision.kind`` answer / clarify / none) on the verifier's probability that
    the best entry answers the question. Pure, so tools/bench/calibrate.py can try thresholds on ranked lists.

    ``strict``: the NLU doubted the message is a tax question at all; then nearest topics are offered only when
    the message itself uses tax vocabulary."""
    if not ranked:
        return Decision("none", reason="no_match")
    features = ranked[0].features
    probability = round(verifier.probability(features), 4)
    best = replace(ranked[0], probability=probability)
    ranked = [best, *ranked[1:]]
    # One everyday word matching ("怎么操作", "东西") is chance, however well it matches; a tax word is a question.
    about_tax = features["tax_words"] > 0 or (not strict and features["content_terms"] >= 2)
    if not about_tax:
        return Decision("none", tuple(ranked[:3]), reason="not_about_tax")
    if probability >= verifier.answer:
        rivals = _distinct_topics(ranked, lambda c: c.score >= best.score * limits.clarify_ratio, limits.max_options)
        if len(rivals) > 1:
            return Decision("clarify", tuple(rivals), reason="close_candidates")
        return Decision("answer", (best,))
    if probability >= verifier.clarify:
        options = _distinct_topics(ranked, lambda c: True, limits.options_when_unsure)
        if len(options) > 1:
            return Decision("clarify", tuple(options), reason="unsure")
    return Decision("none", tuple(ranked[:3]), reason="low_confidence")


def _distinct_topics(ranked: list[Candidate], keep: Callable[[Candidate], bool], limit: int) -> list[Candidate]:
    """The best candidate and the following ones ``keep`` accepts, one per topic, at most ``limit``."""
    chosen = [ranked[0]]
    for candidate in ranked[1:]:
        if len(chosen) == limit:
            break
        if candidate.entry.topic not in {c.entry.topic for c in chosen} and keep(candidate):
            chosen.append(candidate)
    return chosen
