"""Filing a petition in the chat, through Rasa, the action server and the API with its database."""
import re

from common.identifiers import make_uscc
from tests.e2e.conftest import envelopes, say


def last_form(messages):
    forms = [c for c in envelopes(messages) if c["kind"] == "form"]
    return forms[-1] if forms else None


def test_a_complaint_is_registered_with_a_ticket_and_a_working_day_deadline(rasa_url):
    sender = "e2e-petition"
    messages = say(rasa_url, "我要投诉，办税服务厅排了三个小时的队，窗口工作人员态度很差", sender=sender)
    assert last_form(messages)["slot"] == "category"
    assert last_form(say(rasa_url, "是的", sender=sender))["slot"] == "taxpayer_name"
    assert last_form(say(rasa_url, "成都某某商贸有限公司", sender=sender))["slot"] == "uscc"
    code = make_uscc(1)
    wrong_check_digit = code[:-1] + ("1" if code[-1] != "1" else "2")
    refused = last_form(say(rasa_url, wrong_check_digit, sender=sender))
    assert refused["slot"] == "uscc" and "校验" in refused["error"]
    assert last_form(say(rasa_url, code, sender=sender))["slot"] == "contact_phone"
    assert last_form(say(rasa_url, "12366", sender=sender))["error"]
    assert last_form(say(rasa_url, "139 1234 5678", sender=sender))["slot"] == "confirm"
    created = [c for c in envelopes(say(rasa_url, "确认提交", sender=sender)) if c["kind"] == "petition_created"]
    assert len(created) == 1
    ticket = created[0]["ticket"]
    assert re.fullmatch(r"SQ-\d{8}-\d{4}", ticket) and created[0]["category"] == "纳税服务类"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", created[0]["due_date"])

    reply = say(rasa_url, f"查一下{ticket}的进度，电话13912345678", sender="e2e-other")
    status = [c for c in envelopes(reply) if c["kind"] == "petition_status"]
    assert status and status[0]["ticket"] == ticket, reply


def test_the_form_can_be_cancelled_and_nothing_is_registered(rasa_url):
    sender = "e2e-cancel"
    assert last_form(say(rasa_url, "我想反映个问题", sender=sender))["slot"] == "content"
    kinds = [c["kind"] for c in envelopes(say(rasa_url, "取消", sender=sender))]
    assert kinds == ["form_cancelled"]


def test_an_implicit_complaint_opens_the_form_with_the_demand_already_taken(rasa_url):
    messages = say(rasa_url, "留抵退税申请交上去两个多月了一直没有结果，要求尽快办理。", sender="e2e-implicit")
    form = last_form(messages)
    assert form and form["slot"] == "category"
    assert "政策落实类" in "".join(m.get("text", "") for m in messages)
