"""Many unread notifications at log-in come as a few summary lines ("3 件诉求即将到期") with the list behind each,
and a whole group is marked read at once."""
from __future__ import annotations

from api.notification import service


def note(db, kind, petition, unit):
    return service.create(session=db, kind=kind, petition_id=petition["id"], recipient_unit_id=unit.id,
                          message=f"诉求 {petition['ticket']} 的{kind}提醒")


def summary(client, headers, **params):
    response = client.get("/api/notifications/summary", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_unread_notifications_are_summarised_by_kind_with_the_list_behind(client, world, auth, db, register):
    petitions = [register(marker=f"分组{i}") for i in range(3)]
    due = [note(db, "due_soon", p, world.service_dept) for p in petitions]
    due.append(note(db, "due_soon", petitions[0], world.service_dept))  # a second clock of the same petition
    late = note(db, "overdue", petitions[1], world.service_dept)
    note(db, "due_soon", petitions[2], world.other_service)  # another unit's: never counted here
    db.commit()

    seen = summary(client, auth(world.registrar))
    assert seen["unread"] == 5
    assert [(g["kind"], g["label"], g["text"], g["count"], g["petitions"]) for g in seen["groups"]] == [
        ("overdue", "已超期", "1 件诉求已超期", 1, 1), ("due_soon", "即将到期", "3 件诉求即将到期", 4, 3)]
    soon = seen["groups"][1]
    assert [i["id"] for i in soon["items"]] == sorted((n.id for n in due), reverse=True) and soon["more"] == 0
    assert soon["items"][0]["ticket"] == petitions[0]["ticket"]
    assert summary(client, auth(world.registrar), per_group=2)["groups"][1]["more"] == 2

    marked = client.post("/api/notifications/groups/due_soon/read", headers=auth(world.clerk))  # same unit
    assert marked.status_code == 200, marked.text
    assert marked.json() == {"kind": "due_soon", "marked": 4, "unread": 1}
    after = summary(client, auth(world.registrar))
    assert [g["kind"] for g in after["groups"]] == ["overdue"] and after["groups"][0]["items"][0]["id"] == late.id
    assert summary(client, auth(world.other_staff))["groups"][0]["text"] == "1 件诉求即将到期"


def test_marking_a_group_read_leaves_what_arrived_after_the_summary(client, world, auth, db, register):
    petition = register(marker="后到")
    first = note(db, "due_soon", petition, world.service_dept)
    db.commit()
    shown = summary(client, auth(world.registrar))["groups"][0]["items"][0]["id"]
    note(db, "due_soon", petition, world.service_dept)  # arrives while the summary is on screen
    db.commit()
    marked = client.post("/api/notifications/groups/due_soon/read", headers=auth(world.registrar),
                         json={"up_to_id": shown})
    assert marked.json()["marked"] == 1 and shown == first.id
    assert summary(client, auth(world.registrar))["groups"][0]["count"] == 1


def test_group_routes_need_a_staff_log_in_and_a_known_kind(client, world, auth):
    assert client.get("/api/notifications/summary").status_code == 401
    unknown = client.post("/api/notifications/groups/nonsense/read", headers=auth(world.registrar))
    assert unknown.status_code == 422
    assert summary(client, auth(world.handler)) == {"unread": 0, "groups": []}
