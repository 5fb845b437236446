"""The bot's knowledge base follows its files: an approved change is answered without a restart, and a
broken file never takes the bot down (it keeps answering from the last valid version)."""
import datetime as dt
import shutil

import pytest
import yaml

from knowledge import base
from knowledge.base import get_knowledge_base, knowledge_root

TODAY = dt.date(2026, 11, 23)
WORDING = "迟了七天缴税额外的费用如何计算"  # late-payment surcharge, in words the entries do not use


@pytest.fixture
def root(tmp_path, monkeypatch):
    copy = tmp_path / "knowledge"
    shutil.copytree(base.KNOWLEDGE_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__", "rules"))
    monkeypatch.setattr(base, "RELOAD_CHECK_SECONDS", 0.0)  # check the files on every call
    return copy


def _add_question(root, entry_id: str, question: str) -> None:
    """Add a question variant to the entry's file, as an approved improvement does (here without the service's
    writer, so the test runs in both runtimes)."""
    for path in sorted((root / "content").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in data.get("entries", []):
            if entry["id"] == entry_id:
                entry["questions"].append(question)
                path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
                return
    raise AssertionError(f"no entry {entry_id}")


def test_a_new_question_variant_is_answered_without_a_restart(root):
    first = get_knowledge_base(root)
    assert first.decide(WORDING, TODAY, strict=True).kind != "answer"
    assert get_knowledge_base(root) is first  # unchanged files: the same object, nothing rebuilt

    _add_question(root, "late-payment-surcharge-calculation", WORDING)
    reloaded = get_knowledge_base(root)
    assert reloaded is not first
    decision = reloaded.decide(WORDING, TODAY, strict=True)
    assert decision.kind == "answer" and decision.best.entry.id == "late-payment-surcharge-calculation"


def test_a_broken_file_keeps_the_last_valid_version(root, caplog):
    first = get_knowledge_base(root)
    (root / "content" / "filing.yml").write_text("entries: [ this is : not valid", encoding="utf-8")
    assert get_knowledge_base(root) is first
    assert "no longer validates" in caplog.text
    assert get_knowledge_base(root).decide("滞纳金按每天多少收", TODAY).kind == "answer"


def test_knowledge_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("KNOWLEDGE_DIR", raising=False)
    assert knowledge_root() == base.KNOWLEDGE_DIR.resolve()
    monkeypatch.setenv("KNOWLEDGE_DIR", str(tmp_path))
    assert knowledge_root() == tmp_path.resolve()
