"""The SLA sweep: marks each clock due soon and overdue once, tells the unit that owes the step,
escalates an overdue clock to the supervisors above it, never breaches the long-term track,
and runs in one instance at a time under the Redis lock."""
from __future__ import annotations

import json
import threading
import time
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.redis_client import close_redis, connect_redis
from api.core.scheduling import stop_task
from api.notification import service as notifications
from api.notification.models import Notification
from api.org.service import create_staff
from api.petition import extensions, scheduled, service
from api.petition.models import PetitionEvent
from tests.conftest import TEST_REDIS_URL
from tests.petition.conftest import sh

D = date.fromisoformat


@pytest.fixture
def redis_conn(tmp_path):
    """The test Redis, or an embedded server of this test's own, started and shut down as the API does."""
    conn = connect_redis(TEST_REDIS_URL, str(tmp_path / "redis.db"))
    conn.delete(scheduled.LOCK_NAME)
    yield conn
    conn.delete(scheduled.LOCK_NAME)
    if TEST_REDIS_URL:
        conn.close()
    else:
        close_redis(conn)  # no redis-server outlives the test


@pytest.fixture
def session_factory(session):
    """Sessions on the test's connection: their commits stay inside the test's outer transaction."""
    connection = session.connection()
    return lambda: Session(bind=connection, future=True)


@pytest.fixture
def assigned(session, org, new_petition):
    """Received, handed over and assigned on Tue 2025-09-30: handover met, handling due Tue 10-14."""
    def make(unit=None, **overrides):
        p = new_petition("2025-09-30 10:00", **overrides)
        service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                          now=sh("2025-09-30 11:00"))
        return service.assign(p, session=session, actor=org.service_clerk, unit_ids=[(unit or org.collection).id],
                              now=sh("2025-09-30 12:00"))
    return make


def marks(session, petition=None):
    query = select(PetitionEvent.petition_id, PetitionEvent.action, PetitionEvent.data, PetitionEvent.actor).where(
        PetitionEvent.action.in_([scheduled.DUE_SOON, scheduled.OVERDUE])).order_by(PetitionEvent.id)
    if petition is not None:
        query = query.where(PetitionEvent.petition_id == petition.id)
    return [(pid, action, data["clock"], data["due"], actor) for pid, action, data, actor in session.execute(query)]


def notes(session, petition):
    query = select(Notification).where(Notification.petition_id == petition.id).order_by(Notification.id)
    return session.execute(query).scalars().all()


def run(session, day: str, at: str = "08:00"):
    return scheduled.sweep(session, today=D(day), now=sh(f"{day} {at}"))


def test_sweep_marks_a_clock_due_soon_then_overdue_once_each(session, org, new_petition, assigned):
    waiting = new_petition("2025-09-30 10:00")  # handover due Thu 10-09, never handed over
    working = assigned()  # handling due Tue 10-14
    first = run(session, "2025-09-30")  # 10-09 is the first working day after the holiday: due soon
    assert (first.due_soon, first.overdue) == (1, 0)
    assert marks(session) == [(waiting.id, "clock_due_soon", "handover", "2025-10-09", "system")]

    late = run(session, "2025-10-10")  # handover overdue; handling has 4 working days left (10-11 is worked)
    assert (late.due_soon, late.overdue) == (0, 1)
    assert run(session, "2025-10-11").changed == 0  # Sat make-up working day: 10-13 and 10-14 left
    assert run(session, "2025-10-13").due_soon == 1  # one working day left
    soon = marks(session, working)
    assert soon == [(working.id, "clock_due_soon", "handling", "2025-10-14", "system")]

    run(session, "2025-10-15")
    assert marks(session, working)[-1] == (working.id, "clock_overdue", "handling", "2025-10-14", "system")
    assert [m[1] for m in marks(session, waiting)] == ["clock_due_soon", "clock_overdue"]
    event = session.execute(select(PetitionEvent).where(PetitionEvent.petition_id == working.id)
                            .order_by(PetitionEvent.id.desc())).scalars().first()
    assert (event.from_status, event.to_status, event.at) == ("assigned", "assigned", sh("2025-10-15 08:00"))


def test_due_soon_counts_working_days_not_calendar_days(session, assigned):
    working = assigned()  # handover met; handling due Tue 10-14
    assert run(session, "2025-10-01").due_soon == 0  # holiday: 13 calendar days but 5 working days left
    assert run(session, "2025-10-12").due_soon == 0  # Sunday: 10-13 and 10-14 are two working days
    assert run(session, "2025-10-13").due_soon == 1
    assert marks(session, working) == [(working.id, "clock_due_soon", "handling", "2025-10-14", "system")]


def test_overdue_notifies_the_unit_and_escalates_to_its_supervisor(session, org, assigned):
    p = assigned()
    result = run(session, "2025-10-15")
    assert (result.overdue, result.escalated) == (1, 1)
    sent = notes(session, p)
    assert [(n.kind, n.recipient_unit_id, n.recipient_staff_id) for n in sent] == [
        ("overdue", org.collection.id, None), ("escalated", None, org.supervisor.id)]
    assert "已超过办理时限（2025-10-14）" in sent[0].message and p.ticket in sent[0].message
    assert sent[1].message.startswith("督办：") and org.collection.name in sent[1].message
    assert {r.id for r in result.notifications} == {n.id for n in sent}
    # the handler sees the unit's notification, the supervisor the escalation
    assert [n.kind for n in notifications.list_for_staff(org.handler, session=session)] == ["overdue"]
    assert [n.kind for n in notifications.list_for_staff(org.supervisor, session=session)] == ["escalated"]


def test_escalation_goes_to_the_nearest_unit_up_the_tree_that_has_supervisors(session, org, assigned):
    p = assigned(unit=org.district_dept)  # district bureau without a supervisor → the city's
    run(session, "2025-10-15")
    assert [n.recipient_staff_id for n in notes(session, p) if n.kind == "escalated"] == [org.supervisor.id]

    q = assigned(unit=org.district_dept)
    q.handling_due = D("2025-10-16")  # a later due date: a new clock to breach
    district_lead = create_staff(session=session, username="district-sup", display_name="区局分管领导",
                                 role="supervisor", unit_id=org.district_dept.parent_id)
    run(session, "2025-10-17")
    assert [n.recipient_staff_id for n in notes(session, q) if n.kind == "escalated"] == [district_lead.id]


def test_due_soon_and_overdue_go_to_the_unit_owing_the_step(session, org, new_petition):
    p = new_petition("2025-09-30 10:00")  # handover is owed by the accepting unit (纳税服务科)
    run(session, "2025-10-10")
    assert [(n.kind, n.recipient_unit_id) for n in notes(session, p) if n.recipient_unit_id] == [
        ("overdue", org.service_dept.id)]


def test_a_second_run_the_same_day_changes_nothing(session, org, new_petition, assigned):
    new_petition("2025-09-30 10:00")
    assigned()
    first = run(session, "2025-10-15")
    assert first.changed == 2
    counts = lambda: (session.execute(select(func.count()).select_from(PetitionEvent)).scalar_one(),  # noqa: E731
                      session.execute(select(func.count()).select_from(Notification)).scalar_one())
    before = counts()
    again = run(session, "2025-10-15", at="18:00")
    assert (again.due_soon, again.overdue, again.escalated, again.notifications) == (0, 0, 0, [])
    assert counts() == before
    assert run(session, "2025-10-16").changed == 0  # still overdue: not news any more


def test_a_new_due_date_starts_the_clock_afresh(session, org, assigned):
    p = assigned()
    service.start(p, session=session, actor=org.handler, now=sh("2025-10-09 09:00"))
    run(session, "2025-10-13")
    ext = extensions.request_extension(p, session=session, actor=org.handler, days=2, reason="需要核实",
                                       now=sh("2025-10-13 10:00"))
    extensions.approve_extension(ext, session=session, actor=org.supervisor, now=sh("2025-10-13 11:00"))
    assert p.handling_due == D("2025-10-16")
    assert run(session, "2025-10-13", at="12:00").changed == 0  # 3 working days left again
    run(session, "2025-10-15")
    assert [(m[1], m[3]) for m in marks(session, p)] == [("clock_due_soon", "2025-10-14"),
                                                         ("clock_due_soon", "2025-10-16")]


def test_long_term_petitions_are_never_breached(session, org, new_petition):
    p = new_petition("2025-09-30 10:00", content="建议电子税务局增加批量导入发票的功能")
    service.hand_over(p, session=session, actor=org.registrar, service_unit_id=org.service_dept.id,
                      now=sh("2025-09-30 11:00"))
    service.assign(p, session=session, actor=org.service_clerk, unit_ids=[org.policy.id], long_term=True,
                   reason="系统优化建议，纳入长期跟踪", now=sh("2025-09-30 12:00"))
    assert p.handling_due is None
    assert run(session, "2025-12-31").changed == 0
    p.handling_due = D("2025-10-14")  # even a stray due date does not make it breachable
    assert run(session, "2025-12-31").changed == 0
    assert marks(session, p) == [] and notes(session, p) == []


def test_finished_steps_and_on_the_spot_answers_are_left_alone(session, org, new_petition, assigned):
    new_petition("2025-09-30 10:00", answered_on_the_spot=True, answer="已当场答复")
    p = assigned()
    service.start(p, session=session, actor=org.handler, now=sh("2025-10-09 09:00"))
    service.resolve(p, session=session, actor=org.handler, resolution="已办结", now=sh("2025-10-10 09:00"))
    service.feed_back(p, session=session, actor=org.handler, now=sh("2025-10-10 10:00"))
    assert run(session, "2025-10-20").changed == 0


def test_feedback_clock_is_swept_too(session, org, assigned):
    p = assigned()
    service.start(p, session=session, actor=org.handler, now=sh("2025-10-09 09:00"))
    service.resolve(p, session=session, actor=org.handler, resolution="已办结", now=sh("2025-10-10 09:00"))
    assert p.feedback_due == D("2025-10-11")  # the Saturday make-up working day
    run(session, "2025-10-13")
    assert marks(session, p) == [(p.id, "clock_overdue", "feedback", "2025-10-11", "system")]


# -- run_sweep_once: lock, commit, publish ------------------------------------------------------

def test_run_sweep_once_commits_and_publishes_ids(session, org, new_petition, session_factory, redis_conn):
    p = new_petition("2025-09-30 10:00")
    subscriber = redis_conn.pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe(notifications.CHANNEL)
    try:
        result = scheduled.run_sweep_once(session_factory, redis_conn, today=D("2025-10-10"),
                                          now=sh("2025-10-10 08:00"))
        assert result is not None and result.overdue == 1 and len(result.notifications) == 2
        received, deadline = [], time.monotonic() + 5
        while len(received) < 2 and time.monotonic() < deadline:
            message = subscriber.get_message(timeout=0.5)
            if message:
                received.append(json.loads(message["data"]))
    finally:
        subscriber.close()
    mine = [m for m in received if m["petition_id"] == p.id]
    assert sorted(m["notification_id"] for m in mine) == sorted(r.id for r in result.notifications)
    assert set(mine[0]) == {"notification_id", "petition_id", "recipient_staff_id", "recipient_unit_id"}
    assert len(marks(session, p)) == 1  # visible to the test's session: committed on its connection
    assert redis_conn.get(scheduled.LOCK_NAME) is None  # released


def test_lock_held_by_another_instance_skips_the_run(session, new_petition, session_factory, redis_conn):
    p = new_petition("2025-09-30 10:00")
    other = redis_conn.lock(scheduled.LOCK_NAME, timeout=30)
    assert other.acquire(blocking=False)
    try:
        assert scheduled.run_sweep_once(session_factory, redis_conn, today=D("2025-10-10")) is None
        assert marks(session, p) == []
    finally:
        other.release()
    assert scheduled.run_sweep_once(session_factory, redis_conn, today=D("2025-10-10"),
                                    now=sh("2025-10-10 08:00")).overdue == 1


def test_concurrent_runs_sweep_once(monkeypatch, redis_conn):
    entered, release = threading.Event(), threading.Event()
    calls = []

    def slow_sweep(session, today=None, now=None):
        calls.append(today)
        entered.set()
        release.wait(5)
        return scheduled.SweepResult(today=today)

    class NoSession:
        def commit(self): pass
        def rollback(self): pass
        def close(self): pass

    monkeypatch.setattr(scheduled, "sweep", slow_sweep)
    results = {}
    first = threading.Thread(target=lambda: results.setdefault(
        "first", scheduled.run_sweep_once(NoSession, redis_conn, today=D("2025-10-10"))))
    first.start()
    assert entered.wait(5)
    results["second"] = scheduled.run_sweep_once(NoSession, redis_conn, today=D("2025-10-10"))
    release.set()
    first.join(5)
    assert results["second"] is None and results["first"] is not None and len(calls) == 1


def test_scheduler_task_sweeps_on_its_interval(monkeypatch, redis_conn):
    import asyncio
    from types import SimpleNamespace

    runs = []
    monkeypatch.setattr(scheduled, "run_sweep_once", lambda factory, redis: runs.append(redis))
    rt = SimpleNamespace(session_factory=object(), redis=redis_conn)

    async def main():
        task = scheduled.start_scheduler(rt, interval=0.01)
        await asyncio.sleep(0.2)
        await stop_task(task)
        return task

    task = asyncio.run(main())
    assert task.cancelled() and len(runs) >= 2 and task.get_name() == "sla-sweep"
