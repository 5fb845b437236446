"""A petition taken through its life over HTTP, for tests of what the enterprise hears and says back."""
from __future__ import annotations

import random

from common.identifiers import make_uscc
from tests.api.conftest import petition_body

__all__ = ["step", "handled_petition"]


def step(client, petition_id, name, headers, **body):
    response = client.post(f"/api/petitions/{petition_id}/{name}", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def handled_petition(client, world, auth, *, phone="13800138000", uscc=None):
    """A petition taken through hand-over, assignment, an approved extension, the result and a return visit."""
    uscc = uscc or make_uscc(random.randrange(10**9))
    created = client.post("/api/petitions", json=petition_body(uscc=uscc, contact_phone=phone),
                          headers=auth(world.registrar))
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    step(client, pid, "hand-over", auth(world.registrar), service_unit_id=world.service_dept.id)
    step(client, pid, "assign", auth(world.clerk), unit_ids=[world.collection.id])
    step(client, pid, "start", auth(world.handler))
    extension = step(client, pid, "extensions", auth(world.handler), days=3, reason="需调取三年申报数据核实")
    client.post(f"/api/petitions/extensions/{extension['id']}/approve", json={"note": "同意"},
                headers=auth(world.supervisor))
    step(client, pid, "resolve", auth(world.handler), resolution="已修复勾选功能，请重新申报。")
    step(client, pid, "feedback", auth(world.handler), message="勾选功能已修复，请您重新申报即可。")
    step(client, pid, "return-visit", auth(world.clerk), satisfaction=5, note="满意")
    return pid, created.json()["ticket"], uscc
