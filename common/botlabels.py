"""The bot's own vocabulary in Chinese: intent names (every intent of ``bot/domain``) and reply kinds (the
``custom.kind`` of the reply envelope, DESIGN.md). Pure, so the bot, the actions and the API can all read it;
the API serves it to the pages through ``GET /api/vocabulary`` (groups ``intent`` and ``reply_kind``).

A new intent in ``bot/domain`` needs its name here (tests/common/test_botlabels.py fails until it has one).
"""
from __future__ import annotations

__all__ = ["INTENT_LABELS", "REPLY_KIND_LABELS"]

INTENT_LABELS = {
    "greet": "问候",
    "thank": "致谢",
    "goodbye": "告别",
    "affirm": "确认",
    "deny": "否定",
    "inform": "提供信息",
    "out_of_scope": "超出办税服务范围",
    "request_illegal": "违法违规请求",
    "nlu_fallback": "未能识别",
    "query_own_credit": "查询本企业纳税信用",
    "apply_credit_repair": "申请信用修复",
    "reminder_claimed": "答复提醒：已享受或已处理",
    "reminder_not_applicable": "答复提醒：不适用",
    "risk_corrected": "答复风险提示：已自查更正",
    "risk_explain": "答复风险提示：有合理原因",
    "reminder_how": "询问提醒事项怎么办理",
    "ask_tax_question": "咨询办税问题",
    "request_human": "要求转人工",
    "request_expert": "要求转专家",
    "file_petition": "提出诉求",
    "check_petition_status": "查询诉求进度",
}

REPLY_KIND_LABELS = {
    "answer": "知识解答",
    "clarify": "澄清追问",
    "fallback": "未能回答",
    "refuse": "拒绝违法请求",
    "smalltalk": "寒暄",
    "handoff": "转人工",
    "form": "填写表单",
    "form_cancelled": "已取消填写",
    "petition_created": "诉求已登记",
    "petition_status": "诉求进度",
    "reminder": "提醒",
    "reminders": "提醒列表",
    "reminder_answer": "提醒已答复",
    "credit": "纳税信用",
    "petition_notice": "诉求办理告知",
}
