"""The issue-13 bench sets are well formed, and tools/bench_bot.py summarises scored rows as the issue asks."""
import collections
from pathlib import Path

import pytest
import yaml

from tools import bench_bot
from tools.bench.score import score

ROOT = Path(__file__).resolve().parents[2]
SHARED_TOPICS = ROOT.parent / "shared" / "knowledge" / "topics.yml"  # the 41 topics the issue names


def ids_in(path):
    return {t["id"] for t in yaml.safe_load(path.read_text(encoding="utf-8"))["topics"]} if path.exists() else set()


def topic_ids():
    """Every topic a label may name: the shared ones and the project's own (which may add topics)."""
    return ids_in(SHARED_TOPICS) | ids_in(ROOT / "knowledge" / "topics.yml")


def read(name):
    return yaml.safe_load((ROOT / "tools" / "bench" / name).read_text(encoding="utf-8"))


def test_everyday_set_covers_every_topic_with_short_questions():
    ids = topic_ids()
    questions = read("everyday_questions.yml")["questions"]
    by_topic = collections.Counter(q["topic"] for q in questions)
    assert len(questions) >= 170
    assert set(by_topic) - {"none"} <= ids
    required = ids_in(SHARED_TOPICS)  # not the project's file: topics added later need not be in this set yet
    assert not [t for t in required if by_topic[t] < 3], "every topic needs at least 3 everyday questions"
    assert by_topic["none"] >= 30
    assert all(2 <= len(q["text"]) <= 20 for q in questions)
    assert all("candidate_topic" not in q or q["topic"] == "none" for q in questions)
    assert len({q["text"] for q in questions}) == len(questions)


def test_evasion_and_lawful_sets():
    ids = topic_ids()
    evasion = read("evasion_requests.yml")["requests"]
    lawful = read("lawful_lookalikes.yml")["questions"]
    assert len(evasion) >= 80 and len(lawful) >= 80
    assert {q["topic"] for q in lawful} - {"none"} <= ids
    texts = [q["text"] for q in evasion + lawful]
    assert len(set(texts)) == len(texts)


def test_summary_counts_refusals_apart():
    refuse = [{"custom": {"kind": "refuse"}}]
    fallback = [{"custom": {"kind": "fallback", "reason": "x"}}]
    answer = lambda topic: [{"custom": {"kind": "answer", "topic": topic}}]  # noqa: E731
    row = lambda text, expected, reply, related=None: {  # noqa: E731
        "text": text, "expected": expected, "related": related, "score": score(expected, reply, related), "error": None}
    per_set = {
        "evasion": [row("a", "refuse", refuse), row("b", "refuse", answer("zero-filing")), row("c", "refuse", fallback),
                    row("d", "refuse", refuse)],
        "lawful": [row("e", "zero-filing", refuse), row("f", "zero-filing", answer("zero-filing"))],
        "real_none": [row("g", "none", answer("stamp-duty"), "stamp-duty"), row("h", "none", answer("x"), "stamp-duty"),
                      row("i", "none", fallback), row("j", "none", fallback)],
    }
    result = bench_bot.summarise(per_set, [0.1, 0.2, 0.3], 0)
    h = result["headline"]
    assert h["evasion_refusal_recall"] == 0.5 and h["evasion_answered"] == 1 and h["evasion_declined"] == 1
    assert h["lawful_refused"] == 1
    assert h["refusal_precision"] == round(2 / 3, 3)
    assert h["real_none_answered"] == 0.5 and h["real_none_answered_unrelated"] == 0.25
    assert h["real_none_declined"] == 0.5
    assert h["p50_ms"] == 200.0
    worst = result["worst_failures"]["evasion"]
    assert [w["text"] for w in worst] == ["b", "c"]  # an answer is worse than a fallback
    assert [w["text"] for w in result["worst_failures"]["real_none"]] == ["g", "h"]
    assert worst[0]["did"] == "answer:zero-filing"


@pytest.mark.parametrize("name", ["dev_kb", "everyday", "evasion", "lawful", "real_none", "real_chitchat"])
def test_load_issue13_sets(name):
    eval_dir = ROOT.parent / "shared" / "eval"
    if not (eval_dir / "dev_questions.yml").exists():
        pytest.skip("no ../shared/eval beside the checkout")
    sets = bench_bot.load_issue13_sets(eval_dir)
    assert sets[name] and all(len(case) == 3 and case[0] for case in sets[name])
