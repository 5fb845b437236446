"""The enterprise's own credit, credit repair and answers to reminders: personal data via the API only."""
from __future__ import annotations

from actions import envelopes
from actions.api_client import ApiClient, ApiRejected, ApiUnavailable, call_or_explain
from actions.base import TaxAction, reply
from actions.knowledge_answer import answer_entry, get_knowledge_base

__all__ = ["ActionOwnCredit", "ActionReminderAnswer"]

LOGIN_FIRST = "为保护企业信息，查询本企业的纳税信用需要先登录电子税务局，再在此咨询。您也可以按以下方法自行查询："


def _topic_entry(topic: str):
    kb = get_knowledge_base()
    return kb, next((e for e in kb.entries.values() if e.topic == topic), None)


class ActionOwnCredit(TaxAction):
    """Own credit level for a logged-in enterprise; otherwise how to look it up or repair it."""

    action_name = "action_own_credit"

    async def act(self, dispatcher, tracker, domain):
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        token = ((tracker.latest_message or {}).get("metadata") or {}).get("enterprise_token")
        if intent == "query_own_credit" and token:
            try:
                result = await ApiClient().request("POST", "/api/internal/credit", json={"enterprise_token": token})
                reply(dispatcher, result["text"], {"kind": "credit", "level": result["level"], "year": result["year"],
                                                   "deductions": result.get("deductions", [])})
                return []
            except ApiRejected as exc:
                dispatcher.utter_message(text=exc.message)
            except ApiUnavailable:
                dispatcher.utter_message(text="抱歉，信用查询服务暂时无法使用。")
        elif intent == "query_own_credit":
            dispatcher.utter_message(text=LOGIN_FIRST)
        kb, entry = _topic_entry("credit-repair" if intent == "apply_credit_repair" else "credit-query")
        return answer_entry(dispatcher, kb, entry) if entry else []


class ActionReminderAnswer(TaxAction):
    """Records the enterprise's answer to a reminder it received; says so if it cannot be recorded."""

    action_name = "action_reminder_answer"

    async def act(self, dispatcher, tracker, domain):
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        result = await call_or_explain(
            dispatcher, "POST", "/api/internal/reminders/answer",
            {"sender_id": tracker.sender_id, "enterprise_token": metadata.get("enterprise_token"),
             "answer": intent, "text": tracker.latest_message.get("text")},
            rejected_reason="no_reminder", rejected_text="没有找到需要您回复的提醒。",
            unavailable_text="抱歉，暂时无法记录您对提醒的回复，请稍后再试。")
        if result is None:
            return []
        reply(dispatcher, result.get("text", "感谢您的反馈，已为您记录。"), {"kind": "reminder_answer", "answer": intent})
        return []
