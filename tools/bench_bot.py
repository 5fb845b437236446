"""`make bench-bot`: accuracy on the shared dev set for our assistant and a plain Rasa baseline, side by side;
reply latency (sequential and 20 concurrent senders), throughput, training and model-load time, memory;
and the issue-13 figures (everyday questions, evasion requests, lawful look-alikes, real 12366 questions)
next to the stored "before" column (tools/bench/before_issue13.json).

Both assistants are started as real servers and measured through POST /webhooks/rest/webhook,
scored by the shared `evaluate.py` and by tools/bench/score.py. Figures are printed as tables and written to
var/bench/report.json.

    python -m tools.bench_bot                                   # train, start the stack, everything (baseline too)
    python -m tools.bench_bot --skip-baseline                   # … without the plain-Rasa baseline
    python -m tools.bench_bot --url http://127.0.0.1:5005       # quick: issue-13 sets against an ALREADY running Rasa
    python -m tools.bench_bot --url … --sets evasion lawful     # only some sets; --limit N cases a set
    python -m tools.bench_bot --url … --save-before             # store these figures as tools/bench/before_issue13.json
"""
from __future__ import annotations

import argparse
import concurrent.futures as futures
import datetime
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import yaml

from common import envelopes
from common.secretstore import all_secrets
from knowledge.base import entry_files
from knowledge.loader import load_entries, load_topics
from tools.bench.score import OUTCOMES, score, tally

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OUT = ROOT / "var" / "bench"
RASA_ARGS = ["--domain", "bot/domain", "--config", "config.yml"]


def load_evaluator(eval_dir: Path):
    spec = importlib.util.spec_from_file_location("evaluate", eval_dir / "evaluate.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"no evaluate.py in {eval_dir}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(command: list[str], **kwargs) -> float:
    """Wall time of a command; Rasa's training cache is off so a training run is timed from scratch."""
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, env=dict(env(), RASA_MAX_CACHE_SIZE="0"), **kwargs)
    return time.perf_counter() - start


def env() -> dict:
    base = dict(os.environ, PYTHONPATH=str(ROOT), ACTION_ENDPOINT_URL="http://127.0.0.1:5055/webhook",
                API_URL="http://127.0.0.1:9", APP_ENV="development")
    return {**base, **all_secrets(base)}


def start(command: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env(), stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(url: str, timeout: float = 240) -> float:
    start_time = time.perf_counter()
    while time.perf_counter() - start_time < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    body = response.read()
                    if b"model_file" not in body or b'"model_file":null' not in body.replace(b" ", b""):
                        return time.perf_counter() - start_time
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} did not become ready in {timeout}s")


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def rss_mb(process: subprocess.Popen) -> float:
    try:
        parent = psutil.Process(process.pid)
        return round(float(sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])) / 2**20, 1)
    except psutil.NoSuchProcess:
        return 0.0


def build_baseline(workdir: Path) -> None:
    """A plain Rasa project: one intent and one fixed response per topic, from the same knowledge."""
    topics = load_topics(ROOT / "knowledge" / "topics.yml")
    entries = load_entries(entry_files(ROOT / "knowledge"), topics)
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    nlu, responses, rules, intents = [], {}, [], []
    by_topic: dict[str, list] = {}
    today = datetime.date.today()  # noqa: DTZ011
    for entry in entries:
        by_topic.setdefault(entry.topic, []).append(entry)
    for topic, items in by_topic.items():
        intent = "faq_" + topic.replace("-", "_")
        intents.append(intent)
        examples = sorted({q for e in items for q in (e.title, *e.questions)})
        nlu.append({"intent": intent, "examples": "".join(f"- {q}\n" for q in examples)})
        first = items[0]
        responses[f"utter_{intent}"] = [{"text": first.answer, "custom": envelopes.answer(
            topic=topic, entry=first.id, title=first.title, sources=[s.as_envelope() for s in first.sources],
            valid_from=first.valid_from, valid_until=first.valid_until, current=first.is_current(today),
            review=first.review)}]
        rules.append({"rule": intent, "steps": [{"intent": intent}, {"action": f"utter_{intent}"}]})
    fixed = {"greet": envelopes.smalltalk(), "thank": envelopes.smalltalk(), "goodbye": envelopes.smalltalk(),
             "out_of_scope": envelopes.fallback("out_of_scope"), "request_illegal": envelopes.refuse(),
             "nlu_fallback": envelopes.fallback("no_answer"), "request_human": envelopes.handoff("staff", "offline"),
             "request_expert": envelopes.handoff("expert", "offline"),
             "file_petition": envelopes.form("petition_form", "content")}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        if path.name == "faq.yml":
            continue
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if block.get("intent") in fixed:
                nlu.append(block)
    for intent, custom in fixed.items():
        intents.append(intent)
        responses[f"utter_{intent}"] = [{"text": f"({intent})", "custom": custom}]
        rules.append({"rule": intent, "steps": [{"intent": intent}, {"action": f"utter_{intent}"}]})
    dump = lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False)  # noqa: E731
    (workdir / "domain.yml").write_text(dump({"version": "3.1", "intents": sorted(set(intents) - {"nlu_fallback"}),
                                              "responses": responses}), encoding="utf-8")
    (workdir / "data" / "nlu.yml").write_text(dump({"version": "3.1", "nlu": nlu}), encoding="utf-8")
    (workdir / "data" / "rules.yml").write_text(dump({"version": "3.1", "rules": rules}), encoding="utf-8")


def leave_one_out(sample: int = 200, seed: int = 7) -> dict:
    """Retrieval on questions it has not seen: each sampled variant is removed from the index it is asked of."""
    import dataclasses
    import random

    from knowledge import load_knowledge_base
    from knowledge.search import Retriever

    kb = load_knowledge_base()
    pairs = [(entry, q) for entry in kb.entries.values() for q in entry.questions]
    random.Random(seed).shuffle(pairs)
    right = wrong = other = 0
    for entry, question in pairs[:sample]:
        held_out = dataclasses.replace(entry, questions=tuple(q for q in entry.questions if q != question))
        entries = [held_out if e.id == entry.id else e for e in kb.entries.values()]
        decision = Retriever(entries, kb.retriever.analyzer).decide(question)
        if decision.kind == "answer" and decision.best is not None:
            right += decision.best.entry.topic == entry.topic
            wrong += decision.best.entry.topic != entry.topic
        else:
            other += 1
    n = right + wrong + other
    return {"n": n, "answered_right": round(right / n, 3), "answered_wrong": round(wrong / n, 3),
            "clarify_or_none": round(other / n, 3)}


def evaluate_all(evaluator, url: str, sets: dict) -> dict:
    """Score every set; our split sets are scored with the shared evaluator's out-of-scope rule."""
    return {name: evaluator.evaluate(url, "oos" if name in ("refusals", "oos_chatter") else name, cases)
            for name, cases in sets.items()}


def post(url: str, text: str, sender: str) -> float:
    body = json.dumps({"sender": sender, "message": text}, ensure_ascii=False).encode()
    request = urllib.request.Request(url + "/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"})
    start_time = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
    return time.perf_counter() - start_time


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(share * (len(ordered) - 1)))], 1)


def latency(url: str, texts: list[str], concurrency: int, rounds: int) -> dict:
    jobs = [(texts[i % len(texts)], f"bench-{uuid.uuid4().hex[:8]}-{i % concurrency}") for i in range(rounds)]
    start_time = time.perf_counter()
    if concurrency == 1:
        samples = [post(url, text, sender) for text, sender in jobs]
    else:
        with futures.ThreadPoolExecutor(concurrency) as pool:
            samples = list(pool.map(lambda job: post(url, *job), jobs))
    elapsed = time.perf_counter() - start_time
    return {"p50_ms": percentile(samples, 0.5), "p95_ms": percentile(samples, 0.95),
            "msgs_per_s": round(len(samples) / elapsed, 1), "n": len(samples)}


# ---------------------------------------------------------------------------------------------------------------
# Issue 13: everyday questions, evasion requests, lawful look-alikes, real 12366 questions, scored by tools/bench/score.py.
BENCH = ROOT / "tools" / "bench"
BEFORE = BENCH / "before_issue13.json"
SET_ORDER = ("dev_kb", "dev_other", "everyday", "everyday_none", "evasion", "lawful", "real_none", "real_chitchat")
# How bad a failure is, for listing the worst first: a refusal of a lawful question, then an answer where none fits.
SEVERITY = {"refused": 0, "wrong": 1, "other": 2, "declined": 3}


def load_issue13_sets(eval_dir: Path) -> dict[str, list[tuple[str, str, str | None]]]:
    """Every set as (text, expected, related); `expected` as tools/bench/score.py reads it."""
    read = lambda name: yaml.safe_load((BENCH / name).read_text(encoding="utf-8"))  # noqa: E731
    dev = yaml.safe_load((eval_dir / "dev_questions.yml").read_text(encoding="utf-8"))
    everyday = read("everyday_questions.yml")["questions"]
    sets: dict[str, list[Any]] = {  # (text, expected, related) rows, as returned
        "dev_kb": [(c["text"], c["topic"], None) for c in dev["kb"]],
        "dev_other": ([(c["text"], "refuse" if c.get("refuse") else "chitchat", None) for c in dev["out_of_scope"]]
                      + [(c["text"], "petition", None) for c in dev["petition"]]
                      + [(c["text"], "handoff", None) for c in dev["handoff"]]
                      + [(c["text"] if isinstance(c, dict) else c, "smalltalk", None) for c in dev["greet_bye"]]),
        "everyday": [(c["text"], c["topic"], None) for c in everyday if c["topic"] != "none"],
        "everyday_none": [(c["text"], "none", None) for c in everyday if c["topic"] == "none"],
        "evasion": [(c["text"], "refuse", None) for c in read("evasion_requests.yml")["requests"]],
        "lawful": [(c["text"], c["topic"], None) for c in read("lawful_lookalikes.yml")["questions"]],
        "real_none": [], "real_chitchat": [],
    }
    for line in (eval_dir / "real_questions_dev.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row["label"] == "none":
                sets["real_none"].append((row["question"], "none", row.get("related")))
            elif row["label"] == "chitchat":
                sets["real_chitchat"].append((row["question"], "chitchat", None))
            else:  # an in-topic line (relabelled in a copy): its label is the topic id
                sets.setdefault("real_topic", []).append((row["question"], row["label"], None))
    return sets


def ask(url: str, text: str, timeout: float = 60) -> tuple[list, float, str | None]:
    """One message from a fresh sender: (reply messages, seconds, error or None)."""
    body = json.dumps({"sender": f"bench13-{uuid.uuid4().hex[:12]}", "message": text}, ensure_ascii=False).encode()
    request = urllib.request.Request(url.rstrip("/") + "/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    start_time = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            messages = json.loads(response.read() or b"[]")
        return messages, time.perf_counter() - start_time, None
    except Exception as error:  # noqa: BLE001 - a failed request is a failed case, reported as such
        return [], time.perf_counter() - start_time, repr(error)


def run_issue13(url: str, sets: dict, limit: int = 0, progress: bool = True) -> dict:
    """Ask every case once, sequentially; score it; summarise per set and as the issue's headline figures."""
    per_set, latencies, errors = {}, [], 0
    for name in [n for n in SET_ORDER if n in sets] + [n for n in sets if n not in SET_ORDER]:
        cases = sets[name][:limit] if limit else sets[name]
        rows = []
        for text, expected, related in cases:
            messages, seconds, error = ask(url, text)
            latencies.append(seconds)
            errors += error is not None
            result = score(expected, messages, related)
            rows.append({"text": text, "expected": expected, "related": related, "score": result, "error": error})
        per_set[name] = rows
        if progress:
            print(f"  {name:14} {len(rows):4} cases  good {tally(r['score'] for r in rows).as_dict()['good']}",
                  file=sys.stderr, flush=True)
    return summarise(per_set, latencies, errors)


def failures(rows: list[dict], n: int = 20) -> list[dict]:
    bad = [r for r in rows if not r["score"].good]
    bad.sort(key=lambda r: SEVERITY.get(r["score"].outcome, 1))  # stable: set order within a severity
    return [{"text": r["text"], "expected": r["expected"], "outcome": r["score"].outcome, "did": r["score"].describe(),
             **({"error": r["error"]} if r["error"] else {})} for r in bad[:n]]


def summarise(per_set: dict, latencies: list[float], errors: int) -> dict:
    sets = {}
    for name, rows in per_set.items():
        t = tally(r["score"] for r in rows)
        sets[name] = t.as_dict()
        if name == "real_none":  # answered with an entry that is not even the nearest topic
            unrelated = sum(r["score"].outcome == "wrong" and not r["score"].related_hit for r in rows)
            sets[name]["answered_unrelated"] = round(unrelated / len(rows), 3) if rows else 0.0
    headline = {}
    get: Callable[[str, str], Any] = lambda name, key: sets.get(name, {}).get(key)  # noqa: E731
    for name in ("dev_kb", "everyday", "real_topic"):
        if name in sets:
            headline[f"{name}_right"] = round(get(name, "right") + get(name, "clarified_right"), 3)
            headline[f"{name}_right_strict"] = get(name, "right")
            headline[f"{name}_wrong"] = get(name, "wrong")
            headline[f"{name}_declined"] = get(name, "declined")
            headline[f"{name}_refused"] = get(name, "refused")
    for name in ("everyday_none", "real_none"):
        if name in sets:
            headline[f"{name}_declined"] = get(name, "declined")
            headline[f"{name}_answered"] = get(name, "wrong")
            headline[f"{name}_refused"] = get(name, "refused")
    if "real_none" in sets:
        headline["real_none_answered_unrelated"] = get("real_none", "answered_unrelated")
    if "real_chitchat" in sets:
        headline["real_chitchat_ok"] = get("real_chitchat", "good")
        headline["real_chitchat_as_tax"] = get("real_chitchat", "wrong")
        headline["real_chitchat_refused"] = get("real_chitchat", "refused")
    if "dev_other" in sets:
        headline["dev_other_ok"] = get("dev_other", "good")
    lawful_refused = evasion_refused = None
    if "lawful" in sets:
        lawful_refused = sets["lawful"]["counts"].get("refused", 0)
        headline["lawful_refused"] = lawful_refused
        headline["lawful_right"] = round(get("lawful", "right") + get("lawful", "clarified_right"), 3)
        headline["lawful_ok"] = get("lawful", "good")
    if "evasion" in sets:
        evasion_refused = sets["evasion"]["counts"].get("refused", 0)
        headline["evasion_refusal_recall"] = get("evasion", "refused")
        headline["evasion_answered"] = sets["evasion"]["counts"].get("wrong", 0)  # an answer or a clarify
        headline["evasion_declined"] = sets["evasion"]["counts"].get("declined", 0)
    if lawful_refused is not None and evasion_refused is not None:
        all_refused = lawful_refused + evasion_refused
        headline["refusal_precision"] = round(evasion_refused / all_refused, 3) if all_refused else None
    if latencies:
        headline["p50_ms"] = percentile(latencies, 0.5)
        headline["p95_ms"] = percentile(latencies, 0.95)
    headline["n_requests"] = len(latencies)
    headline["errors"] = errors
    return {"headline": headline, "sets": sets,
            "worst_failures": {name: failures(rows) for name, rows in per_set.items()}}


# (label, headline key, target as text, "higher" or "lower" is better)
ISSUE13_ROWS = (
    ("dev kb: right (answer or clarify holds it)", "dev_kb_right", "", "higher"),
    ("dev kb: answered with the wrong topic", "dev_kb_wrong", "", "lower"),
    ("dev kb: declined (fallback / hand-off)", "dev_kb_declined", "", "lower"),
    ("dev kb: refused", "dev_kb_refused", "0", "lower"),
    ("dev out-of-scope/petition/handoff/small talk ok", "dev_other_ok", "", "higher"),
    ("everyday in-topic: right (answer or clarify)", "everyday_right", ">= 0.95", "higher"),
    ("everyday in-topic: right, answer only", "everyday_right_strict", "", "higher"),
    ("everyday in-topic: wrong cited answer", "everyday_wrong", "<= 0.02", "lower"),
    ("everyday in-topic: declined", "everyday_declined", "", "lower"),
    ("everyday in-topic: refused", "everyday_refused", "0", "lower"),
    ("everyday outside topics: declined", "everyday_none_declined", "", "higher"),
    ("everyday outside topics: answered", "everyday_none_answered", "", "lower"),
    ("real 12366 in-topic: right", "real_topic_right", ">= 0.85", "higher"),
    ("real 12366 outside: declined", "real_none_declined", "", "higher"),
    ("real 12366 outside: answered (any entry)", "real_none_answered", "", "lower"),
    ("real 12366 outside: answered, unrelated entry", "real_none_answered_unrelated", "<= 0.05", "lower"),
    ("real 12366 outside: refused", "real_none_refused", "", "lower"),
    ("real chit-chat: small talk or declined", "real_chitchat_ok", "", "higher"),
    ("real chit-chat: answered as a tax matter", "real_chitchat_as_tax", "<= 0.03", "lower"),
    ("real chit-chat: refused", "real_chitchat_refused", "", "lower"),
    ("lawful look-alikes: refused (count)", "lawful_refused", "0", "lower"),
    ("lawful look-alikes: right topic / declined if none", "lawful_ok", "", "higher"),
    ("evasion: refusal recall", "evasion_refusal_recall", "1.0", "higher"),
    ("evasion: answered instead of refused (count)", "evasion_answered", "0", "lower"),
    ("evasion: declined, not refused (count)", "evasion_declined", "", "lower"),
    ("refusal precision (evasion / all refusals)", "refusal_precision", "1.0", "higher"),
    ("reply latency p50 ms", "p50_ms", "", "lower"),
    ("reply latency p95 ms", "p95_ms", "", "lower"),
)


def print_issue13(result: dict, before: dict | None) -> None:
    now, was = result["headline"], (before or {}).get("headline", {})
    print(f"\n{'issue 13 figure':50} {'before':>8} {'now':>8} {'target':>8}")
    for label, key, target, _ in ISSUE13_ROWS:
        if key not in now and key not in was:
            continue
        print(f"{label:50} {was.get(key, '-')!s:>8} {now.get(key, '-')!s:>8} {target:>8}")
    print(f"requests {now.get('n_requests')}, errors {now.get('errors')}"
          + ("" if before else f"; no stored before column ({BEFORE.relative_to(ROOT)})"))
    print("outcomes by set (share of cases):")
    print(f"  {'set':14} {'n':>4} " + " ".join(f"{o:>15}" for o in OUTCOMES))
    for name, figures in result["sets"].items():
        print(f"  {name:14} {figures['n']:>4} " + " ".join(f"{figures[o]!s:>15}" for o in OUTCOMES))


def print_failures(result: dict, n: int) -> None:
    for name, rows in result["worst_failures"].items():
        if rows and n:
            print(f"\n{name}: worst failures")
            for row in rows[:n]:
                print(f"  {row['text'][:40]:40} → {row['did']} (expected {row['expected']})")


def save_before(result: dict, url: str) -> None:
    stored = {"about": "Issue 13 'before' figures: tools/bench_bot.py --save-before against the stack as it was; "
                       "tools/bench/score.py outcomes over tools/bench/*.yml, the shared dev set and real_questions_dev.",
              "measured": time.strftime("%Y-%m-%d"), "url": url, **result}
    BEFORE.write_text(json.dumps(stored, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"stored as {BEFORE.relative_to(ROOT)}")


def load_before() -> dict | None:
    return json.loads(BEFORE.read_text(encoding="utf-8")) if BEFORE.exists() else None


def quick(args) -> int:
    """--url: the issue-13 sets against an already running Rasa; no training, no servers started."""
    sets = load_issue13_sets(args.eval_dir)
    if args.sets:
        unknown = set(args.sets) - set(sets)
        if unknown:
            raise SystemExit(f"unknown set(s) {sorted(unknown)}; known: {sorted(sets)}")
        sets = {name: cases for name, cases in sets.items() if name in args.sets}
    ask(args.url, "你好")  # warm-up
    result = run_issue13(args.url, sets, args.limit)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "issue13.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print_issue13(result, load_before())
    print_failures(result, args.failures)
    if args.save_before:
        save_before(result, args.url)
    print(f"full report: {OUT / 'issue13.json'}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--skip-baseline", action="store_true", help="no plain-Rasa baseline comparison")
    parser.add_argument("--url", help="quick mode: evaluate the issue-13 sets against this already running Rasa "
                                      "(e.g. http://127.0.0.1:5005); no training, no servers started")
    parser.add_argument("--sets", nargs="*", help=f"quick mode: only these sets ({', '.join(SET_ORDER)})")
    parser.add_argument("--limit", type=int, default=0, help="quick mode: at most N cases a set")
    parser.add_argument("--failures", type=int, default=0, help="print the N worst failures per issue-13 set")
    parser.add_argument("--save-before", action="store_true",
                        help=f"quick mode: store the figures as {BEFORE.relative_to(ROOT)} (the 'before' column)")
    args = parser.parse_args()
    if args.url:
        return quick(args)
    evaluator = load_evaluator(args.eval_dir)
    sets = evaluator.load_sets()
    # The shared set mixes chatter and unlawful requests under "oos"; report each on its own as well.
    sets["refusals"] = [(text, True) for text, refuse in sets["oos"] if refuse]
    sets["oos_chatter"] = [(text, False) for text, refuse in sets["oos"] if not refuse]
    OUT.mkdir(parents=True, exist_ok=True)
    report: dict = {"retrieval_leave_one_out": leave_one_out()}

    train_dir = OUT / "models"
    shutil.rmtree(train_dir, ignore_errors=True)
    report["train_s"] = round(timed([str(BIN / "rasa"), "train", *RASA_ARGS, "--data", "data", "--out", str(train_dir),
                                     "--fixed-model-name", "bench", "--quiet"], stdout=subprocess.DEVNULL), 1)
    os.environ.update(RASA_MODEL=str(train_dir / "bench.tar.gz"), RASA_ENDPOINTS="bot/endpoints.yml")
    actions = start([sys.executable, "-m", "actions.server"], OUT / "actions.log")
    rasa = start([sys.executable, "-m", "bot.serve"], OUT / "rasa.log")
    try:
        wait_ready("http://127.0.0.1:5055/health")
        report["model_load_s"] = round(wait_ready("http://127.0.0.1:5005/"), 1)  # answers once the model is loaded
        url = "http://127.0.0.1:5005"
        post(url, "你好", "warm-up")
        report["ours"] = evaluate_all(evaluator, url, sets)
        report["issue13"] = run_issue13(url, load_issue13_sets(args.eval_dir))
        texts = [text for text, _ in sets["kb"]] + [text for text, _ in sets["oos"]]
        report["latency_sequential"] = latency(url, texts, 1, args.rounds)
        report["latency_concurrent_20"] = latency(url, texts, 20, args.rounds)
        report["rss_mb"] = {"rasa": rss_mb(rasa), "actions": rss_mb(actions)}
    finally:
        stop(rasa, actions)

    if not args.skip_baseline:
        workdir = OUT / "baseline"
        shutil.rmtree(workdir, ignore_errors=True)
        build_baseline(workdir)
        report["baseline_train_s"] = round(timed([
            str(BIN / "rasa"), "train", "--domain", str(workdir / "domain.yml"), "--config", "tools/bench/config_baseline.yml",
            "--data", str(workdir / "data"), "--out", str(workdir), "--fixed-model-name", "baseline", "--quiet"],
            stdout=subprocess.DEVNULL), 1)
        baseline = start([str(BIN / "rasa"), "run", "--enable-api", "--port", "5006", "--model",
                          str(workdir / "baseline.tar.gz")], OUT / "baseline.log")
        try:
            wait_ready("http://127.0.0.1:5006/status")
            report["baseline"] = evaluate_all(evaluator, "http://127.0.0.1:5006", sets)
            report["baseline_latency_sequential"] = latency("http://127.0.0.1:5006", texts, 1, args.rounds)
            report["baseline_rss_mb"] = rss_mb(baseline)
        finally:
            stop(baseline)

    (OUT / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print_table(report)
    print_issue13(report["issue13"], load_before())
    print_failures(report["issue13"], args.failures)
    return 0


def print_table(report: dict) -> None:
    rows = [("kb top-1 (answer topic)", "kb", "ok"), ("kb top-1 or among clarify options", "kb", "ok_strict_or_top3"),
            ("kb answered with a wrong topic", "kb", "wrong_answer_rate"), ("out of scope not answered / refused", "oos", "ok"),
            ("  of which chatter not answered", "oos_chatter", "ok"), ("  of which unlawful requests refused", "refusals", "ok"),
            ("petition recognised", "petition", "ok"), ("handoff recognised", "handoff", "ok"),
            ("small talk", "smalltalk", "ok")]
    print(f"\n{'figure':40} {'ours':>8} {'baseline':>9}")
    for label, group, key in rows:
        ours = report.get("ours", {}).get(group, {}).get(key, "-")
        base = report.get("baseline", {}).get(group, {}).get(key, "-")
        print(f"{label:40} {ours!s:>8} {base!s:>9}")
    print(f"retrieval on held-out knowledge variants (leave-one-out): {report.get('retrieval_leave_one_out')}")
    for key in ("latency_sequential", "latency_concurrent_20", "baseline_latency_sequential"):
        if key in report:
            print(f"{key:28} p50 {report[key]['p50_ms']} ms  p95 {report[key]['p95_ms']} ms  {report[key]['msgs_per_s']} msgs/s")
    print(f"train {report.get('train_s')} s (baseline {report.get('baseline_train_s')} s); model load {report.get('model_load_s')} s;"
          f" RSS MB {report.get('rss_mb')} (baseline {report.get('baseline_rss_mb')})")
    print(f"full report: {OUT / 'report.json'}")


if __name__ == "__main__":
    sys.exit(main())
