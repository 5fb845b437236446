#!/usr/bin/env python
"""`make bench`: accuracy on the shared dev set for our assistant and a plain Rasa baseline, side by side;
reply latency (sequential and 20 concurrent senders), throughput, training and model-load time, memory.

Both assistants are started as real servers and measured through POST /webhooks/rest/webhook,
scored by the shared `evaluate.py`. Figures are printed as a table and written to var/bench/report.json.
"""
from __future__ import annotations

import argparse
import concurrent.futures as futures
import importlib.util
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
OUT = ROOT / "var" / "bench"
RASA_ARGS = ["--domain", "bot/domain", "--config", "config.yml"]

from common.secretstore import all_secrets  # noqa: E402
from knowledge.base import entry_files  # noqa: E402
from knowledge.loader import load_entries, load_topics  # noqa: E402


def load_evaluator(eval_dir: Path):
    spec = importlib.util.spec_from_file_location("evaluate", eval_dir / "evaluate.py")
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
        return round(sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 2**20, 1)
    except psutil.NoSuchProcess:
        return 0.0


def build_baseline(workdir: Path) -> None:
    """A plain Rasa project: one intent and one fixed response per topic, from the same knowledge."""
    topics = load_topics(ROOT / "knowledge" / "topics.yml")
    entries = load_entries(entry_files(ROOT / "knowledge"), topics)
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    nlu, responses, rules, intents = [], {}, [], []
    by_topic: dict[str, list] = {}
    for entry in entries:
        by_topic.setdefault(entry.topic, []).append(entry)
    for topic, items in by_topic.items():
        intent = "faq_" + topic.replace("-", "_")
        intents.append(intent)
        examples = sorted({q for e in items for q in (e.title, *e.questions)})
        nlu.append({"intent": intent, "examples": "".join(f"- {q}\n" for q in examples)})
        first = items[0]
        responses[f"utter_{intent}"] = [{"text": first.answer, "custom": {
            "kind": "answer", "topic": topic, "entry": first.id,
            "sources": [s.as_envelope() for s in first.sources],
            "valid_until": first.valid_until.isoformat() if first.valid_until else None}}]
        rules.append({"rule": intent, "steps": [{"intent": intent}, {"action": f"utter_{intent}"}]})
    fixed = {"greet": "smalltalk", "thank": "smalltalk", "goodbye": "smalltalk", "out_of_scope": "fallback",
             "request_illegal": "refuse", "nlu_fallback": "fallback", "request_human": "handoff",
             "request_expert": "handoff", "file_petition": "form"}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        if path.name == "faq.yml":
            continue
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if block.get("intent") in fixed:
                nlu.append(block)
    for intent, kind in fixed.items():
        intents.append(intent)
        custom = {"kind": kind}
        if kind == "handoff":
            custom.update(tier="expert" if intent == "request_expert" else "staff", status="offline", position=None)
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
    import datetime as dt
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
        if decision.kind == "answer":
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
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
            str(BIN / "rasa"), "train", "--domain", str(workdir / "domain.yml"), "--config", "bench/config_baseline.yml",
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
