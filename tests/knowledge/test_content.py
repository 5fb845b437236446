"""The shipped knowledge base: complete, cited honestly, and able to find its own questions."""
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from knowledge import load_knowledge_base

SHARED = Path(__file__).resolve().parents[3] / "shared" / "knowledge"
FACTS = SHARED / "facts.md"
TOPICS = Path(__file__).resolve().parents[2] / "knowledge" / "topics.yml"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


def shared_topic_ids():
    source = SHARED / "topics.yml" if (SHARED / "topics.yml").exists() else TOPICS
    return [t["id"] for t in yaml.safe_load(source.read_text(encoding="utf-8"))["topics"] if t["id"] != "imported-other"]


def test_every_topic_has_an_entry(kb):
    covered = {e.topic for e in kb.entries.values()}
    assert set(shared_topic_ids()) - covered == set()


def _normalise_doc_no(doc_no):
    return re.sub(r"\s+", "", doc_no).replace("(", "〔").replace(")", "〕")


@pytest.mark.skipif(not FACTS.exists(), reason="shared facts not available")
def test_document_numbers_outside_the_facts_are_flagged_for_review(kb):
    facts = _normalise_doc_no(FACTS.read_text(encoding="utf-8"))
    unverified = [(e.id, s.doc_no) for e in kb.entries.values() for s in e.sources
                  if s.doc_no and _normalise_doc_no(s.doc_no) not in facts and not e.review]
    assert unverified == []


def test_entries_say_their_period_and_sources_when_rendered(kb):
    import datetime as dt

    for entry in kb.entries.values():
        text = kb.render(entry, dt.date(2026, 11, 23))
        assert "依据：" in text and "适用期间：" in text, entry.id


def test_each_entry_has_enough_question_variants(kb):
    thin = [e.id for e in kb.entries.values() if len(e.questions) < 5 and not e.id.startswith("imported-")]
    assert thin == []


def test_question_variants_retrieve_their_own_topic(kb):
    """Regression guard on retrieval: nearly every written variant leads back to its topic."""
    outcomes = Counter()
    for entry in kb.entries.values():
        for question in entry.questions:
            decision = kb.retriever.decide(question)
            if decision.kind == "answer":
                outcomes["right" if decision.best.entry.topic == entry.topic else "wrong"] += 1
            else:
                outcomes[decision.kind] += 1
    total = sum(outcomes.values())
    assert outcomes["right"] / total >= 0.85, outcomes
    assert outcomes["wrong"] / total <= 0.05, outcomes
