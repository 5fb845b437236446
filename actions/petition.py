"""Petitions (诉求和意见): starting a registration and checking one's own petitions, via the API."""
from __future__ import annotations

from actions import envelopes
from actions.api_client import call_or_explain
from actions.base import TaxAction, reply
from actions.knowledge_answer import answer_entry, get_knowledge_base

__all__ = ["ActionPetitionStart", "ActionPetitionStatus"]

UNAVAILABLE = ("抱歉，在线登记诉求暂未开通，您的诉求尚未登记。请拨打12366纳税缴费服务热线反映，"
               "工作人员会为您受理登记。以下是诉求办理的规定：")
PROCESS_ENTRY_TOPIC = "petition-process"


class ActionPetitionStart(TaxAction):
    """Until the petition form is deployed, says plainly that nothing was registered and where to go."""

    action_name = "action_petition_start"

    async def act(self, dispatcher, tracker, domain):
        reply(dispatcher, UNAVAILABLE, envelopes.fallback("petition_unavailable"))
        kb = get_knowledge_base()
        entry = next((e for e in kb.entries.values() if e.topic == PROCESS_ENTRY_TOPIC), None)
        return answer_entry(dispatcher, kb, entry) if entry else []


class ActionPetitionStatus(TaxAction):
    """A petition's status is personal: only for a logged-in enterprise, looked up by the API."""

    action_name = "action_petition_status"

    async def act(self, dispatcher, tracker, domain):
        token = ((tracker.latest_message or {}).get("metadata") or {}).get("enterprise_token")
        if not token:
            reply(dispatcher, "为保护您的信息，查询诉求办理进度需要先登录电子税务局后再在此咨询。",
                  envelopes.fallback("login_required"))
            return []
        result = await call_or_explain(
            dispatcher, "POST", "/api/internal/petitions/status",
            {"enterprise_token": token, "text": tracker.latest_message.get("text")},
            rejected_reason="petition_not_found", rejected_text="没有找到您的诉求记录。",
            unavailable_text="抱歉，诉求查询服务暂时无法使用，请稍后再试或拨打12366。")
        if result is None:
            return []
        for item in result.get("petitions", []):
            reply(dispatcher, item["text"], {"kind": "petition_status", "ticket": item["ticket"],
                                             "status": item["status"], "due_date": item.get("due_date")})
        return []
