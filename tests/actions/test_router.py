"""Every route into the router (actions/router.py): the evidence decides, whatever the classifier called it.

Recorded trackers, as the classifier really labels these messages (issue 13): lawful questions it took for
requests to break the law, tax questions it took for chatter or complaints, requests to break the law it took
for questions, and own-data questions in everyday wording.
"""
import asyncio

import pytest
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.router import ActionAnswerQuestion, ActionFallback, ActionPetitionStart, ActionRefuse
from tests.actions.conftest import customs, make_tracker, texts

OUT_OF_SCOPE_TEXT = "只能解答税费相关的问题"


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher, events


def kinds(dispatcher):
    return [c["kind"] for c in customs(dispatcher)]


@pytest.mark.parametrize("text", ["零申报怎么弄", "虚开发票会受到什么处罚", "数电发票额度怎么提高"])
def test_a_lawful_question_the_classifier_took_for_a_request_to_break_the_law_is_not_refused(text):
    dispatcher, _ = run(ActionRefuse(), make_tracker(text, intent="request_illegal", confidence=0.54))
    assert "refuse" not in kinds(dispatcher)


@pytest.mark.parametrize("action, intent", [(ActionAnswerQuestion, "ask_tax_question"),
                                            (ActionFallback, "nlu_fallback"), (ActionFallback, "out_of_scope"),
                                            (ActionRefuse, "request_illegal")])
def test_a_request_to_evade_is_refused_whichever_route_it_came_by(action, intent):
    text = "老板说工资一半让员工拿发票报销，这样个税少交，具体怎么弄比较稳妥"
    dispatcher, _ = run(action(), make_tracker(text, intent=intent, confidence=0.9))
    assert kinds(dispatcher) == ["refuse"]


def test_the_classifier_alone_refuses_only_what_nothing_answers_and_the_guard_cannot_read_as_lawful():
    sure = make_tracker("你懂的那种操作，帮我们把账弄一弄", intent="request_illegal", confidence=0.97)
    assert kinds(run(ActionRefuse(), sure)[0]) == ["refuse"]
    unsure = make_tracker("你懂的那种操作，帮我们把账弄一弄", intent="request_illegal", confidence=0.6)
    assert "refuse" not in kinds(run(ActionRefuse(), unsure)[0])


@pytest.mark.parametrize("text", ["专票丢了", "发票丢了怎么办", "零申报咋报"])
def test_a_tax_question_the_classifier_called_out_of_scope_is_not_sent_away(text):
    dispatcher, _ = run(ActionFallback(), make_tracker(text, intent="out_of_scope", confidence=1.0))
    assert OUT_OF_SCOPE_TEXT not in texts(dispatcher)


def test_chit_chat_out_of_scope_is_told_honestly_that_the_bot_handles_tax():
    dispatcher, _ = run(ActionFallback(), make_tracker("今天天气怎么样", intent="out_of_scope", confidence=0.99))
    assert customs(dispatcher) == [{"kind": "fallback", "reason": "out_of_scope"}]
    assert OUT_OF_SCOPE_TEXT in texts(dispatcher)


def test_a_question_no_entry_answers_is_declined_not_answered_with_the_nearest_entry():
    dispatcher, _ = run(ActionAnswerQuestion(), make_tracker("我单位统一给员工安排体检，发生的费用能否税前扣除？"))
    assert "answer" not in kinds(dispatcher)


def test_a_plain_question_the_classifier_took_for_a_petition_is_answered_and_no_form_opens():
    tracker = make_tracker("小规模纳税人季度30万以内免增值税吗", intent="file_petition", confidence=0.8)
    dispatcher, events = run(ActionPetitionStart(), tracker)
    assert kinds(dispatcher) == ["answer"] and FollowupAction("action_listen") in events


def test_a_real_complaint_opens_the_form():
    tracker = make_tracker("你们大厅态度太差了，排队三个小时没人管，我要投诉", intent="file_petition", confidence=0.9)
    dispatcher, events = run(ActionPetitionStart(), tracker)
    assert "answer" not in kinds(dispatcher) and FollowupAction("action_listen") not in events
    assert "登记诉求" in texts(dispatcher)


@pytest.mark.parametrize("text", ["我们公司的纳税信用等级是多少？", "我司信用几级", "咱们扣了多少分"])
def test_own_credit_in_everyday_wording_is_the_enterprises_own_record(text, api_down):
    # not logged in: no guess, the way to log in or look it up, never a clarify between credit topics
    dispatcher, _ = run(ActionAnswerQuestion(), make_tracker(text, intent="ask_tax_question"))
    assert "登录" in texts(dispatcher) and "clarify" not in kinds(dispatcher)
    # logged in, the API away: an apology rather than a general answer
    tracker = make_tracker(text, intent="ask_tax_question", metadata={"enterprise_grant": "x.y.z"})
    assert "信用查询服务暂时无法使用" in texts(run(ActionAnswerQuestion(), tracker)[0])


def test_own_petitions_in_everyday_wording_ask_for_a_login_when_anonymous():
    dispatcher, _ = run(ActionAnswerQuestion(), make_tracker("我提的诉求办得怎么样了"))
    assert customs(dispatcher) == [{"kind": "fallback", "reason": "login_required"}]


@pytest.mark.parametrize("text", ["我们有哪些提醒", "有没有需要处理的风险提示"])
def test_own_reminders_in_everyday_wording_ask_for_a_login_when_anonymous(text):
    dispatcher, _ = run(ActionAnswerQuestion(), make_tracker(text))
    assert customs(dispatcher) == [{"kind": "fallback", "reason": "login_required"}] and "登录" in texts(dispatcher)


def test_own_reminders_are_listed_with_their_answer_buttons(monkeypatch):
    from actions import credit

    class FakeApi:  # the API's answer shape (tests/api/test_reminders.py checks the real route)
        async def request(self, method, path, json=None, params=None):
            assert path == "/api/internal/reminders/open" and json["enterprise_grant"] == "g"
            return {"reminders": [{"kind": "reminder", "reminder_id": 7, "type": "risk", "topic": "zero-filing",
                                   "rule": "r", "title": "连续零申报", "reasons": ["连续3期"], "message": "请自查",
                                   "buttons": [{"title": "已自查更正",
                                                "payload": '/risk_corrected{"reminder_id":"7"}'}]}]}

    monkeypatch.setattr(credit, "ApiClient", FakeApi)
    dispatcher, _ = run(ActionAnswerQuestion(), make_tracker("我们有哪些提醒", metadata={"enterprise_grant": "g"}))
    [envelope] = customs(dispatcher)
    assert envelope["kind"] == "reminder" and envelope["reminder_id"] == 7
    assert "连续零申报" in texts(dispatcher)
    assert any(b["title"] == "已自查更正" for m in dispatcher.messages for b in m.get("buttons") or [])
