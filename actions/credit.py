"""The enterprise's own credit, credit repair and answers to reminders: personal data via the API only."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api_client import ApiClient, ApiRejected, ApiUnavailable
from actions.base import TaxAction, enterprise_fields, login_problem, reply, user_text
from actions.filing_points import answer_filing_points, context_entry, entry_for_topic
from actions.handoff import start_handoff
from actions.knowledge_answer import answer_entry, get_knowledge_base
from common import envelopes
from common.owndata import own_data_request
from knowledge.base import KnowledgeBase
from knowledge.models import Entry

__all__ = ["ActionOwnCredit", "ActionReminderAnswer", "own_credit", "own_reminders"]

LOGIN_FIRST = "为保护企业信息，查询本企业的纳税信用需要先登录电子税务局，再在此咨询。您也可以按以下方法自行查询："


def _topic_entry(topic: str) -> tuple[KnowledgeBase, Entry | None]:
    kb = get_knowledge_base()
    return kb, next((e for e in kb.entries.values() if e.topic == topic), None)


async def own_reminders(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The logged-in enterprise's reminders still to answer, each with its answer buttons; else how to see them."""
    identity = enterprise_fields(tracker)
    if not identity["enterprise_grant"]:
        reply(dispatcher,
              login_problem(tracker) or "提醒是发给登录企业的。请先登录电子税务局，再在此查看本企业的风险提示、"
                                        "优惠提醒和信用修复提醒。",
              envelopes.fallback("login_required"))
        return []
    try:
        result = await ApiClient().request("POST", "/api/internal/reminders/open", json=identity)
    except ApiRejected as exc:
        reply(dispatcher, exc.message, envelopes.fallback(exc.code or "login_required"))
        return []
    except ApiUnavailable:
        reply(dispatcher, "抱歉，提醒暂时无法查询，您也可以在“消息”里查看。", envelopes.fallback("service_unavailable"))
        return []
    reminders = result.get("reminders") or []
    if not reminders:
        reply(dispatcher, "贵企业目前没有需要回复的提醒。以往的提醒可以在“消息”里查看。", envelopes.reminders(0))
        return []
    dispatcher.utter_message(text=f"贵企业有{len(reminders)}条提醒需要处理（风险提示在前）：")
    for item in reminders:
        custom = envelopes.reminder(item["reminder_id"], item["type"], item["topic"], rule=item["rule"],
                                    title=item["title"], reasons=item["reasons"])
        reply(dispatcher, f"{item['title']}\n{item.get('message') or ''}".strip(), custom, item.get("buttons") or [])
    return []


async def own_credit(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The logged-in enterprise's own credit card; otherwise why it cannot be shown and how to look it up."""
    return await _credit(dispatcher, tracker, "query_own_credit")


async def _credit(dispatcher: CollectingDispatcher, tracker: Tracker, intent: str | None) -> list[EventType]:
    identity = enterprise_fields(tracker)
    if intent == "query_own_credit" and identity["enterprise_grant"]:
        try:
            result = await ApiClient().request("POST", "/api/internal/credit", json=identity)
            reply(dispatcher, result["text"], envelopes.credit(result["level"], result["year"], result.get("score"),
                                                               result.get("deductions", [])))
            return []
        except ApiRejected as exc:
            dispatcher.utter_message(text=exc.message)
        except ApiUnavailable:
            dispatcher.utter_message(text="抱歉，信用查询服务暂时无法使用。")
    elif intent == "query_own_credit":
        dispatcher.utter_message(text=login_problem(tracker) or LOGIN_FIRST)
    kb, entry = _topic_entry("credit-repair" if intent == "apply_credit_repair" else "credit-query")
    return answer_entry(dispatcher, kb, entry) if entry else []


class ActionOwnCredit(TaxAction):
    """Own credit level for a logged-in enterprise; otherwise how to look it up or repair it."""

    action_name = "action_own_credit"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "query_own_credit" and own_data_request(user_text(tracker)) is None:
            # "纳税信用有几级", "信用M级能退留抵不": about credit, not the enterprise's own record
            from actions.router import respond  # the router builds on this module

            return await respond(dispatcher, tracker, strict=False, reason="no_answer")
        return await _credit(dispatcher, tracker, intent)


def _entity(tracker: Tracker, name: str) -> str | None:
    return next((e.get("value") for e in (tracker.latest_message or {}).get("entities") or []
                 if e.get("entity") == name and e.get("value") not in (None, "")), None)


REPAIR_NOT_READY = ("correct_first", "not_repairable")
"""The API's reasons for not filing a repair application yet (api/reminder/service.py)."""


class ActionReminderAnswer(TaxAction):
    """The enterprise answered a reminder (a button carries its id; words find the latest open one): record it,
    then explain how (knowledge entry), hand over to a person, or confirm the repair application."""

    action_name = "action_reminder_answer"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        reminder_id = _entity(tracker, "reminder_id")
        if intent == "reminder_how" and reminder_id is None and not enterprise_fields(tracker)["enterprise_grant"]:
            kb = get_knowledge_base()  # a visitor has no reminders: "怎么享受" asks about the policy just answered
            entry = context_entry(kb, tracker)
            if entry is not None:
                return answer_filing_points(dispatcher, kb, entry)
        body = {**enterprise_fields(tracker), "answer": intent, "text": tracker.latest_message.get("text"),
                "reminder_id": int(str(reminder_id)) if str(reminder_id or "").isdigit() else None,
                "explanation": _entity(tracker, "explanation")}
        try:
            result = await ApiClient().request("POST", "/api/internal/reminders/answer", json=body)
        except ApiRejected as exc:
            if intent == "reminder_how" and exc.code in ("no_reminder", "login_required"):
                kb = get_knowledge_base()  # "怎么享受" after a policy answer: that policy's filing points
                entry = context_entry(kb, tracker)
                if entry is not None:
                    return answer_filing_points(dispatcher, kb, entry)
            if intent == "apply_credit_repair" and exc.code in ("no_reminder", "login_required"):
                kb, entry = _topic_entry("credit-repair")
                return answer_entry(dispatcher, kb, entry) if entry else []  # a question, not an answer to a reminder
            if intent == "reminder_how" and exc.code in ("no_reminder", "login_required"):
                # "怎么操作" with nothing before it: the evidence decides, as for any question
                from actions.router import respond

                return await respond(dispatcher, tracker, strict=True, reason="no_answer")
            if exc.code in REPAIR_NOT_READY:  # what to do before applying: said plainly, nothing was filed
                reply(dispatcher, exc.message, envelopes.reminder_answer(body["reminder_id"], None, [],
                                                                         not_ready=exc.code))
                return []
            reply(dispatcher, exc.message or "没有找到需要您回复的提醒。", envelopes.fallback("no_reminder"))
            return []
        except ApiUnavailable:
            reply(dispatcher, "抱歉，暂时无法记录您对提醒的回复，请稍后再试。",
                  envelopes.fallback("service_unavailable"))
            return []
        if result.get("handoff"):
            return await start_handoff(dispatcher, tracker, "staff", reason="reminder_help")
        reply(dispatcher, result.get("text", "感谢您的反馈，已为您记录。"),
              envelopes.reminder_answer(result.get("reminder_id"), result.get("answer"), result.get("repairs")))
        if result.get("topic"):
            kb = get_knowledge_base()
            entry = entry_for_topic(kb, result["topic"])
            return answer_filing_points(dispatcher, kb, entry) if entry else []
        return []
