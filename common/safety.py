"""Recognising requests to break tax law (evade tax, trade or fake invoices), as a safety net under NLU.

The intent classifier is the first line; this catches what it misses. A message is unlawful
when it asks *how to do* a prohibited act, or asks how not to be found out. Asking about the
consequences of such acts ("虚开发票怎么处罚") is a legitimate question and is not matched.
"""
from __future__ import annotations

import re

__all__ = ["looks_unlawful"]

# Acts that are unlawful whatever the phrasing: naming them with no question of consequences is a request.
_ACT_ALWAYS = re.compile(
    r"虚开|买(?![方家]).{0,6}(发票|专票|普票)|买(?![方家]).{0,4}(张|点).{0,6}(抵扣|进项)|卖.{0,2}(发)?票|收发票.{0,4}点|两套账|假账"
    r"|冲.{0,2}成本|骗(取)?.{0,4}(留抵|退税)|阴阳合同|没有(实际|真实)?(的)?(业务|交易).{0,10}(开|票)"
)
# Acts that are unlawful when the user asks how to do them.
_ACT_ASKED = re.compile(
    r"做账.{0,6}(少交|避税)|隐瞒收入|(?<!没)(?<!没有)少报收入|收入做(少|低)|藏.{0,4}收入"
    r"|私(人)?(账)?户.{0,8}(不报|不申报|避税|不交税)|逃税|偷税|拆.{0,8}(名下|几个人)"
    r"|(亲戚|别人|他人|朋友).{0,4}名下.{0,12}(少交|避税|个税)|虚假(合同|申报|发票)"
)
_HIDE = re.compile(r"不(被|让)(税务局|税务)?(查|发现)|不容易被.{0,4}(查|发现)|查不(到|出)|发现不了|别让税务.{0,4}(知道|发现)|躲(过|避)(稽查|检查)")
_HOW = re.compile(r"怎么|如何|帮我|帮忙|能不能|能否|能.{0,8}吗|哪里|哪儿|有没有办法|有什么办法|找人|想|操作|教我|安全|可以吗|行不行|渠道|靠谱")
_CONSEQUENCE = re.compile(r"处罚|罚款|后果|法律责任|刑事|举报|认定|怎么罚|会不会被罚|风险|被查|记录|判[A-Da-d]|信用")


def looks_unlawful(text: str) -> bool:
    if not text:
        return False
    if _HIDE.search(text):
        return True
    if _CONSEQUENCE.search(text):
        return False
    return bool(_ACT_ALWAYS.search(text) or (_ACT_ASKED.search(text) and _HOW.search(text)))
