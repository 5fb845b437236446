"""属地 in the hub: a logged-in enterprise's conversation belongs to the unit serving it; only that unit's seats
(and experts above it) see and take it; who is online, and the honest 'nobody is online', are its unit's."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from api.hub.models import Conversation
from api.org.service import create_staff, set_regions
from tests.api.hubkit import console_socket, hub_client, receive, receive_until, say, widget_socket, widget_token
from tests.api.regionkit import build_area


@pytest.fixture
def area(db, world):
    return build_area(db, world)


@pytest.fixture
def hub(settings, world):
    with hub_client(settings, world.service_dept.id) as client:  # the city's service department is the intake unit
        yield client


def chat_as(hub, enterprise_token, enterprise):
    """(socket context, identity key) of the enterprise logged in to the widget."""
    token = enterprise_token(enterprise.uscc, enterprise.name)
    return widget_socket(hub, widget_token(hub, token), token), f"e:{enterprise.uscc}"


def start(ws, db, identity: str, text="我要找人工咨询跨区迁移") -> Conversation:
    receive(ws)
    say(ws, text)
    receive_until(ws, lambda e: e["type"] == "message" and e["message"]["sender"] == "system")
    db.expire_all()
    return db.query(Conversation).filter(Conversation.identity == identity).order_by(Conversation.id.desc()).first()


def hand_off(hub, conversation, service_headers, tier="staff") -> dict:
    response = hub.post("/api/internal/handoffs", headers=service_headers,
                        json={"sender_id": conversation.rasa_sender, "tier": tier, "reason": "user_request"})
    assert response.status_code == 200, response.text
    return response.json()


@contextmanager
def district_chat(hub, db, world, area, settings, enterprise_token):
    """The 乙区 enterprise chatting with the bot — its conversation in the district's unit — while the city's staff
    seat is online: (widget socket, conversation)."""
    widget, identity = chat_as(hub, enterprise_token, area.district_enterprise)
    with widget as ws, console_socket(hub, settings, world.clerk) as city_seat:
        receive(city_seat)
        conversation = start(ws, db, identity)
        assert conversation.unit_id == area.district_service.id
        yield ws, conversation


def test_an_enterprise_reaches_only_the_seats_of_the_unit_serving_it(hub, db, world, area, settings, auth,
                                                                     service_headers, enterprise_token):
    with district_chat(hub, db, world, area, settings, enterprise_token) as (ws, conversation):  # noqa: RUF059
        # a seat of the city is online, none of the district: the enterprise is told nobody of its unit is there
        offline = hand_off(hub, conversation, service_headers)
        assert offline["status"] == "offline" and offline["reason"] == "no_seat_online"

        with console_socket(hub, settings, area.district_seat) as district_seat:
            receive(district_seat)
            queued = hand_off(hub, conversation, service_headers)
            assert queued["status"] == "queued" and queued["seats_online"] == 1
            shown = receive_until(district_seat, lambda e: e["type"] == "queue" and e["queue"])["queue"]
            assert shown[0]["id"] == conversation.id and shown[0]["unit_name"] == area.district_service.name

            city = auth(world.clerk)
            assert hub.get("/api/seats/queue", headers=city).json() == []
            assert hub.get(f"/api/seats/conversations/{conversation.id}", headers=city).status_code == 404
            assert hub.post(f"/api/seats/conversations/{conversation.id}/claim", headers=city).status_code == 404
            taken = hub.post(f"/api/seats/conversations/{conversation.id}/claim", headers=auth(area.district_seat))
            assert taken.status_code == 200 and taken.json()["unit_name"] == area.district_service.name


def test_an_expert_serves_the_units_under_its_own_and_no_others(hub, db, world, area, settings, auth,
                                                                service_headers, enterprise_token):
    elsewhere = create_staff(session=db, username=world.prefix + "other-expert", display_name="外市专家",
                             role="expert", unit_id=world.other_service.id, password_hash=None)
    db.commit()
    district_chat, district_id = chat_as(hub, enterprise_token, area.district_enterprise)
    city_chat, city_id = chat_as(hub, enterprise_token, area.city_enterprise)
    # world.expert sits in the city bureau: the city's service department and the district's are both under it
    with district_chat as d, city_chat as c, console_socket(hub, settings, world.expert) as expert, \
            console_socket(hub, settings, elsewhere) as other:
        receive(expert), receive(other)
        in_district, in_city = start(d, db, district_id), start(c, db, city_id)
        assert (in_district.unit_id, in_city.unit_id) == (area.district_service.id, world.service_dept.id)
        for conversation in (in_district, in_city):
            assert hand_off(hub, conversation, service_headers, tier="expert")["status"] == "queued"
        queue = hub.get("/api/seats/queue", headers=auth(world.expert)).json()
        assert {c["id"] for c in queue} == {in_district.id, in_city.id}
        assert {c["unit_name"] for c in queue} == {area.district_service.name, world.service_dept.name}
        assert hub.get("/api/seats/queue", headers=auth(elsewhere)).json() == []
        assert hub.post(f"/api/seats/conversations/{in_district.id}/claim", headers=auth(elsewhere)).status_code == 404
        for conversation in (in_district, in_city):
            answer = hub.post(f"/api/seats/conversations/{conversation.id}/claim", headers=auth(world.expert))
            assert answer.status_code == 200, answer.text
        # the expert holds two conversations of two units: its load counts both wherever it is shown
        board = hub.get("/api/seats/presence", headers=auth(area.district_seat)).json()
        expert_row = next(s for s in board["tiers"]["expert"]["seats"] if s["id"] == world.expert.id)
        assert expert_row["load"] == 2


def test_presence_is_per_unit(hub, db, world, area, settings, auth):
    with console_socket(hub, settings, world.clerk) as city_seat, console_socket(hub, settings, world.expert) as ex:
        receive(city_seat), receive(ex)
        district = hub.get("/api/seats/presence", headers=auth(area.district_seat)).json()
        assert district["unit_id"] == area.district_service.id and district["unit_name"] == area.district_service.name
        # the city's staff seat is not the district's; the expert above it is
        assert district["tiers"]["staff"]["online"] == 0
        assert [s["id"] for s in district["tiers"]["expert"]["seats"]] == [world.expert.id]
        city = hub.get("/api/seats/presence", headers=auth(world.clerk)).json()
        assert [s["id"] for s in city["tiers"]["staff"]["seats"]] == [world.clerk.id]
        assert [s["id"] for s in city["tiers"]["expert"]["seats"]] == [world.expert.id]
        # no other city's board names them
        other = hub.get("/api/seats/presence", headers=auth(world.other_staff)).json()
        assert other["tiers"]["staff"]["seats"] == [] and other["tiers"]["expert"]["seats"] == []


def test_a_conversation_goes_where_the_regions_say_when_it_is_handed_off(hub, db, world, area, settings,
                                                                         service_headers, enterprise_token):
    with district_chat(hub, db, world, area, settings, enterprise_token) as (ws, conversation):  # noqa: RUF059
        set_regions(area.district_service.id, [], session=db)  # the district no longer serves it: the city does
        db.commit()
        assert hand_off(hub, conversation, service_headers)["status"] == "queued"
    db.expire_all()
    assert db.get(Conversation, conversation.id).unit_id == world.service_dept.id
