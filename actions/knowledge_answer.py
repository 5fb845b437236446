"""Answering from the knowledge base: an entry with its sources, a choice between topics, or an honest fallback.

What to do with a message is decided in actions/router.py; this module says it."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import reply, today_in_china
from actions.handoff import start_handoff
from common import envelopes
from knowledge import Decision, Entry, KnowledgeBase
from knowledge.base import get_knowledge_base

__all__ = ["get_knowledge_base", "answer_entry", "clarify", "fall_back", "answer_decision", "FALLBACK_TEXT"]

FAILURES_BEFORE_HANDOFF = 2

FALLBACK_TEXT = {
    "empty": "您好像还没有输入内容。请直接告诉我您想咨询的税费问题，例如“小规模纳税人免征增值税的标准是多少”。",
    "out_of_scope": "抱歉，我是办税助手，只能解答税费相关的问题，这个问题我帮不上忙。",
    "no_answer": "抱歉，这个问题我暂时没有把握准确回答。",
}
FALLBACK_OFFER = ("您可以：\n1. 换个说法再问我一次；\n2. 回复“转人工”由税务人员为您解答；\n"
                  "3. 拨打12366纳税缴费服务热线；\n4. 回复“我要提诉求”登记您的诉求或意见。")
FALLBACK_BUTTONS = [
    {"title": "转人工", "payload": "/request_human"},
    {"title": "登记诉求", "payload": "/file_petition"},
]
NONE_OF_THESE = {"title": "都不是，转人工", "payload": "/request_human"}


def answer_entry(dispatcher: CollectingDispatcher, kb: KnowledgeBase, entry: Entry) -> list[EventType]:
    today = today_in_china()
    reply(dispatcher, kb.render(entry, today), kb.envelope(entry, today))
    return [SlotSet("fallback_count", 0), SlotSet("entry_id", None)]


def clarify(dispatcher: CollectingDispatcher, decision: Decision) -> list[EventType]:
    """Ask which entry is meant; when the verifier was unsure, say so and offer a person as well."""
    entries = [c.entry for c in decision.candidates]
    buttons = [{"title": e.title, "payload": f'/ask_tax_question{{"entry_id": "{e.id}"}}'} for e in entries]
    options = [{"topic": e.topic, "title": e.title, "entry": e.id} for e in entries]
    if decision.reason == "unsure":
        text = "这个问题我没有把握直接回答。您想了解的是以下哪一项？如果都不是，可以转人工由税务人员为您解答。"
        buttons.append(NONE_OF_THESE)
    else:
        text = "您的问题可能涉及以下几个方面，请选择最接近的一项（也可以补充说明具体情况）："
    reply(dispatcher, text, envelopes.clarify(options), buttons)
    return [SlotSet("fallback_count", 0)]


async def answer_decision(dispatcher: CollectingDispatcher, tracker: Tracker, kb: KnowledgeBase,
                          decision: Decision, reason: str) -> list[EventType]:
    """Say what the knowledge base decided: the answer, the choice, or the fallback with ``reason``."""
    if decision.kind == "answer" and decision.best is not None:
        return answer_entry(dispatcher, kb, decision.best.entry)
    if decision.kind == "clarify":
        return clarify(dispatcher, decision)
    return await fall_back(dispatcher, tracker, reason)


async def fall_back(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[EventType]:
    failures = int(tracker.get_slot("fallback_count") or 0) + 1
    if reason != "empty" and failures >= FAILURES_BEFORE_HANDOFF:
        dispatcher.utter_message(text="我连续两次没能帮您解决问题，正在为您转接人工坐席。")
        return await start_handoff(dispatcher, tracker, "staff", reason="bot_failed_twice")
    reply(dispatcher, f"{FALLBACK_TEXT[reason]}\n{FALLBACK_OFFER}", envelopes.fallback(reason), FALLBACK_BUTTONS)
    return [SlotSet("fallback_count", failures)]
