"""/api/campaigns for operators (preview, schedule, cancel, funnel, recheck) and /api/repairs for staff
(credit-repair applications on their 5-working-day clock): listed and decided only by the unit that
serves the enterprise (and units above it; an admin: all); another unit's application answers 404."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import select, true

from api.auth.deps import CurrentStaff, require_roles
from api.core.database import SessionDep, get_or_404
from api.core.errors import Conflict, Invalid, NotFound
from api.core.time import aware_now, china_date
from api.enterprise.models import Enterprise
from api.inputs import CleanStr, Id
from api.org.models import StaffAccount
from api.outbox.service import notice_for_repair
from api.petition.access import unit_tree
from api.reminder import campaigns
from api.reminder import repairs as repair_views
from api.reminder.models import REPAIR_STATUSES, Campaign, RepairApplication
from api.reminder.schemas import (
    CampaignCreate,
    CampaignDetail,
    CampaignOut,
    CampaignPreview,
    CampaignSchedule,
    Rechecked,
    RepairDecided,
    RepairDecision,
    RepairDetail,
    RepairRow,
    RuleOut,
    campaign_wire,
    repair_wire,
)
from knowledge.rules.engine import get_rules

__all__ = ["router", "repairs_router"]

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"],
                   dependencies=[Depends(require_roles("operator", "admin"))])
repairs_router = APIRouter(prefix="/api/repairs", tags=["campaigns"],
                           dependencies=[Depends(require_roles("staff", "handler", "supervisor", "admin"))])


@router.get("/rules", response_model=list[RuleOut], summary="可用于活动的规则")
def rules() -> list[dict]:
    return [{"id": r.id, "type": r.type, "title": r.title, "topic": r.topic, "quiet_days": r.quiet_days}
            for r in get_rules().values()]


@router.get("", response_model=list[CampaignOut], summary="活动列表，最新在前")
def list_campaigns(session: SessionDep) -> list[dict]:
    rows = session.execute(select(Campaign).order_by(Campaign.id.desc()).limit(200)).scalars()
    return [campaign_wire(c) for c in rows]


@router.post("", response_model=CampaignOut, status_code=201, summary="新建活动（草稿）")
def create(body: CampaignCreate, staff: CurrentStaff, session: SessionDep) -> dict:
    campaign = campaigns.create(body.name, body.rule_id, session=session, staff_id=staff.id, now=aware_now(),
                                repeat=body.repeat)
    session.commit()
    return campaign_wire(campaign)


@router.get("/preview", response_model=CampaignPreview, summary="预览规则的目标企业数与样例")
def preview(rule_id: CleanStr, session: SessionDep) -> dict:
    return campaigns.preview(rule_id, session=session, today=china_date(aware_now()))


@router.get("/{campaign_id}", response_model=CampaignDetail, summary="活动详情与漏斗")
def detail(campaign_id: Id, session: SessionDep) -> dict:
    campaign = get_or_404(session, Campaign, campaign_id, "活动")
    return {**campaign_wire(campaign), "funnel": campaigns.funnel(campaign, session=session)}


@router.post("/{campaign_id}/schedule", response_model=CampaignOut, summary="安排发送（不填时间即立即发送）")
def schedule(campaign_id: Id, body: CampaignSchedule, session: SessionDep) -> dict:
    campaign = get_or_404(session, Campaign, campaign_id, "活动")
    campaigns.schedule(campaign, body.at, now=aware_now())
    session.commit()
    return campaign_wire(campaign)


@router.post("/{campaign_id}/cancel", response_model=CampaignOut, summary="取消活动（已发出的提醒保留）")
def cancel(campaign_id: Id, session: SessionDep) -> dict:
    campaign = get_or_404(session, Campaign, campaign_id, "活动")
    campaigns.cancel(campaign, now=aware_now())
    session.commit()
    return campaign_wire(campaign)


@router.post("/{campaign_id}/recheck", response_model=Rechecked, summary="复核：规则已不再命中的提醒记为已纠正")
def recheck(campaign_id: Id, session: SessionDep) -> dict:
    campaign = get_or_404(session, Campaign, campaign_id, "活动")
    marked = campaigns.recheck(campaign, session=session, now=aware_now())
    session.commit()
    return {"corrected_now": marked, "funnel": campaigns.funnel(campaign, session=session)}


def _in_scope(staff: StaffAccount):
    """The applications ``staff`` lists and decides: those of its unit and the units below it; admin: all."""
    if staff.role == "admin":
        return true()
    return RepairApplication.unit_id.in_(unit_tree(staff.unit_id))


@repairs_router.get("", response_model=list[RepairRow], summary="本单位的信用修复申请（含企业、扣分项与办理时限），按到期日排序")
def repairs(staff: CurrentStaff, session: SessionDep, status: CleanStr = "received") -> list[dict]:
    if status != "all" and status not in REPAIR_STATUSES:
        raise Invalid("申请状态只能是已受理、已通过、未通过或全部", code="unknown_status")
    query = select(RepairApplication).where(_in_scope(staff))
    if status != "all":
        query = query.where(RepairApplication.status == status)
    rows = session.execute(query.order_by(RepairApplication.due_date, RepairApplication.id).limit(500)).scalars().all()
    return repair_views.listed(list(rows), session=session, today=china_date(aware_now()))


@repairs_router.get("/{application_id}", response_model=RepairDetail, summary="一件信用修复申请：企业、扣分项与纠正情况、提醒、审核结果")
def repair_detail(application_id: Id, staff: CurrentStaff, session: SessionDep) -> dict:
    application = session.execute(select(RepairApplication).where(
        RepairApplication.id == application_id, _in_scope(staff))).scalar_one_or_none()
    if application is None:  # another unit's application answers as one that does not exist
        raise NotFound(f"修复申请 {application_id} 不存在或不属于本单位")
    return repair_views.detailed(application, session=session, today=china_date(aware_now()))


@repairs_router.post("/{application_id}/decision", response_model=RepairDecided, summary="审核本单位的信用修复申请")
def decide(application_id: Id, body: RepairDecision, staff: CurrentStaff, session: SessionDep) -> dict:
    application = session.execute(select(RepairApplication).where(
        RepairApplication.id == application_id, _in_scope(staff)).with_for_update()).scalar_one_or_none()
    if application is None:  # another unit's application answers as one that does not exist
        raise NotFound(f"修复申请 {application_id} 不存在或不属于本单位")
    if application.status != "received":
        raise Conflict("该申请已审核", code="already_decided")
    application.status = "approved" if body.approve else "rejected"
    application.decided_at, application.decided_by_staff_id, application.decision_note = aware_now(), staff.id, body.note
    uscc = session.execute(select(Enterprise.uscc).where(Enterprise.id == application.enterprise_id)).scalar_one()
    # the enterprise hears it in its chat and 消息, and by SMS when its mobile number is on record
    _, sms = notice_for_repair(application, uscc=uscc, session=session, now=application.decided_at)
    session.commit()
    return {**repair_wire(application), "sms_queued": sms is not None}
