"""Handing the conversation to a person: staff on request or after two failures, experts on request."""
from __future__ import annotations

import contextlib
import re

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api_client import ApiClient, ApiRejected, ApiUnavailable
from actions.base import TaxAction, enterprise_fields, reply
from common import envelopes

__all__ = ["ActionHandoff", "start_handoff", "requested_seat"]

TIER_NAMES = {"staff": "人工坐席", "expert": "专家坐席"}
OFFLINE_TEXT = ("抱歉，{seat}暂时无法接入。您可以：\n1. 拨打12366纳税缴费服务热线；\n"
                "2. 回复“我要提诉求”留言登记，工作人员会在1个工作日内与您联系。")


_EXPERT = re.compile(r"(找|请|转|要|咨询|问问?|对接)(一?个|一下|下)?(税务)?(专家|资深|专业人士|专业的人)"
                     r"|(专家|专业人士).{0,8}(一对一|帮忙|看看|解答|指导)")
_STAFF = re.compile(r"(转|找|要|接通?|联系|换)(一?个)?(人工|真人|客服|工作人员)"
                    r"|(人工|客服|工作人员|专管员).{0,6}(回(个)?电话|联系我|打(个)?电话给我|给我回)")


def requested_seat(text: str) -> str | None:
    """'expert' or 'staff' when the user explicitly asks for a person; a request the NLU may have missed."""
    if not text or "12366" in text:  # how to reach a person at 12366 is a question about the hotline
        return None
    if _EXPERT.search(text):
        return "expert"
    return "staff" if _STAFF.search(text) else None


async def start_handoff(dispatcher: CollectingDispatcher, tracker: Tracker, tier: str, reason: str) -> list[EventType]:
    """Ask the hub for a seat; say honestly what happened (queued, assigned or nobody online)."""
    seat = TIER_NAMES[tier]
    try:
        result = await ApiClient().request("POST", "/api/internal/handoffs", json={
            "tier": tier, "reason": reason, **enterprise_fields(tracker)})
    except (ApiUnavailable, ApiRejected):
        result = {"status": "offline"}
    status, position = result.get("status", "offline"), result.get("position")
    if status == "assigned":
        text, envelope = f"已为您接通{seat}，请直接描述您的问题。", envelopes.handoff(tier, status, position)
    elif status == "queued":
        ahead = max(int(position or 1) - 1, 0)  # position 1: next in line
        text = result.get("notice") or (f"正在为您转接{seat}，您前面还有{ahead}位，请稍候。" if ahead
                                        else f"正在为您转接{seat}，您是下一位，请稍候。")
        # the hub's honest wait and its offer to leave a message when the wait is long (the widget shows the card)
        envelope = envelopes.handoff(tier, status, position, wait=result)
    else:
        text, envelope = OFFLINE_TEXT.format(seat=seat), envelopes.handoff(tier, "offline", position)
    reply(dispatcher, text, envelope)
    return [SlotSet("fallback_count", 0)]


class ActionHandoff(TaxAction):
    action_name = "action_handoff"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        tier = "expert" if intent == "request_expert" else "staff"
        reminder_id = next((e.get("value") for e in tracker.latest_message.get("entities") or []
                            if e.get("entity") == "reminder_id"), None)
        if str(reminder_id or "").isdigit():  # 需要帮助 on a risk reminder: record the answer, then a person
            # If the answer cannot be recorded the person still comes; the funnel misses one answer.
            with contextlib.suppress(ApiUnavailable, ApiRejected):
                await ApiClient().request("POST", "/api/internal/reminders/answer", json={
                    **enterprise_fields(tracker), "answer": "request_human", "reminder_id": int(str(reminder_id))})
            return await start_handoff(dispatcher, tracker, tier, reason="reminder_help")
        return await start_handoff(dispatcher, tracker, tier, reason="user_request")
