"""The query parameters of the petition filter, shared by GET /api/petitions and GET /api/petitions/export.

:func:`petition_filters` is a FastAPI dependency: it reads the parameters, refuses unknown values
with a Chinese 422 reason and answers a :class:`~api.petition.queries.PetitionFilters` (without the
caller's visibility clause: the route adds it). Both routes take exactly these parameters, so the
console's list and its export always select the same petitions.
"""
from __future__ import annotations

from enum import Enum

from fastapi import Query

from api.core.errors import Invalid
from api.inputs import CleanStr, Id, SafeDate
from api.petition.constants import CATEGORIES, CHANNELS, Status
from api.petition.payloads import ClockFilter
from api.petition.queries import QUEUES, PetitionFilters

__all__ = ["QueueName", "petition_filters"]

QueueName = Enum("QueueName", {name: name for name in QUEUES}, type=str)  # type: ignore[misc]  # members: QUEUES
QueueName.__doc__ = "工作队列"


def petition_filters(
    status: list[Status] | None = Query(None, description="状态（可多选）"),
    category: CleanStr | None = Query(None, description=f"类别：{'、'.join(CATEGORIES)}"),  # noqa: B008
    channel: CleanStr | None = Query(None, description=f"渠道：{'、'.join(CHANNELS)}"),  # noqa: B008
    unit_id: Id | None = Query(None, description="办理部门（主办或协办）"),
    accepting_unit_id: Id | None = Query(None, description="受理单位"),
    uscc: CleanStr | None = Query(None, max_length=18, description="统一社会信用代码"),
    clock: ClockFilter | None = Query(None, description="时限：overdue 任一环节超期，或指定环节超期"),
    overdue: bool | None = Query(None, description="true：任一环节超期；false：均未超期"),
    long_term: bool | None = Query(None, description="是否长期跟踪"),
    queue: QueueName | None = Query(None, description="工作队列：" + "、".join(  # noqa: B008
        f"{name} {q.label}" for name, q in QUEUES.items())),  # type: ignore[name-defined]  # noqa: B008  # mypy: a generator in a default
    received_from: SafeDate | None = Query(None, description="受理日期起（含，北京时间）"),
    received_to: SafeDate | None = Query(None, description="受理日期止（含，北京时间）"),
    q: CleanStr | None = Query(None, max_length=100, description="受理编号、纳税人名称、信用代码或诉求内容"),
) -> PetitionFilters:
    if category is not None and category not in CATEGORIES:
        raise Invalid(f"诉求类别“{category}”不存在，可选：{'、'.join(CATEGORIES)}")
    if channel is not None and channel not in CHANNELS:
        raise Invalid(f"受理渠道“{channel}”不存在，可选：{'、'.join(CHANNELS)}")
    if received_from and received_to and received_from > received_to:
        raise Invalid("受理日期的起始日不能晚于截止日")
    return PetitionFilters(status=[s.value for s in status] if status else None, category=category, channel=channel,
                           handling_unit_id=unit_id, accepting_unit_id=accepting_unit_id, uscc=uscc,
                           clock=clock.value if clock else None, overdue=overdue, long_term=long_term,
                           queue=queue.value if queue else None, q=q, received_from=received_from,
                           received_to=received_to)
