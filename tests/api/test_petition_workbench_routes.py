"""The read routes the staff app's 诉求 pages stand on, over HTTP against the real database: the steps a caller
is offered are exactly the ones the server then accepts, the queue of extension requests waiting for a decision
holds only what the caller may decide, the ledger names its actors, and the units to pick from."""
import pytest

from common.identifiers import make_uscc
from tests.api.test_petition_routes import post


def _detail(client, p, headers):
    response = client.get(f"/api/petitions/{p['id']}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _ask_extension(client, p, headers, days=2):
    response = client.post(f"/api/petitions/{p['id']}/extensions", json={"days": days, "reason": "需调取申报数据核实"},
                           headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _pending(client, headers):
    response = client.get("/api/petitions/extensions/pending", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def in_progress(client, world, auth, register):
    def make(units=None):
        p = register()
        post(client, p, "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
        post(client, p, "assign", auth(world.clerk), unit_ids=units or [world.collection.id])
        return post(client, p, "start", auth(world.handler))
    return make


def test_each_role_is_offered_the_steps_the_server_then_accepts(client, world, auth, register):
    p = register()
    assert _detail(client, p, auth(world.registrar))["actions"] == ["hand_over"]
    assert _detail(client, p, auth(world.operator))["actions"] == []  # operators read, never act
    post(client, p, "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
    assert _detail(client, p, auth(world.clerk))["actions"] == ["assign"]
    post(client, p, "assign", auth(world.clerk), unit_ids=[world.collection.id])
    assert _detail(client, p, auth(world.handler))["actions"] == ["start", "transfer", "add_co_handler",
                                                                  "request_extension"]
    assert _detail(client, p, auth(world.clerk))["actions"] == []  # the service desk does not handle it
    post(client, p, "start", auth(world.handler))
    _ask_extension(client, p, auth(world.handler))
    offered = _detail(client, p, auth(world.handler))["actions"]
    assert "request_extension" not in offered and "resolve" in offered  # one pending request at a time
    assert client.post(f"/api/petitions/{p['id']}/extensions", json={"days": 1, "reason": "再延"},
                       headers=auth(world.handler)).status_code == 409
    assert "decide_extension" in _detail(client, p, auth(world.supervisor))["actions"]


def test_in_joint_handling_the_co_department_is_not_offered_what_only_the_lead_may_do(client, world, auth,
                                                                                        in_progress):
    p = in_progress(units=[world.collection.id, world.policy.id])
    co = _detail(client, p, auth(world.policy_handler))["actions"]
    assert co == ["complete_task"]  # its own part, nothing of the lead's
    refused = client.post(f"/api/petitions/{p['id']}/resolve", json={"resolution": "已答复"},
                          headers=auth(world.policy_handler))
    assert refused.status_code == 403
    assert "resolve" not in _detail(client, p, auth(world.handler))["actions"]  # the co-department's part is open
    post(client, p, f"tasks/{world.policy.id}/complete", auth(world.policy_handler), answer="已会商")
    assert _detail(client, p, auth(world.policy_handler))["actions"] == []
    assert "resolve" in _detail(client, p, auth(world.handler))["actions"]


def test_the_pending_queue_holds_what_the_caller_may_decide_and_never_its_own(client, world, auth, in_progress):
    single = in_progress()
    joint = in_progress(units=[world.collection.id, world.policy.id])
    asked_single = _ask_extension(client, single, auth(world.handler))
    asked_joint = _ask_extension(client, joint, auth(world.handler), days=1)

    by_supervisor = _pending(client, auth(world.supervisor))
    assert [(x["extension"]["id"], x["petition"]["ticket"]) for x in by_supervisor] == \
        [(asked_single["id"], single["ticket"])]  # a joint petition's extension is the director's
    assert by_supervisor[0]["requested_by_name"] == world.handler.display_name
    assert {x["extension"]["id"] for x in _pending(client, auth(world.director))} == \
        {asked_single["id"], asked_joint["id"]}

    client.post(f"/api/petitions/extensions/{asked_single['id']}/approve", headers=auth(world.supervisor))
    assert _pending(client, auth(world.supervisor)) == []
    assert client.get("/api/petitions/extensions/pending", headers=auth(world.handler)).status_code == 403


def test_the_ledger_names_its_actors(client, world, auth, in_progress):
    p = in_progress()
    detail = _detail(client, p, auth(world.clerk))
    names = detail["actor_names"]
    assert [names[e["actor"]] for e in detail["events"]] == [
        world.registrar.display_name, world.registrar.display_name, world.clerk.display_name,
        world.handler.display_name]


def test_the_list_says_who_may_register(client, world, auth):
    assert client.get("/api/petitions", headers=auth(world.registrar)).json()["may_register"] is True
    assert client.get("/api/petitions", headers=auth(world.handler)).json()["may_register"] is False


def test_staff_get_the_units_to_pick_from_and_enterprises_do_not(client, world, auth, enterprise_token):
    units = client.get("/api/units", headers=auth(world.clerk))
    assert units.status_code == 200
    mine = {u["id"]: u for u in units.json()}
    assert mine[world.service_dept.id]["kind"] == "service_department"
    assert mine[world.collection.id]["name"] == world.collection.name
    assert client.get("/api/units").status_code == 401
    token = enterprise_token(make_uscc(7))
    assert client.get("/api/units", headers={"Authorization": f"Bearer {token}"}).status_code in (401, 403)
