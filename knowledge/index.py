"""Okapi BM25 over term lists, built once in memory (~100 entries: a query costs about a millisecond)."""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

__all__ = ["BM25Index"]


class BM25Index:
    """BM25 scores of a query against every document; documents are lists of terms."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self._freqs = [Counter(doc) for doc in documents]
        self._lengths = [len(doc) for doc in documents]
        self._avg_length = (sum(self._lengths) / len(self._lengths)) if documents else 0.0
        document_frequency: Counter[str] = Counter()
        for freqs in self._freqs:
            document_frequency.update(freqs.keys())
        n = len(documents)
        self.idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in document_frequency.items()}
        # A term no document contains is the most specific word of all: it weighs as the rarest.
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0
        self._postings: dict[str, list[int]] = {}
        for i, freqs in enumerate(self._freqs):
            for term in freqs:
                self._postings.setdefault(term, []).append(i)

    def __len__(self) -> int:
        return len(self._freqs)

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.unknown_idf)

    def scores(self, query: Sequence[str], boost: dict[str, float] | None = None) -> list[float]:
        """BM25 of the query against every document; `boost` multiplies the weight of chosen terms."""
        result = [0.0] * len(self._freqs)
        for term in set(query):
            idf = self.idf.get(term)
            if idf is None:
                continue
            idf *= (boost or {}).get(term, 1.0)
            for i in self._postings[term]:
                tf = self._freqs[i][term]
                norm = self.k1 * (1 - self.b + self.b * self._lengths[i] / (self._avg_length or 1))
                result[i] += idf * tf * (self.k1 + 1) / (tf + norm)
        return result

    def contains(self, doc: int, term: str) -> bool:
        return term in self._freqs[doc]
