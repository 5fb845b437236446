"""Petition life cycle: deadlines in working days across holidays, the ledger, illegal moves."""
from datetime import date

import pytest
from sqlalchemy import select

from api.core.errors import Conflict, Forbidden, Invalid
from api.org.service import create_unit
from api.petition import service
from api.petition.constants import Status
from api.petition.models import Petition, PetitionEvent, PetitionHandler
from api.petition.timing import ClockState
from tests.petition.conftest import sh

D = date.fromisoformat


def events(session, petition):
    query = select(PetitionEvent).where(PetitionEvent.petition_id == petition.id).order_by(PetitionEvent.id)
    return session.execute(query).scalars().all()


def to_in_progress(session, org, petition, at="2025-09-30 16:00", units=None):
    service.hand_over(petition, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                      now=sh(at))
    service.assign(petition, session=session, actor=org.service_clerk, unit_ids=units or [org.collection.id],
                   now=sh(at))
    return service.start(petition, session=session, actor=org.handler, now=sh(at))


def test_happy_path_before_national_day_has_deadlines_after_the_holiday(session, org, new_petition):
    p = new_petition("2025-09-30 10:00")  # Tuesday; 10-01..10-08 off, Saturday 10-11 is a working day
    assert p.ticket == "SQ-20250930-0001" and p.status == "registered"
    assert p.handover_due == D("2025-10-09")

    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                      now=sh("2025-09-30 15:00"))
    service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.collection.id],
                   now=sh("2025-09-30 16:00"))
    assert (p.status, p.handling_unit_id, p.joint) == ("assigned", org.collection.id, False)
    assert p.handling_due == D("2025-10-14")  # 10-09, 10-10, 10-11 (Sat), 10-13, 10-14

    service.start(p, session=session, actor=org.handler, now=sh("2025-10-09 09:00"))
    assert p.clocks(D("2025-10-13"))["handling"]["state"] is ClockState.due_soon
    service.resolve(p, session=session, actor=org.handler, resolution="已修复勾选功能，请重新申报。",
                    now=sh("2025-10-13 17:00"))
    assert p.feedback_due == D("2025-10-14")
    service.feed_back(p, session=session, actor=org.handler, now=sh("2025-10-14 09:00"))
    service.return_visit(p, session=session, actor=org.service_clerk, satisfaction=5, now=sh("2025-10-20 10:00"))
    service.close(p, session=session, actor=org.service_clerk, now=sh("2025-10-20 10:05"))

    assert p.status == "closed" and p.satisfaction == 5
    clocks = p.clocks(D("2025-10-21"))
    assert {name: c["state"] for name, c in clocks.items()} == {
        "handover": ClockState.met, "handling": ClockState.met, "feedback": ClockState.met}
    ledger = events(session, p)
    assert [(e.action, e.from_status, e.to_status) for e in ledger] == [
        ("register", None, "registered"),
        ("hand_over", "registered", "handed_over"),
        ("assign", "handed_over", "assigned"),
        ("start", "assigned", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("feed_back", "resolved", "fed_back"),
        ("return_visit", "fed_back", "visited"),
        ("close", "visited", "closed"),
    ]
    assert ledger[0].actor == str(org.registrar.id) and ledger[4].actor == str(org.handler.id)
    assert ledger[2].data["handling_due"] == "2025-10-14"
    assert ledger[0].at == sh("2025-09-30 10:00")  # stored in UTC, read back aware


def test_late_steps_are_missed_not_met(session, org, new_petition):
    p = new_petition("2025-09-30 10:00")
    to_in_progress(session, org, p, at="2025-10-10 09:00")  # handed over a day late
    service.resolve(p, session=session, actor=org.handler, resolution="已处理", now=sh("2025-10-20 09:00"))
    clocks = p.clocks(D("2025-10-20"))
    assert clocks["handover"]["state"] is ClockState.missed
    assert p.handling_due == D("2025-10-16") and clocks["handling"]["state"] is ClockState.missed


def test_answered_on_the_spot_is_closed_at_once(session, org, new_petition):
    p = new_petition(answered_on_the_spot=True, answer="可在电子税务局“税费申报”菜单重新勾选。")
    assert p.status == "closed"
    assert p.resolved_at == p.fed_back_at == p.closed_at == sh("2025-09-30 10:00")
    assert p.handover_due is None and p.resolution.startswith("可在")
    assert all(c["state"] is ClockState.untimed for c in p.clocks(D("2025-12-01")).values())
    assert [(e.action, e.to_status, e.reason) for e in events(session, p)] == [
        ("register", "registered", None), ("close", "closed", "当场办理或答复")]


def test_on_the_spot_without_an_answer_is_invalid(new_petition):
    with pytest.raises(Invalid, match="答复内容"):
        new_petition(answered_on_the_spot=True)


@pytest.mark.parametrize("move", ["resolve", "assign", "feed_back", "close", "return_visit", "start"])
def test_illegal_transitions_from_registered_are_conflicts_with_a_reason(session, org, new_petition, move):
    p = new_petition()
    kwargs = {"resolve": {"resolution": "x", "actor": org.handler}, "assign": {"unit_ids": [org.collection.id]},
              "feed_back": {"actor": org.handler}, "return_visit": {"satisfaction": 3}}.get(move, {})
    kwargs.setdefault("actor", org.service_clerk)
    with pytest.raises(Conflict) as info:
        getattr(service, move)(p, session=session, **kwargs)
    assert info.value.status == 409 and info.value.code == "illegal_transition"
    assert f"诉求 {p.ticket} 当前状态为“已受理登记”，不能" in info.value.detail
    assert p.status == "registered" and len(events(session, p)) == 1


def test_closed_petition_cannot_move_again(session, org, new_petition):
    p = new_petition(answered_on_the_spot=True, answer="已答复")
    with pytest.raises(Conflict, match="诉求已关闭"):
        service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id)


def test_resolve_needs_start_and_says_so(session, org, new_petition):
    p = new_petition()
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                      now=sh("2025-09-30 11:00"))
    service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.collection.id],
                   now=sh("2025-09-30 12:00"))
    with pytest.raises(Conflict, match="请先开始办理"):
        service.resolve(p, session=session, actor=org.handler, resolution="x")


def test_hand_over_goes_to_a_service_department(session, org, new_petition):
    with pytest.raises(Invalid, match="不是纳税服务部门"):
        service.hand_over(new_petition(), session=session, actor=org.registrar, service_unit_id=org.collection.id)


def test_joint_handling_records_all_departments_with_one_lead(session, org, new_petition):
    p = new_petition()
    to_in_progress(session, org, p, units=[org.collection.id, org.policy.id])
    assert p.joint and p.handling_unit_id == org.collection.id
    handlers = session.execute(select(PetitionHandler).where(PetitionHandler.petition_id == p.id)
                               .order_by(PetitionHandler.id)).scalars().all()
    assert [(h.unit_id, h.lead) for h in handlers] == [(org.collection.id, True), (org.policy.id, False)]
    assert p.handling_due == D("2025-10-14")


def test_only_the_lead_department_resolves_and_feeds_back(session, org, new_petition):
    p = new_petition()
    to_in_progress(session, org, p, units=[org.collection.id, org.policy.id])
    with pytest.raises(Forbidden, match="谁主办、谁反馈"):
        service.resolve(p, session=session, actor=org.policy_handler, resolution="x")
    with pytest.raises(Forbidden):
        service.resolve(p, session=session, actor="system", resolution="x")


def test_resolution_is_required(session, org, new_petition):
    p = new_petition()
    to_in_progress(session, org, p)
    with pytest.raises(Invalid, match="办理结果"):
        service.resolve(p, session=session, actor=org.handler, resolution="  ")


def test_reconsideration_is_routed_to_the_legal_unit_without_a_handling_clock(session, org, new_petition):
    p = new_petition(category="法律救济类", reconsideration=True, content="对罚款决定不服，申请行政复议。")
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                      now=sh("2025-09-30 11:00"))
    service.assign(p, session=session, actor=org.service_clerk, now=sh("2025-09-30 12:00"))
    assert p.handling_unit_id == org.legal.id and p.handling_due is None
    assert p.clocks(D("2026-01-01"))["handling"]["state"] is ClockState.untimed


def test_reconsideration_cannot_go_to_an_ordinary_department(session, org, new_petition):
    p = new_petition(category="法律救济类")
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id)
    with pytest.raises(Invalid, match="法制部门"):
        service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.collection.id],
                       reconsideration=True)


def test_reconsideration_belongs_to_legal_relief(new_petition):
    with pytest.raises(Invalid, match="法律救济类"):
        new_petition(category="纳税服务类", reconsideration=True)


def test_long_term_suggestions_are_tracked_and_never_overdue(session, org, new_petition):
    p = new_petition(category="政策落实类", content="建议将小规模纳税人季度申报改为半年申报。")
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                      now=sh("2025-09-30 11:00"))
    service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.policy.id], long_term=True,
                   reason="政策建议，需上级统筹研究", now=sh("2025-09-30 12:00"))
    assert p.long_term and p.handling_due is None
    far = D("2026-06-01")
    assert p.clocks(far)["handling"]["state"] is ClockState.untimed and not p.overdue(far)
    assert session.execute(select(Petition.id).where(Petition.overdue(far))).all() == []


@pytest.mark.parametrize("category, reason, message", [("执法规范类", "需研究", "长期跟踪"),
                                                        ("政策落实类", "", "说明原因")])
def test_long_term_needs_a_suggestion_category_and_a_reason(session, org, new_petition, category, reason, message):
    p = new_petition(category=category)
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id)
    with pytest.raises(Invalid, match=message):
        service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.policy.id], long_term=True,
                       reason=reason)


def test_transfer_up_a_level_restarts_the_handling_clock(session, org, new_petition):
    p = new_petition()
    to_in_progress(session, org, p)
    service.transfer(p, session=session, actor=org.handler, to_unit_id=org.province_dept.id,
                     reason="涉及全省征管系统配置，超出本级职责", now=sh("2025-10-09 10:00"))
    assert (p.status, p.handling_unit_id, p.started_at) == ("assigned", org.province_dept.id, None)
    assert p.handling_due == D("2025-10-15")  # received 10-09: 10-10, 10-11 (Sat), 10-13, 10-14, 10-15
    last = events(session, p)[-1]
    assert (last.action, last.reason, last.data["direction"]) == ("transfer", "涉及全省征管系统配置，超出本级职责", "up")


def test_transfer_down_a_level(session, org, new_petition):
    p = new_petition()
    to_in_progress(session, org, p)
    service.transfer(p, session=session, actor=org.handler, to_unit_id=org.district_dept.id, reason="属区局管辖")
    assert p.handling_unit_id == org.district_dept.id and events(session, p)[-1].data["direction"] == "down"


def test_transfer_needs_a_reason_and_an_adjacent_level(session, org, new_petition):
    p = new_petition()
    to_in_progress(session, org, p)
    with pytest.raises(Invalid, match="说明原因"):
        service.transfer(p, session=session, actor=org.handler, to_unit_id=org.district_dept.id, reason=" ")
    with pytest.raises(Invalid, match="上一级或转交下一级"):
        service.transfer(p, session=session, actor=org.handler, to_unit_id=org.policy.id, reason="同级")


@pytest.mark.parametrize("score", [0, 6, True, "5"])
def test_satisfaction_is_one_to_five(session, org, new_petition, score):
    p = new_petition()
    to_in_progress(session, org, p)
    service.resolve(p, session=session, actor=org.handler, resolution="已处理", now=sh("2025-10-09 10:00"))
    service.feed_back(p, session=session, actor=org.handler, now=sh("2025-10-09 11:00"))
    with pytest.raises(Invalid, match="满意度"):
        service.return_visit(p, session=session, actor=org.service_clerk, satisfaction=score)


def test_close_without_return_visit_after_feedback(session, org, new_petition):
    p = new_petition()
    to_in_progress(session, org, p)
    service.resolve(p, session=session, actor=org.handler, resolution="已处理", now=sh("2025-10-09 10:00"))
    service.feed_back(p, session=session, actor=org.handler, now=sh("2025-10-09 11:00"))
    service.close(p, session=session, actor="system", now=sh("2025-10-09 12:00"))
    assert p.status == Status.closed.value and events(session, p)[-1].actor == "system"


def test_every_change_appends_exactly_one_event_and_the_ledger_is_append_only(session, org, new_petition):
    p = new_petition()
    counts = [len(events(session, p))]
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id)
    counts.append(len(events(session, p)))
    service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.collection.id])
    counts.append(len(events(session, p)))
    assert counts == [1, 2, 3]
    first = events(session, p)[0]
    first.reason = "篡改"
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()


def test_inactive_staff_cannot_act(session, org, new_petition):
    p = new_petition()
    org.registrar.active = False
    with pytest.raises(Forbidden, match="停用"):
        service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id)


def test_transfer_goes_only_to_this_bureaus_superior_or_its_own_subordinate_bureaus(session, org, new_petition):
    """分级办理: 上报上级主管部门或转交下级主管部门 — the bureau above, or a bureau under this one; a department
    one level down in another city, or one level up in another province, is not in the chain."""
    province = org.province_dept.parent
    other_city = create_unit(session=session, name="另一市税务局", level="city", kind="tax_unit", parent_id=province.id)
    other_district = create_unit(session=session, name="另一市某区税务局", level="district", kind="tax_unit",
                                 parent_id=other_city.id)
    stranger = create_unit(session=session, name="另一市某区税源管理股", level="district", kind="handling_department",
                           parent_id=other_district.id)
    other_province = create_unit(session=session, name="另一省税务局", level="province", kind="tax_unit")
    far = create_unit(session=session, name="另一省征管处", level="province", kind="handling_department",
                      parent_id=other_province.id)
    p = new_petition()
    to_in_progress(session, org, p)
    for unit in (stranger, far):
        with pytest.raises(Invalid, match="上级税务机关或转交本机关的下级"):
            service.transfer(p, session=session, actor=org.handler, to_unit_id=unit.id, reason="属其管辖")
    assert p.handling_unit_id == org.collection.id
    service.transfer(p, session=session, actor=org.handler, to_unit_id=org.district_dept.id, reason="属区局管辖")
    assert p.handling_unit_id == org.district_dept.id


def test_hand_over_goes_to_this_bureaus_service_department_not_another_citys(session, org, new_petition):
    """受理登记后转交本级纳税服务部门: the accepting unit's bureau (or one above it), never another city's."""
    province = org.province_dept.parent
    other_city = create_unit(session=session, name="另一市税务局", level="city", kind="tax_unit", parent_id=province.id)
    other_service = create_unit(session=session, name="另一市纳税服务科", level="city", kind="service_department",
                                parent_id=other_city.id)
    province_service = create_unit(session=session, name="省局纳税服务处", level="province",
                                   kind="service_department", parent_id=province.id)
    p = new_petition()
    with pytest.raises(Invalid, match="本级纳税服务部门") as refused:
        service.hand_over(p, session=session, actor=org.registrar, service_unit_id=other_service.id)
    assert refused.value.code == "not_same_level" and p.status == "registered"
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=province_service.id)  # above: allowed
    assert p.service_unit_id == province_service.id


def _stranger_and_market(session, org):
    """Another city's tax handling department, and an outside department (市场监管) of no bureau."""
    other_city = create_unit(session=session, name="另一市税务局", level="city", kind="tax_unit",
                             parent_id=org.province_dept.parent.id)
    stranger = create_unit(session=session, name="另一市征管科", level="city", kind="handling_department",
                           parent_id=other_city.id)
    return stranger, create_unit(session=session, name="市场监督管理局", level="city", kind="outside_department")


def test_the_service_department_assigns_within_its_bureau_and_the_bureaus_under_it(session, org, new_petition):
    """属地管理、分级负责: the city's service department passes it to the city's or a district's department, never
    to another city's; an outside department is asked wherever it is."""
    stranger, market = _stranger_and_market(session, org)
    p = new_petition()
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id)
    for units in ([stranger.id], [org.collection.id, stranger.id], [org.province_dept.id]):
        with pytest.raises(Invalid, match="不能由本级纳税服务部门转交办理"):
            service.assign(p, session=session, actor=org.service_clerk, unit_ids=units)
    service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.district_dept.id, market.id])
    assert [h.unit_id for h in p.handlers] == [org.district_dept.id, market.id]


def test_a_co_department_is_of_the_bureau_handling_the_petition_or_under_it(session, org, new_petition):
    """协办 stays local too: the lead invites a department of its own bureau or of one under it, an outside department
    wherever it is, never another city's tax department."""
    stranger, market = _stranger_and_market(session, org)
    p = new_petition()
    to_in_progress(session, org, p)
    with pytest.raises(Invalid, match="不能邀请协办") as refused:
        service.add_co_handler(p, session=session, actor=org.handler, unit_id=stranger.id, reason="涉及另一市的登记")
    assert refused.value.code == "not_same_level" and not p.joint
    for unit in (org.district_dept, market):
        service.add_co_handler(p, session=session, actor=org.handler, unit_id=unit.id, reason="涉及其职责")
    assert [h.unit_id for h in p.handlers if not h.lead] == [org.district_dept.id, market.id]
