"""Recognising a request for the enterprise's own data in everyday wording: its credit, petitions, reminders.

"我们公司的纳税信用等级是多少" asks for this enterprise's own level, not how levels work; the bot answers it from
the enterprise's record when it is logged in (and says how to log in or look it up otherwise). The classifier
learns such wording too (data/nlu/credit.yml); this is the rule under it, so a question the knowledge base
would also match never turns into a general answer.
"""
from __future__ import annotations

import re

from common.petitions import TICKET

__all__ = ["own_data_request"]

_OWNER = (r"(?:我(?:们)?(?:提|提交|反映|留|报)的|我们|我司|本公司|我公司|咱们|咱|我们公司|我们企业|本企业"
          r"|本单位|我单位|我们单位|我们店|我家|我们家|我的|我这个|我这)")
_CREDIT = re.compile(_OWNER + r"[^，。？?！!]{0,8}(?:纳税(?:缴费)?信用|信用(?:等级|级别|评价|评级|分|扣分)?"
                     r"|评(?:了|的|为|上)?(?:几|什么|啥|哪)(?:个)?级|几级|扣(?:了)?(?:多少|哪些|什么)?分)")
_ABOUT_RULES = re.compile(r"怎么(?:修复|评|算|提升|提高)|如何(?:修复|评|提升|提高)|标准|条件|规定"
                          r"|能不能贷款|有什么用|影响")
_REMINDERS = re.compile(r"(?:" + _OWNER + r"|有没有|有什么|有哪些|查看|看看|查下)[^，。？?！!]{0,8}"
                        r"(?:提醒|风险提示|消息|待办|预警)"
                        r"|(?:提醒|风险提示|待办)[^，。？?！!]{0,6}(?:有哪些|有什么|有几条|在哪看)")
_PETITIONS = re.compile(_OWNER + r"[^，。？?！!]{0,8}(?:诉求|投诉|意见|建议|反映的(?:问题|事)|留言|工单)"
                        r"[^，。？?！!]{0,10}(?:进度|怎么样|办得|办到|结果|状态|到哪|处理|回复|答复|有消息|有结果)")


def own_data_request(text: str) -> str | None:
    """``credit``, ``petitions`` or ``reminders`` when the message asks for the enterprise's own record. A 受理编号
    in the message is always about that petition, whatever the words around it."""
    text = text or ""
    if _PETITIONS.search(text) or TICKET.search(text):
        return "petitions"
    if _REMINDERS.search(text):
        return "reminders"
    if _CREDIT.search(text) and not _ABOUT_RULES.search(text):
        return "credit"
    return None
