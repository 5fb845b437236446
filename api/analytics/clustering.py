"""Grouping unanswered questions by similarity: greedy Jaccard clustering of term sets.

The aggregation stores each day's unanswered turns already counted per *term set* (the sorted distinct
terms of the user's question, from the knowledge analyzer). Here the term sets of a period are merged,
most frequent first: a set joins the first group whose seed set it overlaps with Jaccard ≥ 0.5
(:data:`THRESHOLD`), else it seeds a new group. Candidates are found with *prefix filtering*: under one
global order of terms (rarest first) two sets with Jaccard ≥ δ always share a term among their first
``|A| − ⌈δ·|A|⌉ + 1`` terms, so only groups indexed under those terms are compared — a few comparisons
per set instead of one per group. Questions without any term form one group of their own.
"""
from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["THRESHOLD", "Cluster", "jaccard", "cluster_term_sets"]

THRESHOLD = 0.5


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass
class Cluster:
    seed: tuple[str, ...]
    members: list = field(default_factory=list)  # the items merged into it, in order of arrival

    @property
    def group_id(self) -> str:
        return "u-" + hashlib.sha1(" ".join(self.seed).encode("utf-8")).hexdigest()[:8]


def _prefix(terms: tuple[str, ...], rank: dict[str, int], threshold: float) -> list[str]:
    ordered = sorted(terms, key=lambda t: (rank[t], t))
    keep = len(ordered) - math.ceil(threshold * len(ordered)) + 1
    return ordered[:max(keep, 1)]


def cluster_term_sets(items: list[tuple[tuple[str, ...], int, object]], threshold: float = THRESHOLD) -> list[Cluster]:
    """``items``: (term set, weight, payload). Returns the clusters, heaviest seed first; each cluster's
    ``members`` holds the items merged into it."""
    frequency = Counter(t for terms, _, _ in items for t in set(terms))
    rank = {t: i for i, (t, _) in enumerate(sorted(frequency.items(), key=lambda x: (x[1], x[0])))}
    clusters: list[Cluster] = []
    seeds: list[frozenset] = []
    index: dict[str, list[int]] = {}
    empty: Cluster | None = None
    for terms, weight, payload in sorted(items, key=lambda item: (-item[1], item[0])):
        if not terms:
            if empty is None:
                empty = Cluster(())
                clusters.append(empty)
                seeds.append(frozenset())
            empty.members.append((terms, weight, payload))
            continue
        mine = frozenset(terms)
        best, best_score = None, threshold
        seen: set[int] = set()
        for term in _prefix(terms, rank, threshold):
            for i in index.get(term, ()):
                if i in seen:
                    continue
                seen.add(i)
                score = jaccard(mine, seeds[i])
                if score > best_score or (score == best_score and (best is None or i < best)):
                    best, best_score = i, score
        if best is None:
            best = len(clusters)
            clusters.append(Cluster(tuple(terms)))
            seeds.append(mine)
            for term in _prefix(terms, rank, threshold):
                index.setdefault(term, []).append(best)
        clusters[best].members.append((terms, weight, payload))
    return clusters
