"""A conversation of more than 200 turns through the real Rasa (issue 17): Rasa keeps only its last turns
(bot/tracker_store.py), and a form in the middle and one running across turn 200 go through every step."""
import json
import urllib.request

from common.identifiers import make_uscc
from common.tokens import rasa_api_token
from tests.e2e.conftest import envelopes, kinds, say

QUESTIONS = ["小规模纳税人月销售额多少以下免征增值税", "增值税每个月几号之前要报完", "企业所得税汇算清缴什么时候结束",
             "小型微利企业所得税优惠怎么享受", "个人所得税专项附加扣除有哪些"]
USCC = make_uscc(3)
COMPLAINT = "我要投诉，办税服务厅排了三个小时的队，窗口工作人员态度很差"
DEMAND = "留抵退税申请交上去两个多月了一直没有结果，要求尽快办理。"  # another petition: the API files a repeat once
ANSWERED = {"answer", "clarify"}


def last_form(messages):
    forms = [c for c in envelopes(messages) if c["kind"] == "form"]
    return forms[-1] if forms else None


def file_petition(rasa_url: str, sender: str, complaint: str) -> dict:
    """The whole petition form, every step checked; the created petition's envelope."""
    assert last_form(say(rasa_url, complaint, sender=sender))["slot"] == "category"
    assert last_form(say(rasa_url, "是的", sender=sender))["slot"] == "taxpayer_name"
    assert last_form(say(rasa_url, "成都长对话商贸有限公司", sender=sender))["slot"] == "uscc"
    assert last_form(say(rasa_url, USCC, sender=sender))["slot"] == "contact_phone"
    confirm = last_form(say(rasa_url, "139 1234 5678", sender=sender))
    assert confirm["slot"] == "confirm"
    created = [c for c in envelopes(say(rasa_url, "确认提交", sender=sender)) if c["kind"] == "petition_created"]
    assert len(created) == 1, created
    return created[0]


def rasa_tracker(stack, sender: str) -> dict:
    request = urllib.request.Request(f"{stack.rasa}/conversations/{sender}/tracker?include_events=ALL",
                                     headers={"Authorization": f"Bearer {rasa_api_token(stack.env['RASA_JWT_SECRET'])}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_two_hundred_turns_keep_the_forms_whole_and_the_tracker_short(stack):
    sender = "e2e-long-conversation"
    turns = 0
    for n in range(100):
        assert ANSWERED & set(kinds(say(stack.rasa, QUESTIONS[n % len(QUESTIONS)], sender=sender))), n
        turns += 1
    first = file_petition(stack.rasa, sender, COMPLAINT)
    turns += 6
    for n in range(100):
        assert ANSWERED & set(kinds(say(stack.rasa, QUESTIONS[n % len(QUESTIONS)], sender=sender))), n
        turns += 1
    # a form that runs across turn 200: opened, half answered, then Rasa's stored tracker is looked at
    assert last_form(say(stack.rasa, DEMAND, sender=sender))["slot"] == "category"
    assert last_form(say(stack.rasa, "是的", sender=sender))["slot"] == "taxpayer_name"
    turns += 2
    tracker = rasa_tracker(stack, sender)
    assert tracker["active_loop"]["name"] == "petition_form" and tracker["slots"]["requested_slot"] == "taxpayer_name"
    users = [e for e in tracker["events"] if e["event"] == "user"]
    assert turns > 200 and len(users) <= 30, len(users)  # bounded, not every turn since the start
    assert "留抵退税" in tracker["slots"]["content"]  # taken from the message that opened the form

    assert last_form(say(stack.rasa, "成都长对话商贸有限公司", sender=sender))["slot"] == "uscc"
    assert last_form(say(stack.rasa, USCC, sender=sender))["slot"] == "contact_phone"
    assert last_form(say(stack.rasa, "139 1234 5678", sender=sender))["slot"] == "confirm"
    second = [c for c in envelopes(say(stack.rasa, "确认提交", sender=sender)) if c["kind"] == "petition_created"]
    assert len(second) == 1 and second[0]["ticket"] != first["ticket"]
    # and the bot still hands over on request after all that (the hub holds the hand-off itself)
    assert "handoff" in kinds(say(stack.rasa, "转人工", sender=sender))
