"""The petition form checks each answer, can be cancelled, and never claims a registration the API did not make."""
import asyncio

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.petition import ActionAskUscc, ActionPetitionSubmit, ValidatePetitionForm, idempotency_key
from actions.router import ActionPetitionStart
from common.identifiers import make_uscc
from tests.actions.conftest import customs, texts

DOMAIN = {"forms": {"petition_form": {"required_slots": ["content", "category", "taxpayer_name", "uscc",
                                                         "contact_phone", "confirm"]}}}
FILLED = {"content": "电子税务局申报时一直报系统错误", "category": "信息化建设类", "taxpayer_name": "某某商贸有限公司",
          "uscc": "未提供", "contact_phone": "13912345678", "confirm": True}


def form_tracker(text, requested, slots=None, intent="inform"):
    return Tracker("form-user", {"requested_slot": requested, **(slots or {})},
                   {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], "metadata": {}},
                   [], False, None, {"name": "petition_form"}, "action_listen")


def validate(text, requested, slots=None):
    tracker = form_tracker(text, requested, {requested: text, **(slots or {})})
    tracker.slots_to_validate = lambda: {requested: text}
    events = asyncio.run(ValidatePetitionForm().run(CollectingDispatcher(), tracker, DOMAIN))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_a_valid_uscc_is_kept_and_a_wrong_check_digit_is_refused_with_a_reason():
    code = make_uscc(3)
    assert validate(code, "uscc")["uscc"] == code
    refused = validate(code[:-1] + ("0" if code[-1] != "0" else "1"), "uscc")
    assert refused["uscc"] is None and "校验未通过" in refused["form_error"]


def test_uscc_may_be_skipped():
    assert validate("无", "uscc")["uscc"] == "未提供"


def test_phone_numbers_are_validated_and_normalised():
    assert validate("139 1234 5678", "contact_phone")["contact_phone"] == "13912345678"
    assert "格式不正确" in validate("12366", "contact_phone")["form_error"]


def test_the_suggested_category_is_accepted_with_yes_or_replaced_by_the_users_choice():
    assert validate("是的", "category", {"suggested_category": "执法规范类"})["category"] == "执法规范类"
    assert validate("3", "category", {"suggested_category": "执法规范类"})["category"] == "纳税服务类"
    assert validate("信息化", "category")["category"] == "信息化建设类"
    assert validate("不知道", "category")["category"] is None


def test_cancel_at_any_question_ends_the_form():
    events = validate("取消", "taxpayer_name")
    assert events == {"petition_cancelled": True, "requested_slot": None}


def test_saying_it_is_wrong_at_confirmation_starts_over():
    events = validate("不对，要修改", "confirm", FILLED)
    assert events["content"] is None and events["contact_phone"] is None


def test_a_refused_value_is_reported_in_the_form_envelope():
    tracker = form_tracker("x", "uscc", {"form_error": "这个统一社会信用代码校验未通过"})
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAskUscc().run(dispatcher, tracker, {}))
    assert customs(dispatcher) == [{"kind": "form", "form": "petition_form", "slot": "uscc",
                                   "error": "这个统一社会信用代码校验未通过"}]


def test_a_demand_told_up_front_becomes_the_content():
    tracker = form_tracker("电子税务局这几天一直卡，申报总是报系统错误，请尽快修复", None, intent="file_petition")
    events = asyncio.run(ActionPetitionStart().run(CollectingDispatcher(), tracker, {}))
    assert SlotSet("suggested_category", "信息化建设类") in events
    assert any(e == SlotSet("content", "电子税务局这几天一直卡,申报总是报系统错误,请尽快修复") for e in events)


def test_when_the_api_is_away_nothing_is_claimed_and_the_answers_are_kept(api_down):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionPetitionSubmit().run(dispatcher, form_tracker("确认", None, FILLED), {}))
    assert customs(dispatcher) == [{"kind": "fallback", "reason": "petition_unavailable"}]
    assert "还没有登记成功" in texts(dispatcher)
    assert events == [SlotSet("petition_pending", True)]


def test_a_cancelled_form_registers_nothing():
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionPetitionSubmit().run(dispatcher, form_tracker("取消", None, {"petition_cancelled": True}), {}))
    assert customs(dispatcher) == [{"kind": "form_cancelled", "form": "petition_form"}]


def test_the_same_demand_in_the_same_conversation_has_the_same_key():
    assert idempotency_key("a", "内容 ") == idempotency_key("a", "内容")
    assert idempotency_key("a", "内容") != idempotency_key("b", "内容")


def test_the_category_and_the_confirmation_are_offered_as_buttons_that_the_form_accepts():
    from actions.petition import ActionAskCategory, ActionAskConfirm
    from common.petitions import CATEGORIES

    dispatcher = CollectingDispatcher()
    tracker = form_tracker("x", "category", {"suggested_category": "执法规范类"})
    asyncio.run(ActionAskCategory().run(dispatcher, tracker, {}))
    buttons = next(m["buttons"] for m in dispatcher.messages if m.get("buttons"))
    assert [b["title"] for b in buttons] == ["执法规范类"] + [c for c in CATEGORIES if c != "执法规范类"]
    for button in buttons:  # a tap sends the words, read as if typed
        chosen = validate(button["payload"], "category", {"suggested_category": "执法规范类"})["category"]
        assert chosen == button["title"]

    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAskConfirm().run(dispatcher, form_tracker("x", "confirm", FILLED), {}))
    confirm = next(m["buttons"] for m in dispatcher.messages if m.get("buttons"))
    assert [b["title"] for b in confirm] == ["确认提交", "修改", "取消"]
    assert validate("确认提交", "confirm", FILLED)["confirm"] is True
    assert validate("修改", "confirm", FILLED)["content"] is None
    assert validate("取消", "confirm", FILLED) == {"petition_cancelled": True, "requested_slot": None}
