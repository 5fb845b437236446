"""怎么享受 / 如何申报 after a policy answer or reminder gives that policy's filing points (填报要点), not its general
answer again; a question of its own ("增值税申报表怎么填") is still answered for itself."""
import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import credit
from actions.credit import ActionReminderAnswer
from actions.router import ActionAnswerQuestion
from knowledge.base import get_knowledge_base
from tests.actions.conftest import customs, texts


def after(envelope: dict, text: str, intent: str, metadata: dict | None = None) -> Tracker:
    """A tracker whose latest bot message carried ``envelope``, then the user said ``text``."""
    events = [{"event": "user", "text": "之前的问题"},
              {"event": "bot", "text": "之前的回答", "data": {"custom": envelope}},
              {"event": "user", "text": text}]
    return Tracker("fp-user", {"fallback_count": 0, "entry_id": None},
                   {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [],
                    "metadata": metadata or {}}, events, False, None, {}, "action_listen")


def run(action, tracker) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher


def points_of(entry_id: str) -> str:
    return get_knowledge_base().get(entry_id).filing_points


def test_how_to_enjoy_after_a_vat_answer_gives_its_filing_points():
    entry = "vat-small-scale-exemption-threshold"
    dispatcher = run(ActionReminderAnswer(), after({"kind": "answer", "entry": entry}, "怎么享受", "reminder_how"))
    said = texts(dispatcher)
    assert said.startswith("填报要点") and points_of(entry) in said and "小微企业免税销售额" in said
    assert get_knowledge_base().get(entry).answer not in said  # not the general text again
    [envelope] = customs(dispatcher)
    assert envelope["kind"] == "answer" and envelope["entry"] == entry and envelope["section"] == "filing_points"


def test_how_to_file_after_another_policy_answer_is_that_policys_points():
    tracker = after({"kind": "answer", "entry": "cit-small-low-profit-calculation"}, "那如何申报呢", "ask_tax_question")
    dispatcher = run(ActionAnswerQuestion(), tracker)
    assert points_of("cit-small-low-profit-criteria") in texts(dispatcher)  # the topic's entry that has them
    assert customs(dispatcher)[0]["topic"] == "cit-small-low-profit"


def test_a_question_of_its_own_is_not_taken_for_a_follow_up():
    tracker = after({"kind": "answer", "entry": "vat-small-scale-exemption-threshold"}, "印花税申报表怎么填",
                    "ask_tax_question")
    said = texts(run(ActionAnswerQuestion(), tracker))
    assert not said.startswith("填报要点") and points_of("vat-small-scale-exemption-threshold") not in said


def test_the_how_answer_to_a_policy_reminder_gives_its_filing_points(monkeypatch):
    async def request(self, method, path, json=None, **kwargs):
        assert path == "/api/internal/reminders/answer" and json["answer"] == "reminder_how"
        return {"reminder_id": 7, "type": "policy", "answer": "how", "topic": "rd-super-deduction",
                "handoff": False, "repairs": [], "text": "以下是办理指引："}

    monkeypatch.setattr(credit.ApiClient, "request", request)
    tracker = Tracker("fp-user", {}, {"text": "怎么享受", "intent": {"name": "reminder_how", "confidence": 0.9},
                                      "entities": [{"entity": "reminder_id", "value": "7"}],
                                      "metadata": {"enterprise_grant": "grant"}}, [], False, None, {}, "action_listen")
    said = texts(run(ActionReminderAnswer(), tracker))
    assert "以下是办理指引" in said and points_of("rd-super-deduction-ratio") in said


def test_a_bare_how_from_a_visitor_with_nothing_before_it_is_not_answered_with_credit(monkeypatch):
    """"怎么操作" from a visitor, with nothing answered before: the API says login_required, and the bot must not
    answer with the credit-query entry (it once did); the evidence decides, as for any question."""
    from actions.api_client import ApiRejected
    from tests.actions.conftest import make_tracker

    async def request(self, method, path, json=None, **kwargs):
        raise ApiRejected(403, "请先登录电子税务局后再回复提醒", "login_required")

    monkeypatch.setattr(credit.ApiClient, "request", request)
    dispatcher = run(ActionReminderAnswer(), make_tracker("怎么操作", intent="reminder_how"))
    assert "credit-query" not in [c.get("topic") for c in customs(dispatcher)]
