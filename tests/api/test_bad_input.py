"""Bad input never breaks anything: control characters are removed at intake, exports write whatever is stored,
out-of-range numbers and dates are 422 with a reason, sockets survive any frame, bodies have a size limit and
upload names are made safe. (The fuzzer over the whole API is test_fuzz_openapi.py; the types every route uses
are checked in test_inputs.py.)"""
from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.exc import DataError, StatementError

from api.analytics.aggregate import aggregate_day
from api.analytics.models import ConversationFact
from api.hub.models import Attachment, Message
from api.main import create_app
from api.petition.models import Petition
from tests.api.analyticskit import DAY, build_day
from tests.api.conftest import petition_body
from tests.api.hubkit import console_socket, hub_client, receive, receive_until, say, widget_socket, widget_token

CONTROLS = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n")
NASTY = ("=cmd|' /C calc'!A0 \u202e反转\u202c " + CONTROLS + "\x7f\x85 末尾")


@pytest.fixture
def hub(settings, world):
    with hub_client(settings, world.service_dept.id) as client:
        yield client


# -- intake -----------------------------------------------------------------------------------------------------

def test_control_characters_are_removed_from_a_widget_message_and_a_leave_message(hub, db):
    token = widget_token(hub)
    with widget_socket(hub, token) as ws:
        receive(ws)
        say(ws, "发票\x00怎么\x1b[31m开\r\n具")
        echo = receive_until(ws, lambda e: e.get("type") == "message" and e["message"]["sender"] == "user")
    assert echo["message"]["text"] == "发票怎么[31m开\n具"
    stored = db.execute(select(Message.text).where(Message.id == echo["message"]["id"])).scalar_one()
    assert stored == "发票怎么[31m开\n具"
    left = hub.post("/api/widget/leave-message", headers={"Authorization": f"Bearer {token}"},
                    json={"taxpayer_name": "成都\x00小微", "contact_phone": "13800138000",
                          "content": "请回电\x00\x07话"})
    assert left.status_code == 201, left.text
    petition = db.execute(select(Petition).where(Petition.ticket == left.json()["ticket"])).scalar_one()
    assert petition.taxpayer_name == "成都小微" and petition.content.startswith("请回电话")


def test_control_characters_are_removed_from_petitions_transitions_and_the_bot_registration(client, world, auth, db,
                                                                                             service_headers):
    created = client.post("/api/petitions", headers=auth(world.registrar),
                          json=petition_body("\x00", content="电子税务局\x00无法\x1f申报\r\n第二行"))
    assert created.status_code == 201, created.text
    assert created.json()["content"] == "电子税务局无法申报\n第二行"
    assert "\x00" not in created.json()["taxpayer_name"]
    bot = client.post("/api/internal/petitions", headers=service_headers,
                      json={"content": "机器人\x00登记", "category": "纳税服务类", "taxpayer_name": "某\x08公司",
                            "contact_phone": "13800138000", "sender_id": "s\x00-1"})
    assert bot.status_code == 201, bot.text
    row = db.execute(select(Petition).where(Petition.ticket == bot.json()["ticket"])).scalar_one()
    assert (row.content, row.taxpayer_name, row.sender_id) == ("机器人登记", "某公司", "s-1")
    only_controls = client.post("/api/petitions", headers=auth(world.registrar),
                                json=petition_body(content="\x00\x01\x02"))
    assert only_controls.status_code == 422 and only_controls.json()["code"] == "invalid"


def test_a_nul_in_a_search_no_longer_matches_everything(client, world, auth):
    assert client.post("/api/petitions", headers=auth(world.registrar), json=petition_body("检索")).status_code == 201
    for path in ("/api/petitions", "/api/petitions/export"):  # the list, and the ledger export's filter
        response = client.get(path, params={"q": "\x00"}, headers=auth(world.registrar))
        assert response.status_code == 422, response.text
        assert "q" in response.json()["detail"]
    found = client.get("/api/petitions", params={"q": "不存在\x00的内容"}, headers=auth(world.registrar)).json()
    assert found["total"] == 0


# -- exports write whatever is stored ---------------------------------------------------------------------------

def _store_nasty(db, column, where, text: str) -> str:
    """Write ``text`` straight into the database, dropping only what the database itself refuses (PostgreSQL
    keeps no NUL; neither database stores a lone surrogate); returns what was stored."""
    for candidate in (text + "\ud800", text, text.replace("\x00", "")):
        try:
            db.execute(update(column.class_).where(where).values({column.key: candidate}))
            db.commit()
            return candidate
        except (DataError, StatementError, UnicodeEncodeError, ValueError):
            db.rollback()
    raise AssertionError("nothing could be stored")


def test_the_ledger_exports_the_nastiest_stored_text_in_csv_and_xlsx(client, world, auth, db):
    created = client.post("/api/petitions", headers=auth(world.registrar), json=petition_body("导出")).json()
    stored = _store_nasty(db, Petition.content, Petition.id == created["id"], NASTY)
    _store_nasty(db, Petition.taxpayer_name, Petition.id == created["id"], "@SUM(1+1)\x00名称")
    _store_nasty(db, Petition.contact_phone, Petition.id == created["id"], "+86 138\x0b00")
    params = {"q": created["ticket"], "accepting_unit_id": world.service_dept.id}
    response = client.get("/api/petitions/export", params={**params, "format": "csv"}, headers=auth(world.registrar))
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert len(rows) == 2 and rows[1][0] == created["ticket"]
    content = rows[1][4]
    assert content.startswith("'=cmd|") and "反转" in content and content.endswith("末尾")
    assert not any(c in content for c in CONTROLS + "\x7f\x85")
    assert rows[1][1].startswith("'@SUM") and rows[1][3] == "'+86 13800"
    assert "\x00" in stored or "\x01" in stored  # what was exported really held control characters
    response = client.get("/api/petitions/export", params={**params, "format": "xlsx"}, headers=auth(world.registrar))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and values[1][0] == created["ticket"]
    assert values[1][4].startswith("=cmd|") and values[1][4].endswith("末尾")
    assert sheet.cell(row=2, column=5).data_type == "s"  # text, not a formula


def test_the_review_csv_exports_the_nastiest_stored_text(client, auth, api_engine, db):
    from uuid import uuid4

    from sqlalchemy.orm import sessionmaker

    from tests.api.conftest import build_world

    with sessionmaker(bind=api_engine, future=True, expire_on_commit=False)() as session:
        world = build_world(session, f"n{uuid4().hex[:8]}-")
        day = build_day(session, world.service_dept.id, world.clerk, tag="-nasty")
        session.commit()
        aggregate_day(session, DAY)
        session.commit()
    fact = ConversationFact.conversation_id == day.c1.id
    _store_nasty(db, ConversationFact.first_question, fact, NASTY[:150])
    response = client.get("/api/review/conversations", headers=auth(world.operator),
                          params={"date_from": DAY.isoformat(), "date_to": DAY.isoformat(),
                                  "unit_id": world.service_dept.id, "format": "csv"})
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    row = next(r for r in rows[1:] if r[0] == str(day.c1.id))
    assert row[-1].startswith("'=cmd|") and not any(c in row[-1] for c in CONTROLS)


# -- numbers and dates ------------------------------------------------------------------------------------------

def test_integers_past_64_bits_are_422_with_a_reason(client, world, auth):
    huge = 99999999999999999999
    response = client.get(f"/api/attachments/{huge}/0")  # unauthenticated
    assert response.status_code == 422 and response.json()["code"] == "invalid"
    assert "attachment_id" in response.json()["detail"]
    headers = auth(world.registrar)
    assert client.get(f"/api/petitions/{huge}", headers=headers).status_code == 422
    assert client.get(f"/api/petitions/{2**63}", headers=headers).status_code == 422
    assert client.get(f"/api/petitions/{2**31}", headers=headers).status_code == 422  # past the INTEGER id columns
    assert client.get(f"/api/petitions/{2**31 - 1}", headers=headers).status_code == 404  # the largest id: not found
    assert client.get("/api/petitions", params={"page": huge}, headers=headers).status_code == 422
    assert client.get("/api/petitions", params={"unit_id": huge}, headers=headers).status_code == 422
    assert client.post(f"/api/petitions/{huge}/assign", json={"unit_ids": [huge]}, headers=headers).status_code == 422
    assert client.get("/api/review/audit", params={"page": huge}, headers=auth(world.admin)).status_code == 422


def test_dates_out_of_range_are_422_with_a_chinese_reason(client, world, auth):
    headers = auth(world.registrar)
    year_one = client.post("/api/petitions", headers=headers,
                           json=petition_body(received_at="0001-01-01T00:00:00+00:00"))
    assert year_one.status_code == 422 and "2000年至2099年" in json.dumps(year_one.json(), ensure_ascii=False)
    stats = client.get("/api/petitions/statistics", params={"date_from": "0001-01-01"}, headers=auth(world.director))
    assert stats.status_code == 422


def test_a_year_the_working_day_calendar_does_not_know_is_422_not_500():
    """Wherever a request makes the calendar count in a year it has no schedule for, the answer says so."""
    from datetime import date

    from fastapi import FastAPI

    from api.core.errors import install_error_handlers
    from common.workdays import add_working_days

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/due")
    def due(day: str):
        return {"due": add_working_days(date.fromisoformat(day), 5).isoformat()}

    with TestClient(app) as client:
        response = client.get("/due", params={"day": "1990-03-02"})
    assert response.status_code == 422
    assert response.json()["code"] == "date_out_of_range" and "1990年的工作日安排尚未公布" in response.json()["detail"]


# -- sockets ----------------------------------------------------------------------------------------------------

MALFORMED = [("text", "[" * 100_000 + "]" * 100_000), ("text", "{not json"), ("text", "[1, 2]"), ("text", "null"),
             ("bytes", b"\x00\xff binary"), ("text", json.dumps({"type": "ping", "pad": "x" * 200_000}))]


def _send(ws, kind, frame):
    ws.send_bytes(frame) if kind == "bytes" else ws.send_text(frame)


def test_the_widget_socket_survives_any_malformed_frame(hub):
    with widget_socket(hub, widget_token(hub)) as ws:
        receive(ws)
        for kind, frame in MALFORMED:
            _send(ws, kind, frame)
            error = receive_until(ws, lambda e: e.get("type") == "error")
            assert error["code"] == "bad_request" and error["text"]
        ws.send_json({"type": "ping"})
        assert receive_until(ws, lambda e: e.get("type") == "pong")


def test_the_console_socket_survives_any_malformed_frame(hub, settings, world):
    with console_socket(hub, settings, world.clerk) as ws:
        receive_until(ws, lambda e: e.get("type") == "hello")
        for kind, frame in MALFORMED:
            _send(ws, kind, frame)
            assert receive_until(ws, lambda e: e.get("type") == "error")["code"] == "bad_request"
        ws.send_json({"type": "ping"})
        assert receive_until(ws, lambda e: e.get("type") == "pong")


# -- request body size ------------------------------------------------------------------------------------------

def test_a_body_over_the_limit_is_413_by_length_and_while_streaming(settings, world, auth):
    small = settings.model_copy(update={"request_max_bytes": 2000, "upload_max_bytes": 4000})
    with TestClient(create_app(small)) as client:
        headers = auth(world.registrar)
        big = json.dumps(petition_body(content="长" * 1500)).encode()
        response = client.post("/api/petitions", content=big, headers={**headers, "Content-Type": "application/json"})
        assert response.status_code == 413 and response.json()["code"] == "too_large"
        assert "请求内容太大" in response.json()["detail"]

        def chunks():  # no Content-Length: counted while it arrives
            for i in range(0, len(big), 500):
                yield big[i:i + 500]

        streamed = client.post("/api/petitions", content=chunks(),
                               headers={**headers, "Content-Type": "application/json"})
        assert streamed.status_code == 413
        ok = client.post("/api/petitions", json=petition_body(), headers=headers)
        assert ok.status_code == 201, ok.text
        token = widget_token(client)
        png = b"\x89PNG\r\n\x1a\n" + b"\0" * 3000  # over the general limit, within the upload limit
        upload = client.post("/api/widget/uploads", files={"file": ("a.png", png, "image/png")},
                             headers={"Authorization": f"Bearer {token}"})
        assert upload.status_code == 201, upload.text
        too_big = client.post("/api/widget/uploads", files={"file": ("a.png", png * 3, "image/png")},
                              headers={"Authorization": f"Bearer {token}"})
        assert too_big.status_code == 413


# -- upload names -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("given, content_type, shown", [
    ("C:\\fakepath\\增值税发票.png", "image/png", "增值税发票.png"),
    ("../../etc/passwd", "image/jpeg", "passwd.jpg"),
    ("报告\u202egpj.exe", "image/jpeg", "报告gpj.exe.jpg"),
    ("申报\x00表\x1b.PDF", "application/pdf", "申报表.PDF"),
    ("名" * 300 + ".pdf", "application/pdf", "名" * 76 + ".pdf"),
    ("...", "image/png", "图片.png"),
    (None, "application/pdf", "附件.pdf"),
    ('a<b>:"c"|?*.gif', "image/gif", "a_b_c_.gif"),
])
def test_upload_names_are_made_safe_to_show(given, content_type, shown):
    from api.hub.uploads import display_name

    assert display_name(given, content_type) == shown


def test_an_uploaded_file_keeps_a_safe_display_name_not_the_raw_one(hub, db):
    token = widget_token(hub)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    response = hub.post("/api/widget/uploads", files={"file": ("..\\..\\秘密\u202egnp.exe", png, "image/png")},
                        headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    name = db.execute(select(Attachment.filename).where(Attachment.id == response.json()["attachment"]["id"])
                      ).scalar_one()
    assert name == "秘密gnp.exe.png"


def test_a_lone_surrogate_in_a_refused_body_gets_the_422_not_a_500(client, service_headers):
    """The validation answer echoes the value it refused; a lone surrogate (a valid JSON escape) must not break it."""
    response = client.post("/api/internal/handoffs", headers={**service_headers, "Content-Type": "application/json"},
                           content=b'{"sender_id": "s-1", "tier": "\\ud800"}')
    assert response.status_code == 422 and response.json()["code"] == "invalid"
