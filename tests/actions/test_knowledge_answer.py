"""Actions answer from the knowledge base with envelopes, clarify, fall back and hand over honestly."""
import asyncio

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionSmalltalk
from actions.handoff import ActionHandoff
from actions.router import ActionAnswerQuestion, ActionFallback, ActionRefuse
from tests.actions.conftest import customs, make_tracker, texts


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher, events


def test_a_tax_question_gets_a_cited_answer_envelope():
    dispatcher, events = run(ActionAnswerQuestion(), make_tracker("小规模纳税人一个季度销售额28万，要交增值税吗"))
    [envelope] = customs(dispatcher)
    assert envelope["kind"] == "answer" and envelope["topic"] == "vat-small-scale-exemption"
    assert envelope["sources"] and envelope["valid_until"] == "2027-12-31"
    assert "依据：" in texts(dispatcher)
    assert SlotSet("fallback_count", 0) in events


def test_every_envelope_carries_what_the_nlu_understood_for_the_hub():
    dispatcher, _ = run(ActionAnswerQuestion(), make_tracker("增值税每个月几号之前要报完", confidence=0.8765432))
    stamped = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert stamped and all(c["nlu"] == {"intent": "ask_tax_question", "confidence": 0.8765} for c in stamped)
    dispatcher, _ = run(ActionRefuse(), make_tracker("怎么买发票", intent="request_illegal", confidence=0.99))
    assert [m["custom"]["nlu"]["intent"] for m in dispatcher.messages if m.get("custom")] == ["request_illegal"]


def test_a_clarify_button_answers_the_chosen_entry():
    tracker = make_tracker("/ask_tax_question",
                           entities=[{"entity": "entry_id", "value": "late-payment-surcharge-rate"}])
    from actions.knowledge_answer import get_knowledge_base

    entry_id = next(e.id for e in get_knowledge_base().entries.values() if e.topic == "late-payment-surcharge")
    tracker.latest_message["entities"][0]["value"] = entry_id
    dispatcher, _ = run(ActionAnswerQuestion(), tracker)
    assert customs(dispatcher)[0]["entry"] == entry_id


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "<script>alert(1)</script>"])
def test_empty_or_markup_only_text_asks_for_a_question_without_echo(text):
    dispatcher, _events = run(ActionAnswerQuestion(), make_tracker(text))
    assert customs(dispatcher) == [{"kind": "fallback", "reason": "empty"}]
    assert "<script>" not in texts(dispatcher)


def test_out_of_scope_falls_back_offering_a_person_12366_and_a_petition():
    dispatcher, events = run(ActionFallback(), make_tracker("今晚吃啥好", intent="out_of_scope", confidence=0.97))
    assert customs(dispatcher) == [{"kind": "fallback", "reason": "out_of_scope"}]
    reply = texts(dispatcher)
    assert "转人工" in reply and "12366" in reply and "诉求" in reply
    assert SlotSet("fallback_count", 1) in events


def test_second_failure_in_a_row_hands_over_and_says_nobody_is_online(api_down):
    tracker = make_tracker("嗯那个东西咋弄", intent="nlu_fallback", confidence=0.3, slots={"fallback_count": 1})
    dispatcher, _events = run(ActionFallback(), tracker)
    handoff = [c for c in customs(dispatcher) if c["kind"] == "handoff"]
    assert handoff == [{"kind": "handoff", "tier": "staff", "status": "offline", "position": None}]
    assert "12366" in texts(dispatcher)


def test_a_request_for_an_expert_asks_for_the_expert_tier(api_down):
    dispatcher, _ = run(ActionHandoff(), make_tracker("请专家帮忙看看", intent="request_expert"))
    assert customs(dispatcher)[0]["tier"] == "expert"


def test_unlawful_requests_are_refused_with_the_lawful_alternative():
    dispatcher, _ = run(ActionRefuse(), make_tracker("哪里能买发票", intent="request_illegal"))
    assert customs(dispatcher) == [{"kind": "refuse"}]
    assert "税收征收管理法" in texts(dispatcher) and "合法" in texts(dispatcher)


@pytest.mark.parametrize("intent", ["greet", "thank", "goodbye"])
def test_small_talk_carries_its_envelope(intent):
    dispatcher, _ = run(ActionSmalltalk(), make_tracker("你好", intent=intent))
    assert customs(dispatcher) == [{"kind": "smalltalk"}]


def test_an_unlawful_request_the_classifier_missed_is_still_refused():
    dispatcher, _ = run(ActionAnswerQuestion(), make_tracker("进项不够，哪里能买几张专票抵扣", confidence=0.9))
    assert customs(dispatcher) == [{"kind": "refuse"}]
    dispatcher, _ = run(ActionFallback(), make_tracker("老板让做两套账", intent="out_of_scope", confidence=0.9))
    assert customs(dispatcher) == [{"kind": "refuse"}]


def test_an_explicit_request_for_an_expert_the_classifier_missed_still_reaches_one(api_down):
    tracker = make_tracker("跨境服务的税务处理比较复杂，想找税务专家咨询一下", intent="nlu_fallback", confidence=0.4)
    dispatcher, _ = run(ActionFallback(), tracker)
    assert [c["tier"] for c in customs(dispatcher) if c["kind"] == "handoff"] == ["expert"]


def test_a_complaint_the_classifier_took_for_a_question_opens_the_petition_form():
    from rasa_sdk.events import FollowupAction

    tracker = make_tracker("窗口只开了两个，排队三个小时，建议多开几个窗口改进服务", intent="ask_tax_question",
                           confidence=0.7)
    dispatcher, events = run(ActionAnswerQuestion(), tracker)
    assert FollowupAction("petition_form") in events and "登记诉求" in texts(dispatcher)
    assert not [c for c in customs(dispatcher) if c["kind"] == "answer"]
