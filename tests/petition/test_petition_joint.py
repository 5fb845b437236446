"""Joint handling (联合办理) in the services: each co-department's own task, the lead alone moves the petition,
outside departments (市场监管, 社保…) co-handle and see only what they co-handle, and the extension rules that
follow from it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from api.core.errors import Conflict, Forbidden, Invalid, NotFound
from api.org.service import create_staff, create_unit
from api.outbox.models import EnterpriseNotice
from api.petition import extensions, service
from api.petition.access import visible_clause
from api.petition.models import Petition, PetitionEvent
from tests.petition.conftest import sh


@pytest.fixture
def outside(session, org):
    """The city's social-insurance bureau (outside the tax system) with a handler and a would-be director."""
    unit = create_unit(session=session, name="市社会保险事业管理局", level="city", kind="outside_department",
                       parent_id=org.city.id)
    handler = create_staff(session=session, username="shebao", display_name="社保经办", role="handler",
                           unit_id=unit.id)
    chief = create_staff(session=session, username="shebao-chief", display_name="社保局长", role="director",
                         unit_id=unit.id)
    return unit, handler, chief


@pytest.fixture
def joint(session, org, new_petition):
    """A petition handled jointly: 征管科 leads, 税政科 co-handles; started on Thu 2025-10-09."""
    def make(units=None):
        p = new_petition("2025-09-30 10:00")
        service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                          now=sh("2025-09-30 11:00"))
        service.assign(p, session=session, actor=org.service_clerk,
                       unit_ids=units or [org.collection.id, org.policy.id], now=sh("2025-09-30 12:00"))
        return service.start(p, session=session, actor=org.handler, now=sh("2025-10-09 09:00"))
    return make


@pytest.fixture
def handling(session, org, new_petition):
    """A single-department petition (征管科), started on Thu 2025-10-09."""
    def make():
        p = new_petition("2025-09-30 10:00")
        service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                          now=sh("2025-09-30 11:00"))
        service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.collection.id],
                       now=sh("2025-09-30 12:00"))
        return service.start(p, session=session, actor=org.handler, now=sh("2025-10-09 09:00"))
    return make


def task_of(petition, unit):
    return next(h for h in petition.handlers if h.unit_id == unit.id)


def test_each_co_department_completes_its_own_part_and_the_lead_resolves_after_all(session, org, joint):
    p = joint()
    with pytest.raises(Conflict, match="协办部门尚未完成办理：税政科") as refused:
        service.resolve(p, session=session, actor=org.handler, resolution="已答复", now=sh("2025-10-10 09:00"))
    assert refused.value.status == 409 and p.status == "in_progress"

    task = service.complete_task(p, session=session, actor=org.policy_handler, unit_id=org.policy.id,
                                 answer="  减免政策口径：月销售额10万元以下免征。 ", now=sh("2025-10-10 10:00"))
    assert (task.answer, task.completed_by, task.completed_at) == (
        "减免政策口径：月销售额10万元以下免征。", org.policy_handler.id, sh("2025-10-10 10:00"))
    assert p.status == "in_progress"  # a part completed does not move the petition
    event = session.execute(select(PetitionEvent).where(PetitionEvent.petition_id == p.id)
                            .order_by(PetitionEvent.id.desc())).scalars().first()
    assert (event.action, event.actor, event.reason, event.data["unit_id"]) == (
        "complete_task", str(org.policy_handler.id), task.answer, org.policy.id)

    service.resolve(p, session=session, actor=org.handler, resolution="已答复企业", now=sh("2025-10-10 11:00"))
    lead = task_of(p, org.collection)
    assert p.status == "resolved" and (lead.answer, lead.completed_by) == ("已答复企业", org.handler.id)


def test_a_part_is_completed_only_by_its_own_department_once_while_handling(session, org, joint):
    p = joint()
    with pytest.raises(Forbidden, match="只有该协办部门的工作人员"):
        service.complete_task(p, session=session, actor=org.handler, unit_id=org.policy.id, answer="代填")
    with pytest.raises(Conflict, match="主办部门的办理结果在办结时填写"):
        service.complete_task(p, session=session, actor=org.handler, unit_id=org.collection.id, answer="x")
    with pytest.raises(NotFound):
        service.complete_task(p, session=session, actor=org.handler, unit_id=org.legal.id, answer="x")
    with pytest.raises(Invalid, match="请填写本部门的办理意见"):
        service.complete_task(p, session=session, actor=org.policy_handler, unit_id=org.policy.id, answer=" ")
    service.complete_task(p, session=session, actor=org.policy_handler, unit_id=org.policy.id, answer="已会商")
    with pytest.raises(Conflict, match="不能重复提交"):
        service.complete_task(p, session=session, actor=org.policy_handler, unit_id=org.policy.id, answer="再改")
    service.resolve(p, session=session, actor=org.handler, resolution="已答复")
    with pytest.raises(Conflict, match="已办结”，不能提交协办意见"):
        service.complete_task(p, session=session, actor=org.policy_handler, unit_id=org.policy.id, answer="迟到")


def test_outside_departments_co_handle_but_never_lead(session, org, new_petition, outside):
    unit, _, _ = outside
    p = new_petition()
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id)
    with pytest.raises(Invalid, match="税务系统外部门，只能协办"):
        service.assign(p, session=session, actor=org.service_clerk, unit_ids=[unit.id, org.collection.id])
    service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.collection.id, unit.id])
    assert p.joint and [(h.unit_id, h.lead) for h in p.handlers] == [(org.collection.id, True), (unit.id, False)]


def test_the_lead_invites_an_outside_department_with_a_reason_and_the_enterprise_is_told(session, org, handling,
                                                                                          outside):
    unit, shebao, _ = outside
    p = handling()
    assert not p.joint
    with pytest.raises(Invalid, match="须说明原因"):
        service.add_co_handler(p, session=session, actor=org.handler, unit_id=unit.id, reason=" ")
    with pytest.raises(Forbidden, match="主办部门"):
        service.add_co_handler(p, session=session, actor=org.policy_handler, unit_id=unit.id, reason="涉及社保费")
    with pytest.raises(Invalid, match="不是办理部门"):
        service.add_co_handler(p, session=session, actor=org.handler, unit_id=org.city.id, reason="x")
    task = service.add_co_handler(p, session=session, actor=org.handler, unit_id=unit.id,
                                  reason="涉及社保费缴费基数核定", now=sh("2025-10-09 10:00"))
    assert p.joint and not task.lead and task.unit_id == unit.id and not task.completed
    with pytest.raises(Conflict, match="已在办理该诉求"):
        service.add_co_handler(p, session=session, actor=org.handler, unit_id=unit.id, reason="再请")
    notice = session.execute(select(EnterpriseNotice).where(EnterpriseNotice.petition_id == p.id)
                             .order_by(EnterpriseNotice.id.desc())).scalars().first()
    assert "市社会保险事业管理局" in notice.text and "涉及社保费缴费基数核定" in notice.text
    # its part is on the same ledger, and the lead waits for it
    with pytest.raises(Conflict, match="市社会保险事业管理局"):
        service.resolve(p, session=session, actor=org.handler, resolution="x")
    service.complete_task(p, session=session, actor=shebao, unit_id=unit.id, answer="缴费基数已按规定核定")
    assert service.resolve(p, session=session, actor=org.handler, resolution="已答复").status == "resolved"


def test_an_outside_department_sees_only_what_it_co_handles(session, org, joint, outside):
    unit, shebao, chief = outside
    theirs = joint(units=[org.collection.id, unit.id])
    other = joint()
    for account in (shebao, chief):  # whatever the role, only the co-handled petitions
        seen = set(session.execute(select(Petition.id).where(visible_clause(account))).scalars())
        assert theirs.id in seen and other.id not in seen
    assert other.id in set(session.execute(select(Petition.id).where(visible_clause(org.director))).scalars())


def test_a_co_department_neither_starts_nor_transfers_the_petition(session, org, new_petition):
    p = new_petition()
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id)
    service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.collection.id, org.policy.id])
    with pytest.raises(Forbidden, match="只有主办部门可以开始办理"):
        service.start(p, session=session, actor=org.policy_handler)
    service.start(p, session=session, actor=org.handler)
    with pytest.raises(Forbidden, match="只有主办部门可以上报或下转"):
        service.transfer(p, session=session, actor=org.policy_handler, to_unit_id=org.district_dept.id,
                         reason="属区局管辖")
    assert p.handling_unit_id == org.collection.id


def test_transfer_in_joint_handling_moves_the_lead_and_keeps_the_co_departments_parts(session, org, joint):
    p = joint()
    service.complete_task(p, session=session, actor=org.policy_handler, unit_id=org.policy.id, answer="已会商")
    with pytest.raises(Invalid, match="已在办理该诉求"):
        service.transfer(p, session=session, actor=org.handler, to_unit_id=org.policy.id, reason="x")
    service.transfer(p, session=session, actor=org.handler, to_unit_id=org.province_dept.id,
                     reason="涉及全省征管系统配置，超出本级职责")
    assert p.handling_unit_id == org.province_dept.id and p.joint
    assert [(h.unit_id, h.lead) for h in p.handlers] == [(org.province_dept.id, True), (org.policy.id, False)]
    assert task_of(p, org.policy).answer == "已会商"


def test_only_the_lead_asks_for_an_extension_of_a_joint_petition(session, org, joint):
    p = joint()
    with pytest.raises(Forbidden, match="协办部门不能申请"):
        extensions.request_extension(p, session=session, actor=org.policy_handler, days=2, reason="需会商",
                                     now=sh("2025-10-10 09:00"))
    assert extensions.request_extension(p, session=session, actor=org.handler, days=2, reason="需会商",
                                        now=sh("2025-10-10 09:00")).status == "pending"


def test_a_request_made_before_a_co_department_joined_needs_the_director(session, org, handling, outside):
    unit, _, chief = outside
    p = handling()
    ext = extensions.request_extension(p, session=session, actor=org.handler, days=2, reason="需调取资料",
                                       now=sh("2025-10-10 09:00"))
    service.add_co_handler(p, session=session, actor=org.handler, unit_id=unit.id, reason="涉及社保费")
    with pytest.raises(Forbidden, match="主要领导"):
        extensions.approve_extension(ext, session=session, actor=org.supervisor)
    with pytest.raises(Forbidden, match="税务系统外部门不能审批延期"):
        extensions.approve_extension(ext, session=session, actor=chief)
    assert extensions.approve_extension(ext, session=session, actor=org.director).status == "approved"
