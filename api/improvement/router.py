"""Routes of bot improvement (docs/dashboard-api.md): ``/api/improvements`` (drafts, approval, rejection) and
``/api/knowledge/entries|attention`` for the draft dialog and the entries that need an editor. Approving changes
the database only; the retrain job (:mod:`api.improvement.scheduled`, ``make retrain``) writes the files.
Roles: :mod:`api.analytics.deps`. Routes own the transaction: services flush, routes commit.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from api.analytics.deps import Operator
from api.core.database import SessionDep
from api.core.runtime import SettingsDep
from api.core.time import aware_now
from api.improvement import service as improvements
from api.improvement.schemas import (
    Attention,
    EntryChoice,
    ImprovementBody,
    ImprovementOptions,
    ImprovementOut,
    ImprovementPage,
    ImprovementStatus,
    RejectBody,
)
from api.inputs import MAX_PAGE, CleanStr, Id
from common.workdays import china_today

__all__ = ["router"]

router = APIRouter(tags=["bot improvements"])


@router.post("/api/improvements", status_code=201, response_model=ImprovementOut, summary="起草一项改进（例句、问法或新条目）")
def post_improvement(body: ImprovementBody, staff: Operator, session: SessionDep,
                     settings: SettingsDep) -> dict[str, Any]:
    improvement = improvements.create(body.model_dump(), staff, session=session, settings=settings, now=aware_now())
    data = improvements.wire_one(improvement, session=session)
    session.commit()
    return data


@router.get("/api/improvements", response_model=ImprovementPage, summary="改进列表")
def get_improvements(staff: Operator, session: SessionDep, status: ImprovementStatus | None = None,
                     page: int = Query(1, ge=1, le=MAX_PAGE),
                     page_size: int = Query(20, ge=1, le=100)) -> dict[str, Any]:
    return improvements.listing(status.value if status else None, page, page_size, session=session)


@router.post("/api/improvements/{improvement_id}/approve", response_model=ImprovementOut, summary="审核通过（由重新训练任务写入并训练）")
def approve_improvement(improvement_id: Id, staff: Operator, session: SessionDep,
                        settings: SettingsDep) -> dict[str, Any]:
    improvement = improvements.approve(improvement_id, staff, session=session, settings=settings, now=aware_now())
    data = improvements.wire_one(improvement, session=session)
    session.commit()
    return data


@router.post("/api/improvements/{improvement_id}/reject", response_model=ImprovementOut, summary="驳回改进草稿")
def reject_improvement(improvement_id: Id, staff: Operator, session: SessionDep,
                       body: RejectBody | None = None) -> dict[str, Any]:
    note = body.note if body else None
    improvement = improvements.reject(improvement_id, staff, note, session=session, now=aware_now())
    data = improvements.wire_one(improvement, session=session)
    session.commit()
    return data


@router.get("/api/improvements/options", response_model=ImprovementOptions, summary="起草改进可选的意图与知识主题")
def get_improvement_options(staff: Operator, settings: SettingsDep) -> dict[str, Any]:
    return improvements.options(settings)


@router.get("/api/knowledge/entries", response_model=list[EntryChoice], summary="按编号、标题或问题检索知识条目（起草改进时选择）")
def get_entry_choices(staff: Operator, settings: SettingsDep, q: CleanStr = Query(..., max_length=200)) -> list[dict[str, Any]]:
    return improvements.entry_choices(q, settings)


@router.get("/api/knowledge/attention", response_model=Attention, summary="需要关注的知识条目（已过有效期或待复核）")
def get_attention(staff: Operator, settings: SettingsDep) -> dict[str, Any]:
    return improvements.attention(settings, china_today())
