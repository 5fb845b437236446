"""Small talk and refusals: fixed, polite replies that still carry their envelope.

When to refuse is decided in actions/router.py."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import TaxAction, reply, user_text
from common import envelopes

__all__ = ["ActionSmalltalk", "refuse"]

SMALLTALK = {
    "greet": "您好！我是小微企业智能办税助手，可以解答增值税、所得税、发票、申报、纳税信用等问题。请直接输入您的问题。",
    "thank": "不客气，很高兴能帮到您！还有其他问题随时问我。",
    "goodbye": "感谢您的咨询，祝您工作顺利，再见！",
    "affirm": "好的。还有其他问题，请直接告诉我。",
    "deny": "好的。如需帮助，随时告诉我。",
}

REFUSAL = (
    "抱歉，隐瞒收入、虚开或买卖发票、设置两套账、虚构业务等做法违反《中华人民共和国税收征收管理法》"
    "和《中华人民共和国发票管理办法》，我不能提供帮助。这类行为会被追缴税款、加收滞纳金并处罚款，"
    "情节严重的还要承担刑事责任。\n"
    "合法减轻税负的途径有：\n"
    "1. 用足小微企业优惠，如小规模纳税人月销售额10万元以下免征增值税、小型微利企业所得税优惠、六税两费减半征收；\n"
    "2. 符合条件的研发费用加计扣除；\n"
    "3. 按实际业务取得合规发票并如实入账。\n"
    "需要的话，我可以为您详细介绍这些政策。"
)


def refuse(dispatcher: CollectingDispatcher) -> list[EventType]:
    reply(dispatcher, REFUSAL, envelopes.refuse())
    return []


class ActionSmalltalk(TaxAction):
    action_name = "action_smalltalk"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in ("affirm", "deny"):  # "首违不罚", "股票分红交税不": a question, not a yes or a no
            from actions.router import mentions_tax, respond  # the router builds on this module

            if mentions_tax(user_text(tracker)):
                return await respond(dispatcher, tracker, strict=False, reason="no_answer")
        reply(dispatcher, SMALLTALK.get(intent or "", SMALLTALK["greet"]), envelopes.smalltalk())
        return []
