"""Answering from the knowledge base: answer, clarify between close entries, or fall back honestly."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import envelopes
from actions.base import TaxAction, reply, today_in_china, user_text
from actions.conversation import refuse
from actions.handoff import requested_seat, start_handoff
from actions.petition import start_petition
from common.petitions import looks_like_petition
from common.safety import looks_unlawful
from common.textnorm import is_meaningless
from knowledge import Decision, Entry, KnowledgeBase
from knowledge.base import get_knowledge_base

__all__ = ["ActionAnswerQuestion", "ActionFallback", "get_knowledge_base", "answer_entry"]

CONFIDENT_INTENT = 0.6  # below this the NLU doubts it is a tax question: retrieval must be surer
CONFIDENT_OUT_OF_SCOPE = 0.75
FAILURES_BEFORE_HANDOFF = 2

FALLBACK_TEXT = {
    "empty": "您好像还没有输入内容。请直接告诉我您想咨询的税费问题，例如“小规模纳税人免征增值税的标准是多少”。",
    "out_of_scope": "抱歉，我是办税助手，只能解答税费相关的问题，这个问题我帮不上忙。",
    "no_answer": "抱歉，这个问题我暂时没有把握准确回答。",
}
FALLBACK_OFFER = "您可以：\n1. 换个说法再问我一次；\n2. 回复“转人工”由税务人员为您解答；\n3. 拨打12366纳税缴费服务热线；\n4. 回复“我要提诉求”登记您的诉求或意见。"
FALLBACK_BUTTONS = [
    {"title": "转人工", "payload": "/request_human"},
    {"title": "登记诉求", "payload": "/file_petition"},
]


def answer_entry(dispatcher: CollectingDispatcher, kb: KnowledgeBase, entry: Entry) -> list:
    today = today_in_china()
    reply(dispatcher, kb.render(entry, today), kb.envelope(entry, today))
    return [SlotSet("fallback_count", 0), SlotSet("entry_id", None)]


def _clarify(dispatcher: CollectingDispatcher, decision: Decision) -> list:
    entries = [c.entry for c in decision.candidates]
    buttons = [{"title": e.title, "payload": f'/ask_tax_question{{"entry_id": "{e.id}"}}'} for e in entries]
    options = [{"topic": e.topic, "title": e.title, "entry": e.id} for e in entries]
    text = "您的问题可能涉及以下几个方面，请选择最接近的一项（也可以补充说明具体情况）："
    reply(dispatcher, text, envelopes.clarify(options), buttons)
    return [SlotSet("fallback_count", 0)]


async def _fall_back(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list:
    failures = int(tracker.get_slot("fallback_count") or 0) + 1
    if reason != "empty" and failures >= FAILURES_BEFORE_HANDOFF:
        dispatcher.utter_message(text="我连续两次没能帮您解决问题，正在为您转接人工坐席。")
        return await start_handoff(dispatcher, tracker, "staff", reason="bot_failed_twice")
    reply(dispatcher, f"{FALLBACK_TEXT[reason]}\n{FALLBACK_OFFER}", envelopes.fallback(reason), FALLBACK_BUTTONS)
    return [SlotSet("fallback_count", failures)]


async def respond(dispatcher: CollectingDispatcher, tracker: Tracker, strict: bool, reason: str) -> list:
    """Answer or clarify when the knowledge base is sure enough; otherwise fall back with `reason`."""
    text = user_text(tracker)
    if is_meaningless(text):
        return await _fall_back(dispatcher, tracker, "empty")
    if looks_unlawful(text):  # the safety net under the request_illegal intent
        return refuse(dispatcher)
    seat = requested_seat(text)  # an explicit request for a person is never answered by the bot
    if seat:
        return await start_handoff(dispatcher, tracker, seat, reason="user_request")
    if looks_like_petition(text):  # a complaint or demand to act on, not a question: register it
        return start_petition(dispatcher, tracker)
    kb = get_knowledge_base()
    decision = kb.decide(text, today_in_china(), strict=strict)
    if decision.kind == "answer":
        return answer_entry(dispatcher, kb, decision.best.entry)
    if decision.kind == "clarify":
        return _clarify(dispatcher, decision)
    return await _fall_back(dispatcher, tracker, reason)


class ActionAnswerQuestion(TaxAction):
    """The intent says tax question: answer the chosen entry (a clarify button) or retrieve one."""

    action_name = "action_answer_question"

    async def act(self, dispatcher, tracker, domain):
        kb = get_knowledge_base()
        chosen = next((e["value"] for e in tracker.latest_message.get("entities", []) if e.get("entity") == "entry_id"), None)
        if chosen and kb.get(str(chosen)):
            return answer_entry(dispatcher, kb, kb.get(str(chosen)))
        confidence = (tracker.latest_message.get("intent") or {}).get("confidence") or 0.0
        return await respond(dispatcher, tracker, strict=confidence < CONFIDENT_INTENT, reason="no_answer")


class ActionFallback(TaxAction):
    """NLU unsure, out of scope or a stray value: answer only if retrieval is sure, else say so."""

    action_name = "action_fallback"

    async def act(self, dispatcher, tracker, domain):
        intent = tracker.latest_message.get("intent") or {}
        text = user_text(tracker)
        if intent.get("name") == "out_of_scope" and (intent.get("confidence") or 0) >= CONFIDENT_OUT_OF_SCOPE:
            if looks_unlawful(text):
                return refuse(dispatcher)
            return await _fall_back(dispatcher, tracker, "out_of_scope" if not is_meaningless(text) else "empty")
        reason = "out_of_scope" if intent.get("name") == "out_of_scope" else "no_answer"
        return await respond(dispatcher, tracker, strict=True, reason=reason)
