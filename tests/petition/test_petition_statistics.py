"""Statistics on a small known set: volumes, on-time rates per clock, handling time in working days,
by category, channel, unit, week and month (Shanghai dates); and common demands from the texts."""
from __future__ import annotations

from datetime import date

import pytest

from api.core.errors import Invalid
from api.org.service import create_staff
from api.petition import service
from api.petition.statistics import common_demands, statistics
from api.petition.timing import ClockState
from tests.petition.conftest import sh

D = date.fromisoformat
TODAY = D("2025-11-10")


@pytest.fixture
def known_set(session, org, new_petition):
    """A: handled and fed back on time (4 working days); B: answered on the spot; C: handled late and
    not fed back; D: never handed over; E: handed over late, long-term; F: received on the last evening
    of the period; G: just after it (outside)."""
    s = session

    def flow(p, handed, assigned=None, resolved=None, fed_back=None, long_term=False, unit=None):
        service.hand_over(p, session=s, actor=org.registrar, service_unit_id=org.service_dept.id, now=sh(handed))
        if assigned:
            service.assign(p, session=s, actor=org.service_clerk, unit_ids=[(unit or org.collection).id],
                           long_term=long_term, reason="系统优化建议" if long_term else None, now=sh(assigned))
        if resolved:
            handler = org.policy_handler if unit is org.policy else org.handler
            service.start(p, session=s, actor=handler, now=sh(assigned))
            service.resolve(p, session=s, actor=handler, resolution="已办结", now=sh(resolved))
        if fed_back:
            service.feed_back(p, session=s, actor=org.handler, now=sh(fed_back))
        return p

    a = flow(new_petition("2025-09-30 10:00", category="信息化建设类", channel="智能助手"),
             "2025-09-30 11:00", "2025-09-30 12:00", "2025-10-13 16:00", "2025-10-14 10:00")
    b = new_petition("2025-09-30 15:00", category="纳税服务类", channel="12366热线", answered_on_the_spot=True,
                     answer="已当场答复")
    c = flow(new_petition("2025-10-09 09:00", category="信息化建设类", channel="12366热线"),
             "2025-10-10 10:00", "2025-10-10 11:00", "2025-10-20 09:00")
    d = new_petition("2025-10-09 09:00", category="执法规范类", channel="智能助手")
    e = flow(new_petition("2025-11-03 10:00", category="政策落实类", channel="税务网站"),
             "2025-11-05 10:00", "2025-11-05 11:00", long_term=True, unit=org.policy)
    f = new_petition("2025-11-30 23:30", category="其他", channel="其他")
    g = new_petition("2025-12-01 00:10", category="其他", channel="其他")
    return dict(a=a, b=b, c=c, d=d, e=e, f=f, g=g)  # noqa: C408


def stats(session, group_by):
    return statistics(session, D("2025-09-01"), D("2025-11-30"), group_by, today=TODAY)


def clock(figures, name):
    c = figures["on_time"][name]
    return c["met"], c["missed"], c["overdue"], c["rate"]


def test_totals_count_received_handled_fed_back_and_on_time_rates(session, known_set):
    total = stats(session, "category")["total"]
    assert (total["received"], total["handled"], total["fed_back"]) == (6, 3, 2)
    assert clock(total, "handover") == (2, 2, 1, 0.5)  # A, C on time; E late; D still waiting (overdue)
    assert clock(total, "handling") == (1, 1, 0, 0.5)  # A met, C late; E long-term is not timed
    assert clock(total, "feedback") == (1, 1, 1, 0.5)  # A met; C due 10-21, still not fed back
    assert total["avg_handling_days"] == 4.0  # A 4, B 0, C 8 working days from receipt


def test_by_category(session, known_set):
    groups = {g["key"]: g for g in stats(session, "category")["groups"]}
    assert set(groups) == {"信息化建设类", "纳税服务类", "执法规范类", "政策落实类", "其他"}
    it = groups["信息化建设类"]
    assert (it["received"], it["handled"], it["fed_back"], it["avg_handling_days"]) == (2, 2, 1, 6.0)
    assert clock(it, "handover") == (2, 0, 0, 1.0) and clock(it, "handling") == (1, 1, 0, 0.5)
    spot = groups["纳税服务类"]
    assert (spot["received"], spot["handled"], spot["avg_handling_days"]) == (1, 1, 0.0)
    assert clock(spot, "handover") == (0, 0, 0, None)  # answered on the spot: no clock runs
    assert clock(groups["执法规范类"], "handover") == (0, 1, 1, 0.0)
    assert groups["执法规范类"]["avg_handling_days"] is None
    assert groups["其他"]["received"] == 1  # G, received on 12-01 Shanghai time, is outside


def test_by_channel(session, known_set):
    groups = {g["key"]: g for g in stats(session, "channel")["groups"]}
    assert {k: g["received"] for k, g in groups.items()} == {"智能助手": 2, "12366热线": 2, "税务网站": 1, "其他": 1}
    hotline = groups["12366热线"]
    assert (hotline["handled"], hotline["avg_handling_days"]) == (2, 4.0)
    assert clock(hotline, "handover") == (1, 0, 0, 1.0)
    assert clock(groups["智能助手"], "handover") == (1, 1, 1, 0.5)


def test_by_month_and_week_use_shanghai_dates(session, known_set):
    months = stats(session, "month")["groups"]
    assert [(g["key"], g["label"], g["received"]) for g in months] == [
        ("2025-09", "2025年9月", 2), ("2025-10", "2025年10月", 2), ("2025-11", "2025年11月", 2)]
    assert months[0]["avg_handling_days"] == 2.0 and months[1]["avg_handling_days"] == 8.0
    weeks = stats(session, "week")["groups"]
    assert [(g["key"], g["received"]) for g in weeks] == [
        ("2025-09-29", 2), ("2025-10-06", 2), ("2025-11-03", 1), ("2025-11-24", 1)]
    assert weeks[0]["label"] == "2025年第40周（09-29起）"


def test_by_unit(session, org, known_set):
    groups = {g["label"]: g for g in stats(session, "unit")["groups"]}
    assert groups[org.collection.name]["received"] == 2 and groups[org.collection.name]["key"] == org.collection.id
    assert groups[org.policy.name]["received"] == 1
    assert groups["未转办理部门"]["received"] == 3 and groups["未转办理部门"]["key"] is None


def test_statistics_refuses_an_unknown_grouping_or_a_reversed_period(session):
    with pytest.raises(Invalid):
        statistics(session, D("2025-09-01"), D("2025-11-30"), "colour")
    with pytest.raises(Invalid):
        statistics(session, D("2025-11-30"), D("2025-09-01"), "month")


def test_common_demands_find_a_repeated_theme(session, new_petition):
    repeated = [
        "数电发票开具时提示授信额度不足，无法继续开票，希望尽快调整开票额度。",
        "我司开具数电发票一直失败，系统提示额度不够，请帮忙提高授信额度。",
        "数电发票授信额度太低，月底开不了票，影响正常经营。",
    ]
    others = ["个体户经营所得汇算清缴时专项附加扣除填报有误，如何更正？",
              "希望社保费缴费基数调整能提前通知，今年调整太突然。",
              "申请信用修复后信用等级多久能恢复？已补正逾期申报。"]
    made = [new_petition(f"2025-10-{10 + i} 10:00", content=text) for i, text in enumerate(repeated + others)]
    result = common_demands(session, D("2025-10-01"), D("2025-10-31"), top=5)
    assert result["texts"] == 6
    top = result["themes"][0]
    assert top["count"] == 3 and {"数电发票", "授信额度"} & set(top["keywords"])
    assert set(top["keywords"]) <= {"数电发票", "授信额度", "开具", "额度", "开票", "开票额度", "提示", "开不了"}
    newest = [made[2].ticket, made[1].ticket]
    assert [e["ticket"] for e in top["examples"]] == newest
    assert all(t["count"] >= 2 for t in result["themes"])


def test_return_visits_satisfaction_and_extensions_are_counted(session, org, new_petition):
    """December: two fed back on Tue 12-02 (one visited, rated 4 by staff and 2 by the enterprise; the other's
    visit was due on Tue 12-09, so overdue on 12-10), one answered on the spot and rated 5 (it owes no visit),
    one extended twice (3 days approved, then 2 days still pending); November's petition stays out."""
    from api.petition import extensions

    s = session

    def handled(received, category="信息化建设类"):
        p = new_petition(received, category=category)
        service.hand_over(p, session=s, actor=org.registrar, service_unit_id=org.service_dept.id, now=sh(received))
        service.assign(p, session=s, actor=org.service_clerk, unit_ids=[org.collection.id], now=sh(received))
        return service.start(p, session=s, actor=org.handler, now=sh(received))

    def fed_back(received, category="信息化建设类"):
        p = handled(received, category)
        service.resolve(p, session=s, actor=org.handler, resolution="已办结", now=sh(received))
        return service.feed_back(p, session=s, actor=org.handler, now=sh(received))

    visited = fed_back("2025-12-02 10:00")
    service.return_visit(visited, session=s, actor=org.registrar, satisfaction=4, now=sh("2025-12-03 10:00"))
    visited.enterprise_rating = 2
    unvisited = fed_back("2025-12-02 11:00")
    unvisited.enterprise_rating = 5
    spot = new_petition("2025-12-02 12:00", category="纳税服务类", answered_on_the_spot=True, answer="已当场答复")
    spot.satisfaction = 5
    extended = handled("2025-12-04 09:00", category="纳税服务类")
    first = extensions.request_extension(extended, session=s, actor=org.handler, days=3, reason="需核实",
                                         now=sh("2025-12-05 09:00"))
    extensions.approve_extension(first, session=s, actor=org.supervisor, now=sh("2025-12-05 10:00"))
    extensions.request_extension(extended, session=s, actor=org.handler, days=2, reason="仍需核实",
                                 now=sh("2025-12-08 09:00"))
    outside = fed_back("2025-11-28 10:00")
    service.return_visit(outside, session=s, actor=org.registrar, satisfaction=1, now=sh("2025-12-01 10:00"))
    s.flush()

    body = statistics(s, D("2025-12-01"), D("2025-12-31"), "category", today=D("2025-12-10"))
    total = body["total"]
    assert (total["visited"], total["awaiting_visit"]) == (1, 1)
    assert total["satisfaction"] == {"rated": 2, "average": 4.5,
                                     "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}}
    assert total["extensions"] == {"requested": 2, "approved": 1, "rejected": 0, "pending": 1, "approved_days": 3,
                                   "avg_extra_days": 3.0}
    assert total["enterprise_rating"] == {"rated": 2, "average": 3.5,
                                          "distribution": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}}
    assert total["visits"] == {"due": 2, "done": 1, "overdue": 1}
    on_the_due_day = statistics(s, D("2025-12-01"), D("2025-12-31"), "category", today=D("2025-12-09"))["total"]
    assert on_the_due_day["visits"] == {"due": 2, "done": 1, "overdue": 0}
    # the row's 回访 clock says the same: due on 12-09, overdue from 12-10; met once visited; none on the spot
    assert unvisited.visit_clock(D("2025-12-09")) == {"due": D("2025-12-09"), "state": ClockState.due_soon,
                                                      "days_left": 0}
    assert unvisited.visit_clock(D("2025-12-10"))["state"] is ClockState.overdue
    assert visited.visit_clock(D("2025-12-10"))["state"] is ClockState.met and spot.visit_clock(D("2025-12-10")) is None
    groups = {g["key"]: g for g in body["groups"]}
    assert groups["纳税服务类"]["extensions"]["requested"] == 2 and groups["信息化建设类"]["extensions"]["requested"] == 0
    assert groups["信息化建设类"]["satisfaction"]["average"] == 4.0
    for group_by in ("channel", "unit", "week", "month"):
        again = statistics(s, D("2025-12-01"), D("2025-12-31"), group_by, today=D("2025-12-10"))["total"]
        assert (again["extensions"], again["satisfaction"], again["visited"], again["enterprise_rating"],
                again["visits"]) == (total["extensions"], total["satisfaction"], total["visited"],
                                     total["enterprise_rating"], total["visits"]), group_by
    service.close(unvisited, session=s, actor=org.registrar, now=sh("2025-12-11 10:00"))
    assert unvisited.visit_clock(D("2025-12-12")) is None  # closed without a visit: no clock runs


def test_co_departments_tasks_are_counted_completed_late_and_overdue(session, org, new_petition):
    """Two joint petitions received Mon 2025-12-01: 税政科 given 1 working day (due Tue 12-02) in both; in one it
    answers on Wed 12-03 (late), in the other not at all (overdue on 12-04); 法制科 answers on time."""
    s = session

    def joint(received):
        p = new_petition(received)
        service.hand_over(p, session=s, actor=org.registrar, service_unit_id=org.service_dept.id, now=sh(received))
        service.assign(p, session=s, actor=org.service_clerk, unit_ids=[org.collection.id, org.policy.id, org.legal.id],
                       task_days={org.policy.id: 1}, now=sh(received))
        return service.start(p, session=s, actor=org.handler, now=sh(received))

    late, open_ = joint("2025-12-01 09:00"), joint("2025-12-01 10:00")
    service.complete_task(late, session=s, actor=org.policy_handler, unit_id=org.policy.id, answer="已核实",
                          now=sh("2025-12-03 09:00"))
    legal = create_staff(session=s, username="legal-h", display_name="法制科经办", role="handler", unit_id=org.legal.id)
    service.complete_task(open_, session=s, actor=legal, unit_id=org.legal.id, answer="无处罚", now=sh("2025-12-02 09:00"))
    s.flush()
    total = statistics(s, D("2025-12-01"), D("2025-12-31"), "unit", today=D("2025-12-04"))["total"]
    assert total["tasks"] == {"total": 4, "completed": 2, "late": 1, "overdue": 1}
