"""Per-task deadlines in joint handling: each co-department's task is due with the petition's handling deadline
unless the lead sets an earlier one in working days; the deadline follows an approved extension; the sweep tells
the co-department when its task is due soon and when it is overdue (and the lead and the supervisors then); the
list flags and filters petitions with an overdue task. And the 本级 rule for deciding an extension."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from api.core.errors import Forbidden, Invalid
from api.notification.models import Notification
from api.org.service import create_staff, create_unit
from api.petition import extensions, scheduled, service
from api.petition.models import PetitionEvent
from api.petition.queries import PetitionFilters, list_petitions
from api.petition.schemas import PetitionRead
from tests.petition.conftest import sh

D = date.fromisoformat


@pytest.fixture
def joint(session, org, new_petition):
    """Received and assigned Tue 2025-09-30 to 征管科 (lead) and 税政科: handling due Tue 10-14 (after the
    National Day holiday); ``task_days`` gives 税政科 its own deadline."""
    def make(task_days=None):
        p = new_petition("2025-09-30 10:00")
        service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                          now=sh("2025-09-30 11:00"))
        return service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.collection.id, org.policy.id],
                              task_days=task_days, now=sh("2025-09-30 12:00"))
    return make


def task_of(petition, unit):
    return next(h for h in petition.handlers if h.unit_id == unit.id)


def test_a_task_is_due_with_the_handling_deadline_unless_an_earlier_one_is_set(session, org, joint):
    p = joint()
    assert p.handling_due == D("2025-10-14")
    assert [(h.unit_id, h.due, h.due_days) for h in p.handlers] == [
        (org.collection.id, D("2025-10-14"), None), (org.policy.id, D("2025-10-14"), None)]

    q = joint(task_days={org.policy.id: 2})  # 2 working days after Tue 09-30: Thu 10-09, Fri 10-10
    assert task_of(q, org.policy).due == D("2025-10-10") and task_of(q, org.collection).due == D("2025-10-14")
    assign = session.execute(select(PetitionEvent).where(PetitionEvent.petition_id == q.id,
                                                         PetitionEvent.action == "assign")).scalar_one()
    assert assign.data["task_dues"] == {str(org.policy.id): "2025-10-10"}


def test_the_lead_sets_and_resets_a_co_departments_deadline_within_the_handling_deadline(session, org, joint):
    p = joint()
    task = service.set_task_deadline(p, session=session, actor=org.handler, unit_id=org.policy.id, days=3,
                                     reason="需在办结前两天汇总", now=sh("2025-10-09 09:00"))
    assert (task.due, task.due_days) == (D("2025-10-11"), 3)  # Sat 10-11 is a working day (调休)
    event = session.execute(select(PetitionEvent).where(PetitionEvent.action == "set_task_deadline",
                                                        PetitionEvent.petition_id == p.id)).scalar_one()
    assert (event.reason, event.data["task_due_before"], event.data["task_due"]) == (
        "需在办结前两天汇总", "2025-10-14", "2025-10-11")

    with pytest.raises(Invalid, match="不能晚于诉求的办理期限（2025-10-14）"):
        service.set_task_deadline(p, session=session, actor=org.handler, unit_id=org.policy.id, days=6)
    with pytest.raises(Invalid, match="正整数"):
        service.set_task_deadline(p, session=session, actor=org.handler, unit_id=org.policy.id, days=0)
    with pytest.raises(Forbidden, match="主办部门"):  # the co-department does not set its own deadline
        service.set_task_deadline(p, session=session, actor=org.policy_handler, unit_id=org.policy.id, days=1)
    with pytest.raises(Invalid, match="办理期限"):  # the lead's own task is the handling deadline
        service.set_task_deadline(p, session=session, actor=org.handler, unit_id=org.collection.id, days=1)

    back = service.set_task_deadline(p, session=session, actor=org.handler, unit_id=org.policy.id, days=None)
    assert (back.due, back.due_days) == (D("2025-10-14"), None)


def test_an_approved_extension_moves_the_tasks_that_follow_the_handling_deadline(session, org, joint):
    p = joint(task_days={org.policy.id: 2})
    # a third co-department follows the handling deadline
    service.start(p, session=session, actor=org.handler, now=sh("2025-10-09 09:00"))
    service.add_co_handler(p, session=session, actor=org.handler, unit_id=org.legal.id, reason="涉及处罚决定",
                           now=sh("2025-10-09 10:00"))
    ask = extensions.request_extension(p, session=session, actor=org.handler, days=2, reason="需会商",
                                       now=sh("2025-10-09 11:00"))
    extensions.approve_extension(ask, session=session, actor=org.director, now=sh("2025-10-09 12:00"))
    assert p.handling_due == D("2025-10-16")
    assert (task_of(p, org.policy).due, task_of(p, org.legal).due) == (D("2025-10-10"), D("2025-10-16"))


def test_inviting_a_co_department_with_days_gives_it_its_own_deadline(session, org, joint):
    p = joint()
    service.start(p, session=session, actor=org.handler, now=sh("2025-10-09 09:00"))
    task = service.add_co_handler(p, session=session, actor=org.handler, unit_id=org.legal.id, reason="涉及处罚决定",
                                  days=1, now=sh("2025-10-09 10:00"))
    assert (task.due, task.due_days) == (D("2025-10-10"), 1)
    with pytest.raises(Invalid, match="不能晚于"):
        service.add_co_handler(p, session=session, actor=org.handler, unit_id=org.district_dept.id, reason="属地",
                               days=9, now=sh("2025-10-09 10:00"))


def _task_marks(session, petition):
    return [(e.action, e.data["unit_id"], e.data["due"]) for e in session.execute(
        select(PetitionEvent).where(PetitionEvent.petition_id == petition.id,
                                    PetitionEvent.action.in_(("clock_due_soon", "clock_overdue")))
        .order_by(PetitionEvent.id)).scalars() if e.data.get("clock") == "task"]


def _notes(session, petition):
    return [(n.kind, n.recipient_unit_id, n.recipient_staff_id, n.message) for n in session.execute(
        select(Notification).where(Notification.petition_id == petition.id).order_by(Notification.id)).scalars()]


def test_the_sweep_tells_the_co_department_its_task_is_due_soon_then_overdue_once_each(session, org, joint):
    p = joint(task_days={org.policy.id: 2})  # 税政科 due Fri 10-10, the petition Tue 10-14
    service.start(p, session=session, actor=org.handler, now=sh("2025-10-09 09:00"))

    scheduled.sweep(session, today=D("2025-10-09"), now=sh("2025-10-09 08:00"))
    scheduled.sweep(session, today=D("2025-10-09"), now=sh("2025-10-09 08:01"))
    assert _task_marks(session, p) == [("clock_due_soon", org.policy.id, "2025-10-10")]
    task_notes = [n for n in _notes(session, p) if "协办" in n[3]]
    assert task_notes == [("due_soon", org.policy.id, None,
                           f"联合办理的诉求 {p.ticket} 中，本部门的协办期限将于 2025-10-10 届满，请及时提交办理意见。")]

    scheduled.sweep(session, today=D("2025-10-11"), now=sh("2025-10-11 08:00"))
    assert _task_marks(session, p)[-1] == ("clock_overdue", org.policy.id, "2025-10-10")
    overdue = [n for n in _notes(session, p) if "协办期限（2025-10-10）" in n[3]]
    assert [(kind, unit, staff) for kind, unit, staff, _ in overdue] == [
        ("overdue", org.policy.id, None), ("overdue", org.collection.id, None), ("escalated", None, org.supervisor.id)]
    assert "税政科已超过协办期限" in overdue[1][3]

    # the list flags and filters it
    seen = PetitionRead.from_petition(p, D("2025-10-11"))
    assert seen.overdue_tasks == ["税政科"]
    rows, total = list_petitions(PetitionFilters(clock="task_overdue", extra=()), session=session, today=D("2025-10-11"))  # noqa: RUF059
    assert p.id in [r.id for r in rows]
    service.complete_task(p, session=session, actor=org.policy_handler, unit_id=org.policy.id, answer="口径已明确",
                          now=sh("2025-10-11 09:00"))
    rows, _ = list_petitions(PetitionFilters(clock="task_overdue"), session=session, today=D("2025-10-11"))
    assert p.id not in [r.id for r in rows]
    assert PetitionRead.from_petition(p, D("2025-10-11")).overdue_tasks == []
    assert task_of(p, org.policy).clock(D("2025-10-11"))["state"].value == "missed"


def test_completed_tasks_and_the_leads_own_task_are_not_swept_as_tasks(session, org, joint):
    p = joint(task_days={org.policy.id: 2})
    service.start(p, session=session, actor=org.handler, now=sh("2025-10-09 09:00"))
    service.complete_task(p, session=session, actor=org.policy_handler, unit_id=org.policy.id, answer="已核实",
                          now=sh("2025-10-09 10:00"))
    scheduled.sweep(session, today=D("2025-10-15"), now=sh("2025-10-15 08:00"))
    assert _task_marks(session, p) == []


# -- 本级: who decides an extension ---------------------------------------------------------------

@pytest.fixture
def other_bureau(session, org):
    """The leaders of another city bureau and of the province above."""
    other = create_unit(session=session, name="另一市税务局", level="city", kind="tax_unit", parent_id=org.city.parent_id)
    return (create_staff(session=session, username="other-sup", display_name="另一市分管局长", role="supervisor",
                         unit_id=other.id),
            create_staff(session=session, username="prov-dir", display_name="省局局长", role="director",
                         unit_id=org.city.parent_id))


def test_an_extension_is_decided_only_by_a_leader_of_the_handling_departments_bureau(session, org, other_bureau,
                                                                                      new_petition):
    p = new_petition("2025-09-30 10:00")
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                      now=sh("2025-09-30 11:00"))
    service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.collection.id], now=sh("2025-09-30 12:00"))
    ask = extensions.request_extension(p, session=session, actor=org.handler, days=2, reason="需调取资料",
                                       now=sh("2025-10-09 09:00"))
    other_supervisor, province_director = other_bureau
    for leader in (other_supervisor, province_director):
        with pytest.raises(Forbidden, match="本级税务机关（市税务局）") as refused:
            extensions.approve_extension(ask, session=session, actor=leader, now=sh("2025-10-09 10:00"))
        assert refused.value.code == "not_same_level"
        with pytest.raises(Forbidden, match="本级"):
            extensions.reject_extension(ask, session=session, actor=leader, note="不同意")
    assert ask.status == "pending"
    extensions.approve_extension(ask, session=session, actor=org.supervisor, now=sh("2025-10-09 10:00"))
    assert ask.status == "approved"


def test_after_a_transfer_down_the_district_bureaus_leaders_decide(session, org, new_petition):
    district = session.get(type(org.city), org.district_dept.parent_id)
    district_supervisor = create_staff(session=session, username="dist-sup", display_name="区局分管局长",
                                       role="supervisor", unit_id=district.id)
    district_handler = create_staff(session=session, username="dist-h", display_name="区局经办", role="handler",
                                    unit_id=org.district_dept.id)
    p = new_petition("2025-09-30 10:00")
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                      now=sh("2025-09-30 11:00"))
    service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.collection.id], now=sh("2025-09-30 12:00"))
    service.transfer(p, session=session, actor=org.handler, to_unit_id=org.district_dept.id, reason="属区局管辖",
                     now=sh("2025-10-09 09:00"))
    ask = extensions.request_extension(p, session=session, actor=district_handler, days=1, reason="需实地核查",
                                       now=sh("2025-10-09 10:00"))
    with pytest.raises(Forbidden, match="区税务局"):
        extensions.approve_extension(ask, session=session, actor=org.supervisor)  # the city is not 本级 any more
    extensions.approve_extension(ask, session=session, actor=district_supervisor, now=sh("2025-10-09 11:00"))
    assert ask.status == "approved"
