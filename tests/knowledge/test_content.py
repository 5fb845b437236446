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
    topics = yaml.safe_load(source.read_text(encoding="utf-8"))["topics"]
    return [t["id"] for t in topics if t["id"] != "imported-other"]


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


@pytest.mark.skipif(not FACTS.exists(), reason="shared facts not available")
def test_review_on_documents_all_in_the_facts_says_what_is_unverified(kb):
    """The reverse of the check above: when every document an entry cites is in facts.md, a review flag must
    name what is still unverified (review_reason); otherwise the flag only adds a "please confirm" line."""
    facts = _normalise_doc_no(FACTS.read_text(encoding="utf-8"))
    unexplained = [e.id for e in kb.entries.values()
                   if e.review and not e.review_reason and not e.id.startswith("imported-")
                   and all(s.doc_no is None or _normalise_doc_no(s.doc_no) in facts for s in e.sources)]
    assert unexplained == []


def test_answers_do_not_repeat_the_review_note(kb):
    """render() adds the confirm-with-12366 note from the flag; an answer never carries its own."""
    repeating = [e.id for e in kb.entries.values() if "12366" in e.answer and "确认" in e.answer]
    assert repeating == []


def test_answers_fit_a_phone_screen(kb):
    sizes = {e.id: len(e.answer) for e in kb.entries.values() if not e.id.startswith("imported-")}
    assert {i: n for i, n in sizes.items() if not 80 <= n <= 350} == {}


def test_no_current_entry_rests_on_the_repealed_credit_documents(kb):
    """Since 2025-07-01 credit follows 国家税务总局公告2025年第12号; the four documents it replaced are history."""
    repealed = ("2014年第40号", "2018年第8号", "2019年第37号", "2021年第31号")
    citing = [(e.id, s.doc_no) for e in kb.entries.values() for s in e.sources
              if s.doc_no and any(r in s.doc_no for r in repealed)]
    assert citing == []


def test_project_topics_keep_the_shared_ids():
    ours = [t["id"] for t in yaml.safe_load(TOPICS.read_text(encoding="utf-8"))["topics"]]
    assert set(shared_topic_ids()) <= set(ours)
    assert len(ours) == len(set(ours))
