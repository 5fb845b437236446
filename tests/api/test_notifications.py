"""Notification routes over HTTP, fed by the SLA sweep; and the sweeper's place in the app's lifespan."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from api.core.runtime import runtime
from api.main import create_app
from api.petition import scheduled
from common.identifiers import make_uscc


@pytest.fixture
def overdue(client, world, auth):
    """A petition received 20 days ago and never handed over (its handover clock ran out), swept."""
    body = dict(taxpayer_name="成都小微商贸有限公司", uscc=make_uscc(7), contact_phone="13800138000",  # noqa: C408
                content="电子税务局无法勾选小规模减免，申报时提示错误。", category="信息化建设类", channel="12366热线",
                received_at=(datetime.now(timezone.utc) - timedelta(days=20)).isoformat())
    response = client.post("/api/petitions", json=body, headers=auth(world.registrar))
    assert response.status_code == 201, response.text
    redis = runtime(client.app).redis
    redis.delete(scheduled.LOCK_NAME)
    result = scheduled.run_sweep_once(runtime(client.app).session_factory, redis)
    assert result is not None and result.overdue >= 1 and result.escalated >= 1
    return response.json()


def listed(client, headers, **params):
    response = client.get("/api/notifications", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_sweep_notifies_the_unit_that_owes_the_step_and_its_supervisor(client, world, auth, overdue):
    mine = listed(client, auth(world.registrar))
    assert mine["unread"] == 1
    [note] = mine["items"]
    assert (note["kind"], note["petition_id"], note["recipient_unit_id"]) == ("overdue", overdue["id"],
                                                                               world.service_dept.id)
    assert overdue["ticket"] in note["message"] and note["read_at"] is None
    assert listed(client, auth(world.clerk))["items"] == mine["items"]  # the same unit
    escalated = listed(client, auth(world.supervisor))
    assert [(n["kind"], n["recipient_staff_id"]) for n in escalated["items"]] == [("escalated", world.supervisor.id)]
    assert listed(client, auth(world.handler)) == {"unread": 0, "items": []}


def test_mark_read_and_unread_filter(client, world, auth, overdue):
    note = listed(client, auth(world.registrar))["items"][0]
    response = client.post(f"/api/notifications/{note['id']}/read", headers=auth(world.registrar))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == note["id"] and response.json()["read_at"]
    after = listed(client, auth(world.clerk))  # read for the whole unit
    assert after["unread"] == 0 and after["items"][0]["read_at"]
    assert listed(client, auth(world.clerk), unread_only=True)["items"] == []
    again = client.post(f"/api/notifications/{note['id']}/read", headers=auth(world.registrar))
    assert again.status_code == 200 and again.json()["read_at"] == response.json()["read_at"]


def test_someone_elses_notification_is_404(client, world, auth, enterprise_token, overdue):
    unit_note = listed(client, auth(world.registrar))["items"][0]
    staff_note = listed(client, auth(world.supervisor))["items"][0]
    for note, who in ((unit_note, world.handler), (unit_note, world.supervisor), (staff_note, world.director),
                      (staff_note, world.registrar)):
        response = client.post(f"/api/notifications/{note['id']}/read", headers=auth(who))
        assert response.status_code == 404, (note, who)
    assert listed(client, auth(world.registrar))["unread"] == 1  # untouched
    assert client.post("/api/notifications/999999999/read", headers=auth(world.registrar)).status_code == 404
    token = {"Authorization": f"Bearer {enterprise_token(make_uscc(5))}"}
    assert client.get("/api/notifications", headers=token).status_code == 403
    assert client.get("/api/notifications").status_code == 401


# -- the sweeper in the lifespan ------------------------------------------------------------------

def test_tests_run_without_the_sweeper(client):
    assert runtime(client.app).tasks.get("sla-sweep") is None


def test_the_app_starts_and_stops_the_sweeper(settings, monkeypatch):
    swept = threading.Event()
    real = scheduled.run_sweep_once

    def sweep_and_tell(*args, **kwargs):
        try:
            return real(*args, **kwargs)
        finally:
            swept.set()

    monkeypatch.setattr(scheduled, "run_sweep_once", sweep_and_tell)
    app = create_app(settings.model_copy(update={"sla_sweep_enabled": True}))
    with TestClient(app) as client:
        task = runtime(app).tasks.get("sla-sweep")
        assert task is not None and task.get_name() == "sla-sweep"
        assert swept.wait(30), "the first sweep runs at start-up"
        assert not task.done()
        assert client.get("/health").status_code == 200
    assert task.done() and task.cancelled()
