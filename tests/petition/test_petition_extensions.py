"""Extensions: a reason, the right approver, and never more than 10 working days in all."""
from datetime import date

import pytest
from sqlalchemy import select

from api.core.errors import Conflict, Forbidden, Invalid
from api.petition import extensions, service
from api.petition.models import PetitionEvent
from tests.petition.conftest import sh

D = date.fromisoformat


@pytest.fixture
def handling(session, org, new_petition):
    """A petition received and assigned on Tue 2025-09-30, before the National Day holiday."""
    def make(units=None):
        p = new_petition("2025-09-30 10:00")
        service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                          now=sh("2025-09-30 11:00"))
        service.assign(p, session=session, actor=org.service_clerk, unit_ids=units or [org.collection.id],
                       now=sh("2025-09-30 12:00"))
        return service.start(p, session=session, actor=org.handler, now=sh("2025-10-09 09:00"))
    return make


def ask(session, org, p, days, reason="需向上级核实政策口径", at="2025-10-10 09:00"):
    return extensions.request_extension(p, session=session, actor=org.handler, days=days, reason=reason, now=sh(at))


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_extension_without_a_reason_is_invalid(session, org, handling, reason):
    with pytest.raises(Invalid, match="说明原因") as info:
        ask(session, org, handling(), 3, reason=reason)
    assert info.value.status == 422


def test_supervisor_approves_a_single_department_extension_up_to_ten_working_days(session, org, handling):
    p = handling()
    assert p.handling_due == D("2025-10-14")
    ext = ask(session, org, p, 5)
    extensions.approve_extension(ext, session=session, actor=org.supervisor, now=sh("2025-10-10 15:00"))
    assert (ext.status, ext.approved_by, p.extended_days) == ("approved", org.supervisor.id, 5)
    assert p.handling_due == D("2025-10-21")  # 10 working days after 09-30
    with pytest.raises(Conflict, match="不得超过10个工作日") as info:
        ask(session, org, p, 1, at="2025-10-13 09:00")
    assert info.value.status == 409
    actions = session.execute(select(PetitionEvent.action).where(PetitionEvent.petition_id == p.id)
                              .order_by(PetitionEvent.id)).scalars().all()
    assert actions[-2:] == ["request_extension", "approve_extension"]


def test_extension_beyond_ten_working_days_is_refused_at_once(session, org, handling):
    p = handling()
    with pytest.raises(Conflict, match="最多还可延长5个工作日"):
        ask(session, org, p, 6)
    ext = ask(session, org, p, 3)
    extensions.approve_extension(ext, session=session, actor=org.supervisor)
    with pytest.raises(Conflict, match="已延长3个工作日，最多还可延长2个工作日"):
        ask(session, org, p, 3)


def test_joint_extension_needs_the_director(session, org, handling):
    p = handling(units=[org.collection.id, org.policy.id])
    ext = ask(session, org, p, 2)
    with pytest.raises(Forbidden, match="联合办理的延期须由本级税务机关主要领导") as info:
        extensions.approve_extension(ext, session=session, actor=org.supervisor)
    assert info.value.status == 403 and ext.status == "pending"
    extensions.approve_extension(ext, session=session, actor=org.director, now=sh("2025-10-10 16:00"))
    assert p.handling_due == D("2025-10-16")


def test_handlers_cannot_approve_and_nobody_approves_their_own_request(session, org, handling):
    p = handling()
    ext = ask(session, org, p, 2)
    with pytest.raises(Forbidden):
        extensions.approve_extension(ext, session=session, actor=org.policy_handler)
    own = extensions.request_extension(handling(), session=session, actor=org.supervisor, days=1, reason="人手不足",
                                       now=sh("2025-10-10 09:00"))
    with pytest.raises(Forbidden, match="自己"):
        extensions.approve_extension(own, session=session, actor=org.supervisor)


def test_one_pending_request_at_a_time_and_decisions_are_final(session, org, handling):
    p = handling()
    ext = ask(session, org, p, 2)
    with pytest.raises(Conflict, match="待审批"):
        ask(session, org, p, 1)
    with pytest.raises(Invalid, match="理由"):
        extensions.reject_extension(ext, session=session, actor=org.supervisor, note="")
    extensions.reject_extension(ext, session=session, actor=org.supervisor, note="五日内可以办结")
    assert ext.status == "rejected" and p.handling_due == D("2025-10-14") and p.extended_days == 0
    with pytest.raises(Conflict, match="已处理"):
        extensions.approve_extension(ext, session=session, actor=org.supervisor)


def test_no_extension_after_the_deadline_has_passed(session, org, handling):
    with pytest.raises(Conflict, match="已超过办理期限"):
        ask(session, org, handling(), 2, at="2025-10-15 09:00")


def test_resolving_cancels_a_pending_request(session, org, handling):
    p = handling()
    ext = ask(session, org, p, 2)
    service.resolve(p, session=session, actor=org.handler, resolution="已办结", now=sh("2025-10-10 10:00"))
    session.refresh(ext)
    assert ext.status == "cancelled"


@pytest.mark.parametrize("days", [0, -1, True])
def test_days_must_be_a_positive_integer(session, org, handling, days):
    with pytest.raises(Invalid):
        ask(session, org, handling(), days)
