"""The rule files cite honestly: document numbers outside shared facts.md only with review: true."""
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "knowledge" / "rules"
SHARED = ROOT.parent / "shared" / "knowledge"
FACTS = SHARED / "facts.md"


def _normalise_doc_no(doc_no):
    # As tests/knowledge/test_content.py: spaces and bracket styles do not make a different document.
    return re.sub(r"\s+", "", doc_no).replace("(", "〔").replace(")", "〕")


def raw_rules():
    for path in sorted(RULES.glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            yield path.name, rule


def test_there_are_rule_files():
    assert {name for name, _ in raw_rules()} == {"policies.yml", "risks.yml", "credit.yml"}


@pytest.mark.skipif(not FACTS.exists(), reason="shared facts not available")
def test_document_numbers_outside_the_facts_are_flagged_for_review():
    facts = _normalise_doc_no(FACTS.read_text(encoding="utf-8"))
    unverified = [(name, rule["id"], source["doc_no"]) for name, rule in raw_rules() for source in rule["sources"]
                  if source.get("doc_no") and _normalise_doc_no(source["doc_no"]) not in facts and not rule["review"]]
    assert unverified == []


@pytest.mark.skipif(not (SHARED / "topics.yml").exists(), reason="shared topics not available")
def test_topics_are_shared_topic_ids():
    shared = {t["id"] for t in yaml.safe_load((SHARED / "topics.yml").read_text(encoding="utf-8"))["topics"]}
    assert {rule["topic"] for _, rule in raw_rules()} - shared == set()


def test_review_flagged_rules_tell_the_reviewer_what_to_check():
    unexplained = [(name, rule["id"]) for name, rule in raw_rules() if rule["review"] and not rule.get("note")]
    assert unexplained == []
