"""The knowledge base answers what it really answers, offers the nearest topics when unsure, and declines the rest.

Behaviour over development data (the figures themselves are `make bench-bot`'s and tools/bench/calibrate.py's business):
these bounds are loose enough for honest wording changes and tight enough to catch a regression.
"""
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from knowledge import load_knowledge_base
from knowledge.verifier import FEATURES, Verifier

TODAY = dt.date(2026, 12, 7)
ROOT = Path(__file__).resolve().parents[2]
SHARED_EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


def _outcome(kb, text, topic):
    decision = kb.decide(text, TODAY)
    if decision.kind == "answer":
        return "right" if decision.best.entry.topic == topic else "wrong"
    if decision.kind == "clarify":
        return "clarified" if topic in {c.entry.topic for c in decision.candidates} else "offered"
    return "declined"


@pytest.mark.parametrize("text, topic", [
    ("零申报咋报", "zero-filing"),
    ("小规模免税额度多少", "vat-small-scale-exemption"),
    ("滞纳金咋算", "late-payment-surcharge"),
    ("个税汇算啥时候开始", "iit-annual-settlement"),
    ("六税两费减半有哪些", "six-taxes-two-fees"),
])
def test_short_everyday_questions_are_answered_or_their_topic_offered_first(kb, text, topic):
    decision = kb.decide(text, TODAY)
    assert decision.kind in ("answer", "clarify") and decision.best.entry.topic == topic


@pytest.mark.parametrize("text", [
    "我单位统一给员工安排体检，发生的费用能否税前扣除？",  # the R&D / CIT entries mention deductions, not this
    "跨地区设立的项目部，如何预缴企业所得税？",
    "销售旧包装袋如何缴纳增值税？",
    "今天天气怎么样",
    "怎么操作",
    "推荐一家火锅店",
])
def test_questions_no_entry_answers_are_never_answered_with_the_nearest_entry(kb, text):
    assert kb.decide(text, TODAY).kind != "answer"


def test_chit_chat_gets_no_tax_topics_to_choose_from(kb):
    lines = [json.loads(line) for line in (SHARED_EVAL / "real_questions_dev.jsonl").read_text().splitlines()]
    chatter = [row["question"] for row in lines if row["label"] == "chitchat"]
    treated_as_tax = [t for t in chatter if kb.decide(t, TODAY).kind != "none"]
    assert len(treated_as_tax) <= 0.03 * len(chatter), treated_as_tax


def test_real_12366_questions_outside_every_topic_are_rarely_answered(kb):
    lines = [json.loads(line) for line in (SHARED_EVAL / "real_questions_dev.jsonl").read_text().splitlines()]
    outside = [row["question"] for row in lines if row["label"] == "none"]
    answered = [t for t in outside if kb.decide(t, TODAY).kind == "answer"]
    assert len(answered) <= 0.05 * len(outside), answered[:20]


def test_the_everyday_set_is_answered_or_offered_right_and_almost_never_wrong(kb):
    everyday = ROOT / "tools" / "bench" / "everyday_questions.yml"
    cases = yaml.safe_load(everyday.read_text(encoding="utf-8"))["questions"]
    outcomes = [_outcome(kb, c["text"], c["topic"]) for c in cases if c["topic"] != "none"]
    helped = sum(o in ("right", "clarified") for o in outcomes) / len(outcomes)
    wrong = outcomes.count("wrong") / len(outcomes)
    assert helped >= 0.9 and wrong <= 0.03, (helped, wrong)


def test_the_verifier_file_holds_a_complete_model_whose_figures_met_the_limits():
    data = yaml.safe_load((ROOT / "knowledge" / "verifier.yml").read_text(encoding="utf-8"))
    verifier = Verifier.load()
    assert set(data["model"]["weights"]) == set(FEATURES)
    assert 0 < verifier.clarify <= verifier.answer < 1
    figures, limits = data["figures"], data["limits"]
    assert figures["none"]["wrong"] <= limits["decline_answered"]
    assert figures["chitchat"]["wrong"] + figures["chitchat"]["offered"] <= limits["chitchat_answered"]
    assert figures["dev"]["wrong"] <= limits["dev_wrong"] and figures["loo"]["wrong"] <= limits["loo_wrong"]


def test_an_unsure_decision_offers_several_topics_not_one(kb):
    decision = kb.decide("扣分了能补救不", TODAY)
    if decision.kind == "clarify":
        assert 2 <= len(decision.candidates) <= 4
        assert len({c.entry.topic for c in decision.candidates}) == len(decision.candidates)
