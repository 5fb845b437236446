"""An external FAQ corpus becomes review-flagged entries that show their publication date."""
import datetime as dt
import json
import shutil

import pytest

from knowledge import load_knowledge_base
from knowledge.errors import ImportFormatError
from knowledge.importer import import_corpus, main
from knowledge.loader import KNOWLEDGE_DIR

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def knowledge_copy(tmp_path):
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, root, ignore=shutil.ignore_patterns("imported", "__pycache__", "*.py"))
    return root


def test_csv_corpus_is_imported_flagged_for_review_with_its_date(tmp_path, knowledge_copy):
    corpus = tmp_path / "faq.csv"
    corpus.write_text(
        "question,answer,date,source\n"
        "出口退税备案需要哪些资料？,请准备出口退（免）税备案表及相关资料，通过电子税务局提交。,2024/5/6,某省12366问答库\n",
        encoding="utf-8")
    target = import_corpus(corpus, "bureau-faq", root=knowledge_copy)
    kb = load_knowledge_base(knowledge_copy)
    entry = kb.get("imported-bureau-faq-0001")
    assert target.exists() and entry.review and entry.published == dt.date(2024, 5, 6)
    assert entry.sources[0].doc_no is None
    text = kb.render(entry, TODAY)
    assert "发布日期：2024年5月6日" in text and "尚待税务机关复核" in text
    decision = kb.decide("出口退税备案要准备什么资料", TODAY)
    assert decision.kind == "answer" and decision.best.entry.id == "imported-bureau-faq-0001"


def test_jsonl_rows_keep_a_known_topic_and_merge_duplicate_questions(tmp_path, knowledge_copy):
    row = {"question": "个体户怎么申报经营所得？", "answer": "按季预缴，次年3月31日前汇算。", "date": "2025年1月2日",
           "source": "12366知识库", "topic": "iit-individual-business-halving"}
    corpus = tmp_path / "faq.jsonl"
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (row, row)), encoding="utf-8")
    import_corpus(corpus, "jsonl-faq", root=knowledge_copy)
    entries = load_knowledge_base(knowledge_copy).entries.values()
    imported = [e for e in entries if e.id.startswith("imported-jsonl-faq")]
    assert len(imported) == 1 and imported[0].topic == "iit-individual-business-halving"


@pytest.mark.parametrize("content, suffix, message", [
    ("question,answer,date\n问,答,2024-01-01\n", ".csv", "missing source"),
    ("question,answer,date,source\n问,答,昨天,来源\n", ".csv", "not like"),
    ("question,answer,date,source\n问,答,2024-02-30,来源\n", ".csv", "does not exist"),
    ('{"question": "问"\n', ".jsonl", "not valid JSON"),
    ("anything", ".xlsx", "unsupported format"),
])
def test_bad_corpus_rows_are_refused_with_the_row(tmp_path, knowledge_copy, content, suffix, message):
    corpus = tmp_path / f"faq{suffix}"
    corpus.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFormatError, match=message):
        import_corpus(corpus, "bad", root=knowledge_copy)
    assert not (knowledge_copy / "imported" / "bad.yml").exists()


def test_command_line_reports_failure_without_a_traceback(tmp_path, capsys):
    corpus = tmp_path / "faq.csv"
    corpus.write_text("question\n问\n", encoding="utf-8")
    assert main([str(corpus), "--name", "cli"]) == 2
    assert "import failed" in capsys.readouterr().err
