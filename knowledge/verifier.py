"""Does the best entry really answer the question? A calibrated judgement over the retriever's evidence.

BM25 always ranks *some* entry first; real 12366 questions next to a topic ("差旅费能加计扣除吗" beside the R&D
entry) rank it first too. The verifier turns what the retriever saw (``Candidate.features``: how much of the
question, and of its content words, the entry and its closest question variant explain, which content words it
leaves out, the score and the runner-up) into a probability that answering is right, with a logistic model
whose weights and two thresholds live in ``verifier.yml``:

* ``p ≥ answer`` — answer (or ask between close entries of different topics);
* ``clarify ≤ p < answer`` — ask which of the nearest topics is meant, with a way out to a person;
* below — decline honestly (a person, 12366, a petition), never the nearest entry.

The weights and thresholds are fitted by ``tools/bench/calibrate.py`` on development data (question variants held out
of the index, the shared dev set, our everyday set; real 12366 questions no topic answers and real chit-chat);
the method is written there and in docs/understanding.md. Refit after the knowledge base changes much.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

__all__ = ["FEATURES", "Verifier", "VERIFIER_FILE"]

VERIFIER_FILE = Path(__file__).resolve().parent / "verifier.yml"
FEATURES = ("score", "coverage", "content_coverage", "variant_coverage", "uncovered", "uncovered_max", "terms",
            "content_terms", "matched", "runner_up", "tax_words")


@dataclass(frozen=True)
class Verifier:
    weights: dict[str, float]
    intercept: float
    answer: float  # probability from which the best entry is answered
    clarify: float  # probability from which the nearest topics are offered
    means: dict[str, float] = field(default_factory=dict)  # feature standardisation (fitted with the weights)
    scales: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = VERIFIER_FILE) -> Verifier:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        model = data["model"]
        return cls(weights={k: float(v) for k, v in model["weights"].items()}, intercept=float(model["intercept"]),
                   answer=float(data["thresholds"]["answer"]), clarify=float(data["thresholds"]["clarify"]),
                   means={k: float(v) for k, v in model.get("means", {}).items()},
                   scales={k: float(v) for k, v in model.get("scales", {}).items()})

    def probability(self, features: dict[str, float]) -> float:
        z = self.intercept
        for name, weight in self.weights.items():
            value = (float(features.get(name, 0.0)) - self.means.get(name, 0.0)) / (self.scales.get(name, 1.0) or 1.0)
            z += weight * value
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
