"""Retrieval decides between answering, asking which entry was meant, and admitting nothing fits."""
import datetime as dt

import pytest

from knowledge import Entry, KnowledgeBase, Source, Topic, load_knowledge_base
from knowledge.analysis import Analyzer

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


def make_entry(entry_id, topic, title, questions, valid_until=None, valid_from=dt.date(2020, 1, 1)):
    return Entry(entry_id, topic, title, f"{title}的答复。", (Source("测试文件", None),), valid_from, valid_until,
                 False, tuple(questions))


def test_analyzer_normalises_width_script_and_synonyms():
    analyzer = Analyzer()
    assert "小规模纳税人" in analyzer.terms("我們是小規模，１０萬以下免稅嗎")
    assert "数电发票" in analyzer.terms("全电票怎么开")
    assert analyzer.terms("<script>alert('x')</script>") == []


@pytest.mark.parametrize("question, topic", [
    ("小规模纳税人季度销售额不到30万要交增值税吗", "vat-small-scale-exemption"),
    ("滞纳金按每天多少收", "late-payment-surcharge"),
    ("电子税务局密码忘了", "e-tax-bureau-login"),
])
def test_plain_questions_are_answered_with_their_topic(kb, question, topic):
    decision = kb.decide(question, TODAY)
    assert decision.kind == "answer" and decision.best.entry.topic == topic


@pytest.mark.parametrize("question", ["今天天气怎么样", "推荐一家火锅店", "帮我写首诗", "", "？？？", "<b></b>"])
def test_off_topic_or_empty_text_is_not_answered(kb, question):
    assert kb.decide(question, TODAY).kind == "none"


def test_answer_text_cites_document_and_period(kb):
    decision = kb.decide("小规模纳税人月销售额10万以下免征增值税吗", TODAY)
    text = kb.render(decision.best.entry, TODAY)
    assert "财政部 税务总局公告2023年第19号" in text and "2027年12月31日" in text


def test_an_expired_entry_is_never_presented_as_current():
    old = make_entry("old-rule", "t", "旧的减免政策", ["旧政策减免怎么享受"], valid_until=dt.date(2022, 12, 31))
    kb = KnowledgeBase({"t": Topic("t", "t")}, [old])
    text = kb.render(old, TODAY)
    assert text.startswith("请注意：以下规定已于2022年12月31日到期")
    assert kb.envelope(old, TODAY)["current"] is False


def test_a_current_entry_of_the_topic_replaces_an_expired_one():
    old = make_entry("rule-2022", "t", "减免政策2022", ["减免政策怎么享受", "减免政策条件"],
                     valid_until=dt.date(2022, 12, 31))
    new = make_entry("rule-2027", "t", "减免政策", ["减免政策如何享受"], valid_until=dt.date(2027, 12, 31))
    kb = KnowledgeBase({"t": Topic("t", "t")}, [old, new])
    decision = kb.decide("减免政策怎么享受", TODAY)
    assert decision.kind == "answer" and decision.best.entry.id == "rule-2027"


def test_two_equally_close_topics_lead_to_a_clarifying_question():
    first = make_entry("stamp", "a", "合同申报", ["合同怎么申报"])
    second = make_entry("house", "b", "房屋申报", ["房屋怎么申报"])
    kb = KnowledgeBase({"a": Topic("a", "a"), "b": Topic("b", "b")}, [first, second])
    decision = kb.decide("合同和房屋怎么申报", TODAY)
    assert decision.kind == "clarify"
    assert {c.entry.topic for c in decision.candidates} == {"a", "b"}
