"""The loader refuses malformed knowledge loudly, naming the file and the entry."""
import datetime as dt

import pytest
import yaml

from knowledge.errors import KnowledgeValidationError
from knowledge.loader import load_entries, load_topics
from knowledge.models import Topic

TOPICS = {"vat-small-scale-exemption": Topic("vat-small-scale-exemption", "免征增值税")}


def good_entry(**changes):
    entry = {
        "id": "vat-test-entry", "topic": "vat-small-scale-exemption", "title": "小规模纳税人免征增值税",
        "answer": "月销售额10万元以下免征增值税。",
        "sources": [{"title": "公告", "doc_no": "财政部 税务总局公告2023年第19号"}],
        "valid_from": "2023-01-01", "valid_until": "2027-12-31", "review": False, "questions": ["小规模免税标准"],
    }
    entry.update(changes)
    return entry


def write(tmp_path, *entries, name="a.yml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"entries": list(entries)}, allow_unicode=True), encoding="utf-8")
    return path


def test_a_valid_entry_loads_with_dates_and_sources(tmp_path):
    [entry] = load_entries([write(tmp_path, good_entry())], TOPICS)
    assert entry.valid_until == dt.date(2027, 12, 31)
    assert entry.sources[0].doc_no == "财政部 税务总局公告2023年第19号"
    assert entry.is_current(dt.date(2026, 11, 23)) and entry.is_expired(dt.date(2028, 1, 1))


@pytest.mark.parametrize("change, message", [
    ({"topic": "no-such-topic"}, "unknown topic"),
    ({"sources": []}, "at least one source"),
    ({"sources": [{"doc_no": "x"}]}, "needs a title"),
    ({"valid_until": "2020-01-01"}, "before valid_from"),
    ({"valid_from": "2023-02-30"}, "not a YYYY-MM-DD date"),
    ({"valid_from": "1066-01-01"}, "outside"),
    ({"questions": []}, "questions"),
    ({"review": "yes"}, "review must be true or false"),
    ({"id": "Bad ID"}, "lowercase"),
    ({"answer": "  "}, "answer must be non-empty"),
    ({"review": True, "review_reason": " "}, "review_reason must be non-empty"),
    ({"review_reason": "待核对"}, "review is false"),
])
def test_a_defective_entry_is_refused_with_a_reason(tmp_path, change, message):
    with pytest.raises(KnowledgeValidationError, match=message):
        load_entries([write(tmp_path, good_entry(**change))], TOPICS)


def test_a_review_reason_is_kept_for_the_editor_not_the_user(tmp_path):
    [entry] = load_entries([write(tmp_path, good_entry(review=True, review_reason="起征点金额待核对"))], TOPICS)
    assert entry.review and entry.review_reason == "起征点金额待核对"
    [plain] = load_entries([write(tmp_path, good_entry(), name="b.yml")], TOPICS)
    assert plain.review_reason == ""


def test_a_missing_field_is_named(tmp_path):
    entry = good_entry()
    del entry["valid_until"]
    with pytest.raises(KnowledgeValidationError, match="missing valid_until"):
        load_entries([write(tmp_path, entry)], TOPICS)


def test_duplicate_ids_across_files_are_refused(tmp_path):
    first, second = write(tmp_path, good_entry(), name="a.yml"), write(tmp_path, good_entry(), name="b.yml")
    with pytest.raises(KnowledgeValidationError, match="already used"):
        load_entries([first, second], TOPICS)


def test_broken_yaml_names_the_file(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("entries: [ {id: x", encoding="utf-8")
    with pytest.raises(KnowledgeValidationError, match=r"broken\.yml: invalid YAML"):
        load_entries([path], TOPICS)


def test_topics_file_needs_ids_and_titles(tmp_path):
    path = tmp_path / "topics.yml"
    path.write_text("topics:\n  - {id: a}\n", encoding="utf-8")
    with pytest.raises(KnowledgeValidationError, match="id and a title"):
        load_topics(path)
