"""One filter for the list and the export: for the same query both select the same petitions,
the work queues (转交, 办理, 延期审批, 反馈, 回访, 长期跟踪) among them."""
import csv
import io
from uuid import uuid4

import pytest

from common.identifiers import make_uscc


@pytest.fixture
def step(client, world, auth):
    def do(p, name, who, body=None):
        response = client.post(f"/api/petitions/{p['id']}/{name}", json=body, headers=auth(who))
        assert response.status_code in (200, 201), response.text
        return response.json()
    return do


@pytest.fixture
def cases(world, register, step):
    """Six petitions of one marker, one at each stage of the process."""
    marker = uuid4().hex[:10]
    joint_uscc = make_uscc(int(marker[:7], 16))  # this test's own

    def assigned(units, how=None, **overrides):
        p = register(marker=marker, **overrides)
        step(p, "hand-over", world.registrar, {"service_unit_id": world.service_dept.id})
        return step(p, "assign", world.clerk, {"unit_ids": units, **(how or {})})

    waiting = register(marker=marker)
    joint = assigned([world.collection.id, world.policy.id], uscc=joint_uscc)
    extended = assigned([world.collection.id])
    step(extended, "start", world.handler)
    step(extended, "extensions", world.handler, {"days": 2, "reason": "需向上级核实政策口径"})
    fed_back = assigned([world.collection.id])
    step(fed_back, "start", world.handler)
    step(fed_back, "resolve", world.handler, {"resolution": "已协调解决"})
    step(fed_back, "feedback", world.handler)
    visited = assigned([world.collection.id])
    step(visited, "start", world.handler)
    step(visited, "resolve", world.handler, {"resolution": "已协调解决"})
    step(visited, "feedback", world.handler)
    step(visited, "return-visit", world.registrar, {"satisfaction": 5})
    tracked = assigned([world.policy.id], {"long_term": True, "reason": "政策建议，需长期跟踪"}, category="政策落实类")
    names = dict(waiting=waiting, joint=joint, extended=extended, fed_back=fed_back, visited=visited, tracked=tracked)  # noqa: C408
    return marker, joint_uscc, {k: v["ticket"] for k, v in names.items()}


def _listed(client, headers, params) -> set[str]:
    response = client.get("/api/petitions", params={**params, "page_size": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["ticket"] for item in response.json()["items"]}


def _exported(client, headers, params) -> set[str]:
    response = client.get("/api/petitions/export", params={**params, "format": "csv"}, headers=headers)
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return {row[0] for row in rows[1:]}


def test_the_export_holds_exactly_the_rows_of_the_list(client, world, auth, cases):
    marker, joint_uscc, _ = cases
    filters = [{}, {"unit_id": world.policy.id}, {"unit_id": world.collection.id}, {"uscc": joint_uscc},
               {"q": joint_uscc}, {"q": marker.upper()}, {"overdue": "false"}, {"clock": "overdue"},
               {"long_term": "true"}, {"status": ["registered", "assigned"]}, {"status": "fed_back"},
               {"queue": "to_visit"}, {"queue": "to_handle"}, {"queue": "awaiting_approval"},
               {"category": "政策落实类", "channel": "12366热线"}]
    for who in (world.supervisor, world.handler, world.policy_handler, world.operator):
        headers = auth(who)
        for params in filters:
            query = {"q": marker, **params} if "q" not in params else params
            listed, exported = _listed(client, headers, query), _exported(client, headers, query)
            assert listed == exported, (who.username, params)


def test_a_joint_department_and_a_credit_code_find_the_petition_in_list_and_export(client, world, auth, cases):
    marker, joint_uscc, t = cases
    headers = auth(world.operator)
    for select in (_listed, _exported):
        assert select(client, headers, {"q": marker, "unit_id": world.policy.id}) == {t["joint"], t["tracked"]}
        assert select(client, headers, {"q": marker, "uscc": joint_uscc.lower()}) == {t["joint"]}
        assert select(client, headers, {"q": joint_uscc}) == {t["joint"]}
        assert select(client, headers, {"q": marker, "long_term": "true"}) == {t["tracked"]}


def test_work_queues_hold_what_waits_for_the_next_step(client, world, auth, cases, step):
    marker, _, t = cases
    headers = auth(world.supervisor)
    expected = {"to_hand_over": {t["waiting"]}, "to_assign": set(), "to_handle": {t["joint"], t["extended"]},
                "to_start": {t["joint"]}, "in_handling": {t["extended"]},
                "awaiting_approval": {t["extended"]}, "to_feed_back": set(), "to_visit": {t["fed_back"]},
                "long_term": {t["tracked"]}}
    for queue, tickets in expected.items():
        assert _listed(client, headers, {"q": marker, "queue": queue}) == tickets, queue
    # a handler sees its own unit's work only
    assert _listed(client, auth(world.policy_handler), {"q": marker, "queue": "to_handle"}) == {t["joint"]}
    assert client.get("/api/petitions", params={"queue": "lost"}, headers=headers).status_code == 422


def test_queues_route_counts_the_callers_queues(client, world, auth, cases):
    marker, _, t = cases  # noqa: RUF059
    response = client.get("/api/petitions/queues", headers=auth(world.policy_handler))
    assert response.status_code == 200, response.text
    queues = {q["name"]: q for q in response.json()["queues"]}
    assert set(queues) == {"to_handle", "to_start", "in_handling", "to_feed_back", "long_term"}  # a handler's work
    assert queues["to_handle"]["label"] == "待办理" and queues["to_handle"]["count"] >= 1
    assert response.json()["my_approvals"] is None  # a handler decides no extension
    leader = {q["name"] for q in client.get("/api/petitions/queues", headers=auth(world.director)).json()["queues"]}
    assert "awaiting_approval" in leader and "to_visit" in leader
    assert client.get("/api/petitions/queues", headers=auth(world.expert)).status_code == 403


def _total(client, headers, params) -> int:
    response = client.get("/api/petitions", params={**params, "page_size": 1}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["total"]


def test_each_count_is_the_number_the_list_shows(client, world, auth, cases):
    """The tabs' counts: every queue and clock count is the list's total for that queue or clock, for each
    caller's own view; the approvals are exactly the requests the caller's 待审批延期 list holds."""
    for who in (world.supervisor, world.handler, world.policy_handler, world.registrar):
        headers = auth(who)
        answer = client.get("/api/petitions/queues", headers=headers).json()
        assert [c["name"] for c in answer["clocks"]] == ["overdue", "task_overdue"]
        for queue in answer["queues"]:
            assert queue["count"] == _total(client, headers, {"queue": queue["name"]}), (who.username, queue)
        for clock in answer["clocks"]:
            assert clock["count"] == _total(client, headers, {"clock": clock["name"]}), (who.username, clock)
    headers = auth(world.supervisor)
    pending = client.get("/api/petitions/extensions/pending", headers=headers).json()
    assert cases[2]["extended"] in {p["petition"]["ticket"] for p in pending}  # the supervisor decides it
    assert client.get("/api/petitions/queues", headers=headers).json()["my_approvals"] == len(pending)


def test_the_queues_chinese_names_are_in_the_vocabulary(client):
    groups = client.get("/api/vocabulary").json()["groups"]
    assert groups["petition_queue"]["to_visit"] == "待回访" and groups["petition_queue"]["awaiting_approval"] == "延期待审批"
