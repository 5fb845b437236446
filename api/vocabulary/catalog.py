"""The vocabulary's groups: ``{group: {key: 中文}}``, each read from the one module that owns that vocabulary
(next to the tuple the database checks, or the rule that uses it). Nothing is copied here: a new status gets its
label where the status is defined, and this catalog picks it up.

``GROUPS`` is built once at import; ``VERSION`` is a hash of it, so a page can cache the vocabulary and the
server answers 304 while nothing changed.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from api.analytics.models import CHANNEL_LABELS as VISITOR_CHANNEL_LABELS
from api.analytics.models import OUTCOME_LABELS
from api.analytics.service import FALLBACK_REASONS
from api.auth.deps import ROLE_LABELS
from api.enterprise.models import (
    ENTERPRISE_FIELD_LABELS,
    FILING_STATE_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    SOURCE_LABELS,
    TAX_TYPE_LABELS,
    TAXPAYER_TYPE_LABELS,
)
from api.hub.models import HANDOFF_STATUS_LABELS, MODE_LABELS, SENDER_LABELS, TIER_LABELS
from api.hub.presence import STATUS_LABELS as PRESENCE_LABELS
from api.hub.service import REASONS as HANDOFF_REASONS
from api.improvement.models import IMPROVEMENT_KIND_LABELS, IMPROVEMENT_STATUS_LABELS
from api.notification.models import KIND_LABELS as NOTIFICATION_KIND_LABELS
from api.org.models import LEVEL_LABELS as UNIT_LEVEL_LABELS
from api.org.models import UNIT_KIND_LABELS
from api.outbox.models import NOTICE_KIND_LABELS, SMS_STATUS_LABELS
from api.petition.constants import CATEGORIES, CHANNELS, EXTENSION_STATUS_LABELS, STATUS_LABELS
from api.petition.lifecycle import ACTION_LABELS
from api.petition.queries import QUEUES
from api.petition.scheduled import CLOCK_LABELS
from api.reminder.models import CAMPAIGN_STATUS_LABELS, REPAIR_STATUS_LABELS, REPEAT_LABELS, TYPE_LABELS
from api.reminder.models import STATUS_LABELS as REMINDER_STATUS_LABELS
from api.reminder.service import ANSWER_LABELS
from common.botlabels import INTENT_LABELS, REPLY_KIND_LABELS

__all__ = ["GROUPS", "VERSION", "DESCRIPTIONS", "pick"]


def _plain(labels: Mapping[Any, str]) -> dict[str, str]:
    """Keys as plain strings (some maps are keyed by an Enum)."""
    return {getattr(key, "value", key): value for key, value in labels.items()}


_SOURCES: dict[str, tuple[str, Mapping[Any, str]]] = {
    # group: (what it names, the owning map)
    "petition_status": ("诉求状态", STATUS_LABELS),
    "petition_category": ("诉求分类（值本身即中文）", {c: c for c in CATEGORIES}),
    "petition_channel": ("诉求渠道（值本身即中文）", {c: c for c in CHANNELS}),
    "petition_action": ("诉求台账操作", ACTION_LABELS),
    "petition_clock": ("诉求时限", {**CLOCK_LABELS, "visit": "回访时限"}),  # visit: PetitionRead.visit_clock
    "extension_status": ("延期申请状态", EXTENSION_STATUS_LABELS),
    "petition_queue": ("诉求工作队列", {name: queue.label for name, queue in QUEUES.items()}),
    "reminder_type": ("提醒类型", TYPE_LABELS),
    "reminder_status": ("提醒状态", REMINDER_STATUS_LABELS),
    "reminder_answer": ("企业对提醒的答复（含风险提示的答复）", ANSWER_LABELS),
    "campaign_status": ("提醒活动状态", CAMPAIGN_STATUS_LABELS),
    "campaign_repeat": ("提醒活动重复方式", REPEAT_LABELS),
    "repair_status": ("信用修复申请状态", REPAIR_STATUS_LABELS),
    "role": ("角色", ROLE_LABELS),
    "unit_kind": ("单位类型", UNIT_KIND_LABELS),
    "unit_level": ("单位层级", UNIT_LEVEL_LABELS),
    "conversation_mode": ("会话状态", MODE_LABELS),
    "handoff_status": ("转人工状态", HANDOFF_STATUS_LABELS),
    "handoff_reason": ("转人工原因", HANDOFF_REASONS),
    "tier": ("坐席层级", TIER_LABELS),
    "sender": ("消息发送方", SENDER_LABELS),
    "presence": ("坐席在线状态", PRESENCE_LABELS),
    "notification_kind": ("通知类型", NOTIFICATION_KIND_LABELS),
    "reply_kind": ("智能助手回复类型", REPLY_KIND_LABELS),
    "fallback_reason": ("未能回答的原因", FALLBACK_REASONS),
    "conversation_outcome": ("会话结果", OUTCOME_LABELS),
    "visitor_channel": ("咨询用户类型", VISITOR_CHANNEL_LABELS),
    "intent": ("意图", INTENT_LABELS),
    "enterprise_field": ("企业信息字段", ENTERPRISE_FIELD_LABELS),
    "credit_level": ("纳税信用级别", LEVEL_LABELS),
    "taxpayer_type": ("纳税人类型", TAXPAYER_TYPE_LABELS),
    "enterprise_kind": ("主体类型", KIND_LABELS),
    "data_source": ("数据来源系统", SOURCE_LABELS),
    "tax_type": ("税种", TAX_TYPE_LABELS),
    "filing_state": ("申报状态", FILING_STATE_LABELS),
    "improvement_kind": ("知识改进类型", IMPROVEMENT_KIND_LABELS),
    "improvement_status": ("知识改进状态", IMPROVEMENT_STATUS_LABELS),
    "notice_kind": ("告知企业的诉求办理消息类型", NOTICE_KIND_LABELS),
    "sms_status": ("短信发送状态", SMS_STATUS_LABELS),
}

GROUPS: dict[str, dict[str, str]] = {group: _plain(labels) for group, (_, labels) in _SOURCES.items()}
DESCRIPTIONS: dict[str, str] = {group: title for group, (title, _) in _SOURCES.items()}
VERSION = hashlib.sha256(json.dumps(GROUPS, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def pick(names: list[str] | None) -> dict[str, dict[str, str]]:
    """The named groups (all when ``names`` is empty); a name that is not a group raises KeyError."""
    if not names:
        return GROUPS
    return {name: GROUPS[name] for name in names}
