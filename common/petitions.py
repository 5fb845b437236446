"""The petition vocabulary of 税总函〔2019〕40号 shared by the bot and the API, and category suggestion."""
from __future__ import annotations

import re

__all__ = ["CATEGORIES", "CHANNELS", "TICKET", "suggest_category", "match_category", "looks_like_petition"]

TICKET = re.compile(r"SQ-\d{8}-\d{4}", re.IGNORECASE)
"""A petition's 受理编号 as the API issues it (api/petition/tickets.py): SQ-YYYYMMDD-NNNN."""

CATEGORIES = ("政策落实类", "执法规范类", "纳税服务类", "信息化建设类", "法律救济类", "其他")
CHANNELS = ("12366热线", "12366平台", "税务网站", "办税服务厅", "税务机关电话", "智能助手", "其他")
"""受理渠道: the notice's 12366热线, 12366平台 and 税务网站; its 其他渠道 as the hall, the bureau's own phone numbers,
this assistant, or anything else (api/migrations 0014 keeps the database's check in step)."""

# Cues in a demand's text for each category, most specific first; the user confirms or changes it.
_CUES = (
    ("法律救济类", r"复议|诉讼|申诉|听证|行政救济|国家赔偿|法定期限"),
    ("信息化建设类", r"电子税务局|系统|网站|App|APP|软件|卡顿|卡死|报错|闪退|登录不上|打不开|网页|客户端|扫码"),
    ("执法规范类", r"执法|处罚|罚款|罚了|检查|稽查|证件|强硬|乱罚|不合理|滥用|违规|首违不罚"),
    ("政策落实类", r"优惠|减免|退税|留抵|政策|享受|落实|免征|加计|没到账|不符合政策"),
    ("纳税服务类", r"服务|态度|排队|窗口|大厅|等了|办事|咨询|热线|回复|答复|效率|建议"),
)


def suggest_category(text: str) -> str:
    """The category whose cues appear first in priority order; 其他 when none fits."""
    for category, cues in _CUES:
        if re.search(cues, text or ""):
            return category
    return "其他"


def match_category(text: str) -> str | None:
    """A category the user typed: '执法' → 执法规范类, '2' → the second, '其他' → 其他."""
    text = (text or "").strip()
    if text.isdigit() and 1 <= int(text) <= len(CATEGORIES):
        return CATEGORIES[int(text) - 1]
    for category in CATEGORIES:
        if category in text or (len(text) >= 2 and category.startswith(text[:2]) and category != "其他"):
            return category
    return "其他" if "其他" in text or "其它" in text else None


# A demand addressed to the tax authority: someone should act, fix, explain or change something.
_DEMAND = re.compile(
    r"我要投诉|投诉(一下|他|她|你们)?|要求(重新|尽快|给|核实|处理|答复|退|撤销|纠正|说明)|给(个|我们一个)说法"
    r"|希望(有人|能|你们|尽快|相关部门).{0,10}(核实|处理|解决|协调|改进|答复|重视|落实)"
    r"|建议.{0,12}(改进|多开|增加|优化|改善|取消)|请(赶紧|尽快|马上).{0,8}(修复|处理|解决|办理|答复)"
    r"|(处罚|罚款|收费|做法|规定)(很|太|极其)?不合理|(一直|迟迟|至今|到现在).{0,8}(没|不|无)(人)?(答复|结果|回复|处理|办理|到账|受理)"
)


# "可以要求重新评吗", "打12366能投诉吗": questions about the procedure, answered from the knowledge base.
_ASKS_HOW = re.compile(r"(能|可以|会|正常|是否|怎么|如何|哪里|在哪)[^。！!]*(吗|么|呢|？|\?)\s*$")


def looks_like_petition(text: str) -> bool:
    """True when the message voices a demand or complaint for the authority to act on (诉求和意见)."""
    text = (text or "").strip()
    return bool(_DEMAND.search(text)) and not _ASKS_HOW.search(text)
