"""Fixed vocabularies of the petition domain: categories and channels from the notice, statuses."""
from __future__ import annotations

from enum import Enum

__all__ = ["CATEGORIES", "CHANNELS", "LEGAL_RELIEF", "LONG_TERM_CATEGORIES", "Status", "STATUS_LABELS",
           "EXTENSION_STATUS_LABELS", "HANDOVER_DAYS", "HANDLING_DAYS", "MAX_HANDLING_DAYS", "FEEDBACK_DAYS", "VISIT_DAYS", "BOT",
           "SYSTEM"]

from common.petitions import CATEGORIES, CHANNELS

LEGAL_RELIEF = "法律救济类"
LONG_TERM_CATEGORIES = ("政策落实类", "信息化建设类", "其他")
"""Where policy suggestions and system-improvement demands (政策建议、系统优化) are filed."""

HANDOVER_DAYS = 1  # 受理登记后1个工作日内转交本级纳税服务部门
HANDLING_DAYS = 5  # 收到后5个工作日内办结
MAX_HANDLING_DAYS = 10  # 延长后最长不得超过10个工作日
FEEDBACK_DAYS = 1  # 办理完成后1个工作日内反馈
VISIT_DAYS = 5  # 回访: within 5 working days after the feedback (the notice says 定期回访; the period is ours)

BOT, SYSTEM = "bot", "system"
"""Actors that are not staff accounts, as written in the ledger."""


class Status(str, Enum):
    registered = "registered"
    handed_over = "handed_over"
    assigned = "assigned"
    in_progress = "in_progress"
    resolved = "resolved"
    fed_back = "fed_back"
    visited = "visited"
    closed = "closed"


STATUS_LABELS = {
    Status.registered: "已受理登记",
    Status.handed_over: "已转交纳税服务部门",
    Status.assigned: "已转交办理部门",
    Status.in_progress: "办理中",
    Status.resolved: "已办结",
    Status.fed_back: "已反馈",
    Status.visited: "已回访",
    Status.closed: "已关闭",
}

EXTENSION_STATUS_LABELS = {"pending": "待审批", "approved": "已批准", "rejected": "已驳回", "cancelled": "已撤回"}
"""An extension request's status (``PetitionExtension.status``)."""
