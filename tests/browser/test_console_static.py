"""The staff console page (`/console`) in a real browser, against a small fake of the hub.

No database, Redis or hub: a FastAPI app in a thread serves the real pages (`install_web`, with the
strict CSP) plus canned answers for the console's REST routes of docs/hub.md and a /ws/console
WebSocket that records what the page sends. Live events are fed through
`window.__taxConsole.handleServerEvent`. Chromium comes from the `browser` fixture of conftest.py;
`page_factory` fails a test on any page error or CSP violation.
"""
from __future__ import annotations

import json
import socket
import struct
import threading
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response

from api.web.router import install_web
from common.identifiers import make_uscc

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "results" / "screenshots"
TOKEN = "test-staff-token"
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "<script>alert(2)</script>"

USCC_A, USCC_B = make_uscc(1), make_uscc(2)


def _iso(seconds_ago: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).isoformat()


def _png(width: int = 96, height: int = 64) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + bytes((30, 110, 200)) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


PNG = _png()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

SEAT = {"id": 5, "name": "王芳", "role": "staff", "badge": "税务干部", "unit_id": 2, "status": "online"}
STAFF = {"id": 5, "username": "wangfang", "display_name": "王芳", "role": "staff", "role_label": "工作人员",
         "active": True, "unit": {"id": 2, "name": "国家税务总局丹东市振兴区税务局", "level": "county", "kind": "bureau"}}


def queue_items() -> list[dict]:
    return [
        {"id": 11, "mode": "queued", "tier": "staff", "enterprise_name": "成都市锦江区蓉城小吃店", "uscc": USCC_B,
         "visitor": None, "skill": "发票", "reason": "user_request", "queued_at": _iso(75), "waiting_seconds": 75,
         "assigned_staff_id": None, "assigned_name": None, "unread": 0, "last_message": None},
        {"id": 12, "mode": "queued", "tier": "staff", "enterprise_name": None, "uscc": None, "visitor": "访客 7F3A",
         "skill": "增值税", "reason": "bot_failed", "queued_at": _iso(312), "waiting_seconds": 312,
         "assigned_staff_id": None, "assigned_name": None, "unread": 0, "last_message": None},
    ]


def mine_items() -> list[dict]:
    return [{"id": 7, "mode": "human", "tier": "staff", "enterprise_name": "丹东市振兴区晨光五金商行", "uscc": USCC_A,
             "visitor": None, "skill": "小规模纳税人", "reason": "topic", "queued_at": _iso(900), "waiting_seconds": 0,
             "assigned_staff_id": 5, "assigned_name": "王芳", "unread": 2,
             "last_message": {"text": "好的，我再确认一下申报表", "created_at": _iso(30)}}]


def _msg(mid: int, sender: str, text: str, **extra) -> dict:
    names = {"user": "丹东市振兴区晨光五金商行", "bot": "智能助手", "staff": "王芳", "system": "系统"}
    message = {"id": mid, "conversation_id": 7, "client_id": None, "sender": sender,
               "sender_name": names.get(sender, sender), "text": text, "buttons": [], "custom": None,
               "attachment": None, "internal": False, "created_at": _iso(600 - mid * 20), "feedback": None}
    message.update(extra)
    return message


def conversation_messages() -> list[dict]:
    return [
        _msg(101, "user", "你好，小规模纳税人季度销售额多少以内免征增值税？"),
        _msg(102, "bot", "小规模纳税人合计月销售额未超过10万元（以1个季度为1个纳税期的，季度销售额未超过30万元）的，免征增值税。",
             custom={"kind": "answer", "topic": "vat-small-scale-exemption", "entry": "vat-small-scale-exemption-1",
                     "sources": [{"title": "关于增值税小规模纳税人减免增值税政策的公告", "doc_no": "财政部 税务总局公告2023年第19号"}],
                     "valid_until": "2027-12-31"},
             buttons=[{"title": "有用", "payload": "/feedback_useful"}], feedback="useless"),
        _msg(103, "user", "我开了专票的部分也免吗？我要转人工"),
        _msg(104, "bot", "正在为您转接税务干部，请稍候。", custom={"kind": "handoff", "tier": "staff", "status": "queued", "position": 1}),
        _msg(105, "system", "税务干部 王芳 已接入会话"),
        _msg(106, "staff", "企业上季度开具过增值税专用发票，注意专票部分不享受免征。", internal=True, sender_name="李强"),
        _msg(107, "user", f"{XSS_IMG} {XSS_SCRIPT}"),
        _msg(108, "user", "", attachment={"id": 3, "filename": "发票照片.png", "content_type": "image/png",
                                          "size": len(PNG), "url": "/api/attachments/3"}),
        _msg(109, "user", "", attachment={"id": 4, "filename": "增值税申报表.pdf", "content_type": "application/pdf",
                                          "size": len(PDF), "url": "/api/attachments/4"}),
        _msg(110, "staff", "您好，开具增值税专用发票的销售额不享受免征，需要按征收率缴纳增值税。\n其余部分可以享受。"),
    ]


PICTURE = {  # the shape of api/hub/picture.py, with the sections it leaves to other features filled in
    "key_facts": [{"field": "name", "label": "企业名称", "value": "丹东市振兴区晨光五金商行", "hint": None},
                  {"field": "credit", "label": "纳税信用", "value": "B级（2025年度，87分）",
                   "hint": "有1项可修复的扣分尚未纠正"},
                  {"field": "industry", "label": "行业", "value": "<b>五金</b>零售（F52）", "hint": None}],
    "details": [{"title": "规模与财务", "items": [{"field": "total_assets", "label": "资产总额", "value": "120.00万元"}]}],
    "enterprise": {"name": "丹东市振兴区晨光五金商行", "uscc": USCC_A, "logged_in": True},
    "profile": {"industry": "五金零售", "taxpayer_type": "小规模纳税人", "region": "辽宁省丹东市振兴区",
                "employees": 3, "registered_at": "2019-05-12", "small_low_profit": True},
    "credit": {"level": "B", "year": 2025, "deductions": [
        {"item": "未按规定期限办理纳税申报", "points": 5, "date": "2025-03-18", "repairable": True}]},
    "reminders": [{"type": "credit", "title": "逾期申报扣分可申请信用修复", "status": "delivered", "created_at": _iso(86400 * 3)}],
    "petitions": [{"ticket": "ZS20261120-0003", "category": "纳税服务类", "status": "in_progress", "status_label": "办理中",
                   "received_at": _iso(86400 * 3), "due_date": "2026-11-27", "content": "咨询专票免征口径"}],
    "conversations": [{"id": 3, "mode": "closed", "created_at": _iso(86400 * 40), "closed_at": _iso(86400 * 40 - 600),
                       "summary": "咨询发票领用流程，已解答", "rating": 5, "petition_ticket": None}],
    "risks": None,
}

KNOWLEDGE = [
    {"entry_id": "vat-small-scale-exemption-1", "topic": "vat-small-scale-exemption",
     "title": "小规模纳税人月销售额10万元以下免征增值税", "snippet": "合计月销售额未超过10万元的，免征增值税……",
     "sources": [{"title": "关于增值税小规模纳税人减免增值税政策的公告", "doc_no": "财政部 税务总局公告2023年第19号"}],
     "valid_until": "2027-12-31"},
    {"entry_id": "vat-small-scale-1pct-1", "topic": "vat-small-scale-1pct", "title": "小规模纳税人3%征收率减按1%征收",
     "snippet": "适用3%征收率的应税销售收入，减按1%征收率征收增值税", "sources": [], "valid_until": None},
]


class FakeHub:
    """The REST and WebSocket answers of docs/hub.md that the page needs, with a log of the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, object]] = []
        self.ws_received: list[dict] = []
        self.ws_connections = 0
        self.next_id = 500
        self.lock = threading.Lock()

    def record(self, method: str, path: str, body: object = None) -> None:
        with self.lock:
            self.calls.append((method, path, body))

    def calls_to(self, method: str, path: str) -> list[object]:
        with self.lock:
            return [b for m, p, b in self.calls if m == method and p == path]

    def build(self) -> FastAPI:
        app = FastAPI()
        hub = self

        def authorized(request: Request) -> bool:
            return request.headers.get("authorization") == f"Bearer {TOKEN}"

        def unauthorized() -> JSONResponse:
            return JSONResponse({"detail": "登录已过期，请重新登录", "code": "invalid_token"}, status_code=401)

        @app.middleware("http")
        async def log_and_check(request: Request, call_next):
            path = request.url.path
            if path.startswith("/api/"):
                raw = await request.body()
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode()
                hub.record(request.method, path, body)
                if path != "/api/auth/token" and not authorized(request):
                    return unauthorized()
            return await call_next(request)

        @app.post("/api/auth/token")
        async def login(request: Request):
            form = await request.form()
            if form.get("username") == "wangfang" and form.get("password") == "secret-pass":
                return {"access_token": TOKEN, "token_type": "bearer", "expires_in": 28800, "staff": STAFF}
            return JSONResponse({"detail": "用户名或密码错误", "code": "bad_credentials"}, status_code=401)

        @app.get("/api/auth/me")
        def me():
            return STAFF

        @app.get("/api/seats/me")
        def seat_me():
            return SEAT

        @app.put("/api/seats/me/presence")
        async def presence(request: Request):
            return {**SEAT, "status": (await request.json())["status"]}

        @app.get("/api/seats/queue")
        def queue():
            return []

        @app.get("/api/seats/conversations")
        def mine():
            return []

        @app.get("/api/notifications")
        def notifications():
            return {"unread": 2, "items": [
                {"id": 31, "created_at": _iso(600), "kind": "due_soon", "petition_id": 3, "read_at": None,
                 "message": "诉求 ZS20261120-0003 距办理期限不足1个工作日", "recipient_staff_id": 5, "recipient_unit_id": None},
                {"id": 30, "created_at": _iso(7200), "kind": "overdue", "petition_id": 2, "read_at": None,
                 "message": "诉求 ZS20261118-0001 已超期", "recipient_staff_id": None, "recipient_unit_id": 2},
            ]}

        @app.post("/api/notifications/{nid}/read")
        def notification_read(nid: int):
            return {"id": nid, "created_at": _iso(600), "kind": "due_soon", "petition_id": 3, "message": "…",
                    "recipient_staff_id": 5, "recipient_unit_id": None, "read_at": _iso(0)}

        @app.get("/api/seats/conversations/{cid}")
        def conversation(cid: int):
            if cid == 7:
                return {"conversation": mine_items()[0], "messages": conversation_messages()}
            if cid == 11:
                summary = {**queue_items()[0], "mode": "human", "assigned_staff_id": 5, "assigned_name": "王芳"}
                return {"conversation": summary, "messages": [
                    {**_msg(201, "user", "发票领用怎么办理？"), "conversation_id": 11}]}
            if cid == 8:
                return {"conversation": {**mine_items()[0], "id": 8, "enterprise_name": "测试企业", "unread": 0},
                        "messages": [{**_msg(301, "user", "谢谢"), "conversation_id": 8}]}
            if cid == 99:
                return unauthorized()
            return JSONResponse({"detail": "会话不存在", "code": "not_found"}, status_code=404)

        @app.get("/api/seats/conversations/{cid}/picture")
        def picture(cid: int):
            if cid == 7:
                return PICTURE
            return {"identity": {"name": "成都市锦江区蓉城小吃店", "uscc": USCC_B}, "profile": None, "credit": None,
                    "reminders": [], "petitions": [], "past_conversations": []}

        @app.post("/api/seats/conversations/{cid}/claim")
        def claim(cid: int):
            if cid == 12:
                return JSONResponse({"detail": "该会话已被其他坐席接入", "code": "conflict"}, status_code=409)
            return {**queue_items()[0], "mode": "human", "assigned_staff_id": 5, "assigned_name": "王芳"}

        @app.post("/api/seats/conversations/{cid}/messages")
        async def send(cid: int, request: Request):
            body = await request.json()
            hub.next_id += 1
            return {**_msg(hub.next_id, "staff", body["text"]), "conversation_id": cid,
                    "client_id": body.get("client_id"), "created_at": _iso(0)}

        @app.post("/api/seats/conversations/{cid}/read")
        def read(cid: int):
            return {"ok": True}

        @app.get("/api/seats/knowledge")
        def knowledge(q: str = ""):
            return KNOWLEDGE if q else []

        @app.post("/api/seats/conversations/{cid}/cards")
        async def card(cid: int, request: Request):
            body = await request.json()
            hub.next_id += 1
            entry = next(e for e in KNOWLEDGE if e["entry_id"] == body["entry_id"])
            return {**_msg(hub.next_id, "staff", entry["snippet"]), "conversation_id": cid, "created_at": _iso(0),
                    "custom": {"kind": "answer", "topic": entry["topic"], "entry": entry["entry_id"],
                               "sources": entry["sources"], "valid_until": entry["valid_until"]}}

        @app.get("/api/seats/colleagues")
        def colleagues():
            return [{"id": 5, "name": "王芳", "role": "staff", "status": "online"},
                    {"id": 6, "name": "李强", "role": "staff", "status": "online", "open_conversations": 2},
                    {"id": 8, "name": "赵敏", "role": "staff", "status": "offline"}]

        def moved(cid: int, **changes) -> dict:
            return {**mine_items()[0], "id": cid, **changes}

        @app.post("/api/seats/conversations/{cid}/escalate")
        def escalate(cid: int):
            return moved(cid, mode="queued", tier="expert", assigned_staff_id=None, assigned_name=None, reason="escalated")

        @app.post("/api/seats/conversations/{cid}/transfer")
        def transfer(cid: int):
            return moved(cid, assigned_staff_id=6, assigned_name="李强")

        @app.get("/api/seats/conversations/{cid}/petition-draft")
        def petition_draft(cid: int):
            return {"content": "企业反映：开具专票部分能否享受免征增值税，政策口径不清楚。", "category": "纳税服务类",
                    "taxpayer_name": "丹东市振兴区晨光五金商行", "contact_phone": "", "uscc": USCC_A}

        @app.post("/api/seats/conversations/{cid}/petition")
        def petition(cid: int):
            return {"ticket": "ZS20261123-0007", "due_date": "2026-11-30", "category": "政策落实类"}

        @app.post("/api/seats/conversations/{cid}/handback")
        def handback(cid: int):
            return moved(cid, mode="bot", assigned_staff_id=None, assigned_name=None)

        @app.post("/api/seats/conversations/{cid}/close")
        def close(cid: int):
            return moved(cid, mode="closed")

        @app.get("/api/attachments/{aid}")
        def attachment(aid: int):
            if aid == 3:
                return Response(PNG, media_type="image/png")
            return Response(PDF, media_type="application/pdf")

        @app.websocket("/ws/console")
        async def console_ws(websocket: WebSocket):
            # as the hub does (docs/hub.md): the token comes in the first frame, and never in the URL
            await websocket.accept()
            first = json.loads(await websocket.receive_text())
            if first != {"type": "auth", "token": TOKEN} or websocket.url.query:
                await websocket.close(code=4401)
                return
            with hub.lock:
                hub.ws_connections += 1
            try:
                while True:
                    event = json.loads(await websocket.receive_text())
                    with hub.lock:
                        hub.ws_received.append(event)
                    if event.get("type") == "ping":
                        await websocket.send_text(json.dumps({"type": "pong"}))
            except WebSocketDisconnect:
                pass

        install_web(app)
        return app


@pytest.fixture(scope="module")
def hub():
    return FakeHub()


@pytest.fixture(scope="module")
def base_url(hub):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(hub.build(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


class Watch:
    """Page errors, CSP violations and JS dialogs (alert) seen during a test."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if "Content Security Policy" in m.text else None)

        def on_dialog(dialog):
            self.dialogs.append(dialog.message)
            dialog.dismiss()
        page.on("dialog", on_dialog)


@pytest.fixture()
def page(page_factory, base_url):
    """A 1366×768 page; page errors and CSP violations are also checked by page_factory at teardown."""
    pg = page_factory((1366, 768))
    pg.set_default_timeout(8000)
    pg.watch = Watch(pg)
    return pg


def logged_in(page, base_url):
    """Bypasses the login form: a token in sessionStorage, then the page again."""
    page.goto(f"{base_url}/console")
    page.evaluate("t => sessionStorage.setItem('taxConsole.token', t)", TOKEN)
    page.reload()
    page.wait_for_selector("#app:not([hidden])")
    return page


def feed(page, event: dict) -> None:
    page.evaluate("e => window.__taxConsole.handleServerEvent(e)", event)


def hello(page) -> None:
    feed(page, {"type": "hello", "seat": SEAT, "queue": queue_items(), "mine": mine_items()})


# ------------------------------------------------------------------------------------------ tests

def test_login_shows_the_api_error_then_opens_the_console(page, base_url, hub):
    page.goto(f"{base_url}/console")
    assert page.is_visible("#login-form") and not page.is_visible("#app")
    page.fill("#username", "wangfang")
    page.fill("#password", "wrong")
    page.click("#login-submit")
    page.wait_for_selector("#login-error:not([hidden])")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-static-login.png"))
    assert page.text_content("#login-error") == "用户名或密码错误"
    assert hub.calls_to("POST", "/api/auth/token")[-1] == "username=wangfang&password=wrong"

    page.fill("#password", "secret-pass")
    page.press("#password", "Enter")
    page.wait_for_selector("#app:not([hidden])")
    assert page.evaluate("sessionStorage.getItem('taxConsole.token')") == TOKEN
    assert page.text_content("#seat-name") == "王芳"
    assert page.text_content("#seat-badge") == "税务干部"
    assert "振兴区税务局" in page.text_content("#seat-unit")
    page.wait_for_function("() => document.body.dataset.connected === '1'")
    page.wait_for_function("() => document.querySelector('#notif-count').textContent === '2'")
    assert page.watch.errors == []


def test_queue_mine_chat_and_picture_render_user_text_literally(page, base_url, hub):
    logged_in(page, base_url)
    page.wait_for_function("() => document.body.dataset.connected === '1'")
    hello(page)

    assert page.locator("#queue .queue-item").count() == 2
    first = page.locator('#queue .queue-item[data-id="11"]')
    assert "成都市锦江区蓉城小吃店" in first.inner_text() and "用户要求转人工" in first.inner_text()
    visitor = page.locator('#queue .queue-item[data-id="12"]')
    assert "访客 7F3A" in visitor.inner_text() and "智能助手未能解答" in visitor.inner_text()
    assert visitor.locator(".claim").count() == 1
    # the waiting time ticks every second from waiting_seconds
    wait = first.locator(".wait")
    before = wait.inner_text()
    assert before in ("01:15", "01:16")
    page.wait_for_function("t => document.querySelector('#queue .queue-item[data-id=\"11\"] .wait').textContent !== t",
                           arg=before, timeout=3000)
    assert visitor.locator(".wait").inner_text() >= "05:12"

    mine = page.locator('#mine .conv-item[data-id="7"]')
    assert mine.locator(".unread").inner_text() == "2"
    assert "好的，我再确认一下申报表" in mine.inner_text()

    mine.click()
    page.wait_for_selector('#chat .msg[data-id="110"]')
    # user text with markup is shown as text, never parsed
    xss = page.locator('#chat .msg[data-id="107"]')
    assert xss.locator(".msg-text").inner_text() == f"{XSS_IMG} {XSS_SCRIPT}"
    assert page.locator("#chat img[src='x'], #chat script").count() == 0
    assert xss.get_attribute("data-sender") == "user"
    # bot answer: labelled, kind tag and sources
    bot = page.locator('#chat .msg[data-id="102"]')
    assert "智能助手" in bot.inner_text() and bot.locator(".tag-kind").get_attribute("data-kind") == "answer"
    assert "财政部 税务总局公告2023年第19号" in bot.locator(".sources").inner_text()
    assert page.locator('#chat .msg[data-id="104"] .tag-kind').get_attribute("data-kind") == "handoff"
    # internal note and system line
    note = page.locator('#chat .msg[data-id="106"]')
    assert "internal" in note.get_attribute("class") and "内部备注" in note.inner_text()
    assert "side-center" in page.locator('#chat .msg[data-id="105"]').get_attribute("class")
    assert "side-right" in page.locator('#chat .msg[data-id="110"]').get_attribute("class")
    assert "side-left" in page.locator('#chat .msg[data-id="101"]').get_attribute("class")
    # attachments fetched with the token, shown from blob URLs
    page.wait_for_function("() => { const i = document.querySelector('#chat .msg[data-id=\"108\"] img.thumb');"
                           " return i && i.src.startsWith('blob:') && i.naturalWidth === 96; }")
    page.wait_for_function("() => document.querySelector('#chat .msg[data-id=\"109\"] a.attachment-file')"
                           ".href.startsWith('blob:')")
    assert "增值税申报表.pdf" in page.locator('#chat .msg[data-id="109"]').inner_text()

    # opening it marks it read up to the newest message
    page.wait_for_function("() => document.querySelector('#mine .conv-item[data-id=\"7\"] .unread').hidden")
    deadline = time.monotonic() + 3
    while not hub.calls_to("POST", "/api/seats/conversations/7/read") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub.calls_to("POST", "/api/seats/conversations/7/read")[-1] == {"message_id": 110}

    # picture: identity, sections, and 暂无数据 for an empty one
    page.wait_for_selector('#picture [data-section="credit"]')
    picture = page.locator("#picture")
    assert USCC_A in picture.inner_text()
    # key facts first, as the server labels them, text never parsed as markup
    assert page.locator("#picture .pic-section").first.get_attribute("data-section") == "key_facts"
    facts = page.locator('#picture [data-section="key_facts"]').inner_text()
    assert "关键信息" in facts and "B级（2025年度，87分）" in facts and "有1项可修复的扣分尚未纠正" in facts
    assert "<b>五金</b>零售（F52）" in facts and page.locator("#picture b").count() == 0
    assert "资产总额\t120.00万元" in page.locator('#picture [data-section="details"]').inner_text()
    assert "key_facts" not in picture.inner_text() and "details" not in picture.inner_text()
    assert "五金零售" in page.locator('#picture [data-section="profile"]').inner_text()
    assert "未按规定期限办理纳税申报" in page.locator('#picture [data-section="credit"]').inner_text()
    assert "ZS20261120-0003" in page.locator('#picture [data-section="petitions"]').inner_text()
    assert "办理中" in page.locator('#picture [data-section="petitions"]').inner_text()
    assert "咨询发票领用流程" in page.locator('#picture [data-section="conversations"]').inner_text()
    assert page.locator('#picture [data-section="risks"]').inner_text().endswith("暂无数据")

    # a live message with markup, in the open conversation
    feed(page, {"type": "message", "message": {**_msg(111, "user", '"><svg onload=alert(3)>'), "created_at": _iso(0)}})
    assert page.locator('#chat .msg[data-id="111"] .msg-text').inner_text() == '"><svg onload=alert(3)>'
    feed(page, {"type": "typing", "conversation_id": 7})
    assert page.is_visible("#typing")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / "console-static.png"))
    page.evaluate("document.querySelector('#chat').scrollTop = 0")
    page.screenshot(path=str(SCREENSHOTS / "console-static-top.png"))
    page.click("#btn-knowledge")
    page.fill("#kb-query", "小规模 免征")
    page.press("#kb-query", "Enter")
    page.wait_for_selector('.kb-result[data-entry="vat-small-scale-exemption-1"]')
    page.screenshot(path=str(SCREENSHOTS / "console-static-knowledge.png"))

    assert page.watch.dialogs == []
    assert page.watch.errors == []


def test_claim_conflict_and_new_queue_item(page, base_url):
    logged_in(page, base_url)
    hello(page)
    page.click('#queue .queue-item[data-id="12"] .claim')
    page.wait_for_function("() => document.querySelector('#toast').textContent.includes('该会话已被其他坐席接入')")
    assert page.locator('#queue .queue-item[data-id="12"]').count() == 0

    new = {**queue_items()[0], "id": 13, "enterprise_name": "丹东市元宝区新星汽修店", "waiting_seconds": 2}
    feed(page, {"type": "queue", "queue": [queue_items()[0], new]})
    assert "flash" in page.get_attribute("#queue-head", "class")
    assert "新的待接入会话" in page.text_content("#toast")

    page.click('#queue .queue-item[data-id="11"] .claim')
    page.wait_for_selector('#mine .conv-item[data-id="11"]')
    assert page.locator('#queue .queue-item[data-id="11"]').count() == 0
    page.wait_for_selector('#chat .msg[data-id="201"]')
    assert page.is_enabled("#chat-input")
    # a message in another conversation of mine: unread count and preview, nothing in the open chat
    feed(page, {"type": "message", "message": {**_msg(120, "user", "还在吗？"), "created_at": _iso(0)}})
    other = page.locator('#mine .conv-item[data-id="7"]')
    assert other.locator(".unread").inner_text() == "3" and "还在吗？" in other.inner_text()
    assert page.locator('#chat .msg[data-id="120"]').count() == 0
    # a live message in the open one is appended once
    live = {**_msg(202, "user", "好的"), "conversation_id": 11, "created_at": _iso(0)}
    feed(page, {"type": "message", "message": live})
    feed(page, {"type": "message", "message": live})
    assert page.locator('#chat .msg[data-id="202"]').count() == 1
    assert page.watch.errors == []


def test_sending_typing_and_ime(page, base_url, hub):
    logged_in(page, base_url)
    page.wait_for_function("() => document.body.dataset.connected === '1'")
    hello(page)
    page.click('#mine .conv-item[data-id="7"]')
    page.wait_for_selector('#chat .msg[data-id="110"]')

    page.click("#chat-input")
    page.keyboard.type("第一行")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("第二行 <b>不加粗</b>")
    deadline = time.monotonic() + 3
    while not any(e.get("type") == "typing" for e in hub.ws_received) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert {"type": "typing", "conversation_id": 7} in hub.ws_received
    # Enter while an IME is composing does not send
    page.dispatch_event("#chat-input", "compositionstart")
    page.keyboard.press("Enter")
    page.dispatch_event("#chat-input", "compositionend")
    page.wait_for_timeout(100)
    assert not hub.calls_to("POST", "/api/seats/conversations/7/messages")
    page.evaluate("document.querySelector('#chat-input').value = document.querySelector('#chat-input').value.replace(/\\n$/, '')")

    page.keyboard.press("Enter")
    sent = page.locator('#chat .msg[data-sender="staff"]').last
    page.wait_for_function("() => document.querySelectorAll('#chat .msg.pending').length === 0")
    assert sent.locator(".msg-text").inner_text() == "第一行\n第二行 <b>不加粗</b>"
    body = hub.calls_to("POST", "/api/seats/conversations/7/messages")[-1]
    assert body["text"] == "第一行\n第二行 <b>不加粗</b>" and len(body["client_id"]) == 36
    assert page.input_value("#chat-input") == ""
    # the WebSocket echo of the same message is not shown twice
    msg_id = int(sent.get_attribute("data-id"))
    feed(page, {"type": "message", "message": {**_msg(msg_id, "staff", body["text"]), "client_id": body["client_id"]}})
    assert page.locator(f'#chat .msg[data-id="{msg_id}"]').count() == 1

    # a dropped connection: reconnect and fetch the conversation again
    gets = len(hub.calls_to("GET", "/api/seats/conversations/7"))
    page.evaluate("window.__taxConsole.state.ws.close()")
    page.wait_for_function("() => document.body.dataset.connected === '0'")
    page.wait_for_function("() => document.body.dataset.connected === '1'", timeout=5000)
    deadline = time.monotonic() + 3
    while len(hub.calls_to("GET", "/api/seats/conversations/7")) == gets and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(hub.calls_to("GET", "/api/seats/conversations/7")) > gets
    page.wait_for_timeout(300)
    assert page.locator('#chat .msg[data-id="110"]').count() == 1
    assert page.watch.errors == []


def test_dialogs_escalate_transfer_petition_close(page, base_url, hub):
    logged_in(page, base_url)
    hello(page)
    page.click('#mine .conv-item[data-id="7"]')
    page.wait_for_selector('#chat .msg[data-id="110"]')

    # petition: the draft fills an editable form
    page.click("#btn-petition")
    page.wait_for_selector("#dialog-backdrop:not([hidden])")
    assert "开具专票部分" in page.input_value("#dialog-input")
    assert page.input_value("#petition-category") == "纳税服务类"
    assert page.locator("#petition-category option").all_inner_texts()[1:] == [
        "政策落实类", "执法规范类", "纳税服务类", "信息化建设类", "法律救济类", "其他"]
    page.click("#dialog-ok")
    assert "联系电话" in page.text_content("#dialog-error")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-static-petition.png"))
    page.select_option("#petition-category", "政策落实类")
    page.fill("#petition-phone", "13904151234")
    page.click("#dialog-ok")
    page.wait_for_selector("#dialog-backdrop", state="hidden")
    assert "ZS20261123-0007" in page.text_content("#toast")
    assert hub.calls_to("POST", "/api/seats/conversations/7/petition")[-1] == {
        "content": "企业反映：开具专票部分能否享受免征增值税，政策口径不清楚。", "category": "政策落实类",
        "taxpayer_name": "丹东市振兴区晨光五金商行", "contact_phone": "13904151234", "uscc": USCC_A}

    # transfer: pick a colleague
    page.click("#btn-transfer")
    page.wait_for_selector('.colleague[data-id="6"]')
    assert page.locator('.colleague[data-id="5"]').count() == 0  # not to oneself
    page.click("#dialog-ok")
    assert "请选择" in page.text_content("#dialog-error")
    page.click('.colleague[data-id="6"]')
    page.fill("#dialog-input", "企业问出口退税，李强更熟悉")
    page.click("#dialog-cancel")
    assert not hub.calls_to("POST", "/api/seats/conversations/7/transfer")

    # escalate: a required note
    page.click("#btn-escalate")
    page.click("#dialog-ok")
    assert page.is_visible("#dialog-error")
    page.fill("#dialog-input", "专票与免征的衔接需专家确认")
    page.click("#dialog-ok")
    page.wait_for_selector("#dialog-backdrop", state="hidden")
    assert hub.calls_to("POST", "/api/seats/conversations/7/escalate")[-1] == {"note": "专票与免征的衔接需专家确认"}
    assert page.locator('#mine .conv-item[data-id="7"]').count() == 0
    assert page.is_disabled("#chat-input") and page.is_disabled("#btn-close")

    # close another conversation of mine with a summary
    feed(page, {"type": "conversation", "conversation": {**mine_items()[0], "id": 8, "enterprise_name": "测试企业"}})
    page.click('#mine .conv-item[data-id="8"]')
    page.wait_for_selector('#chat .msg[data-id="301"]')
    page.click("#btn-close")
    page.fill("#dialog-input", "已解答")
    page.click("#dialog-ok")
    page.wait_for_selector("#dialog-backdrop", state="hidden")
    assert hub.calls_to("POST", "/api/seats/conversations/8/close")[-1] == {"summary": "已解答"}
    assert page.watch.errors == []


def test_knowledge_card_notifications_and_presence(page, base_url, hub):
    logged_in(page, base_url)
    page.wait_for_function("() => document.body.dataset.connected === '1'")
    hello(page)
    page.click('#mine .conv-item[data-id="7"]')
    page.wait_for_selector('#chat .msg[data-id="110"]')
    page.click("#btn-knowledge")
    page.fill("#kb-query", "免征")
    page.wait_for_selector('.kb-result[data-entry="vat-small-scale-1pct-1"]')
    page.click('.kb-result[data-entry="vat-small-scale-exemption-1"] .kb-send')
    page.wait_for_selector('#chat .msg[data-kind="answer"][data-sender="staff"]')
    assert hub.calls_to("POST", "/api/seats/conversations/7/cards")[-1] == {"entry_id": "vat-small-scale-exemption-1"}

    page.wait_for_function("() => document.querySelector('#notif-count').textContent === '2'")
    feed(page, {"type": "notification", "notification": {
        "id": 40, "created_at": _iso(0), "kind": "overdue", "petition_id": 9, "read_at": None,
        "message": "<b>诉求</b> 已超期", "recipient_staff_id": 5, "recipient_unit_id": None}})
    assert page.text_content("#notif-count") == "3"
    page.click("#btn-notif")
    item = page.locator('.notif-item[data-id="40"]')
    assert "<b>诉求</b> 已超期" in item.inner_text()
    item.click()
    page.wait_for_function("() => document.querySelector('#notif-count').textContent === '2'")
    assert hub.calls_to("POST", "/api/notifications/40/read")

    # what the hub really relays: ids only; the page reads the list again
    feed(page, {"type": "notification", "notification": {"notification_id": 31, "petition_id": 3,
                                                         "recipient_staff_id": 5, "recipient_unit_id": None}})
    page.wait_for_function("() => document.querySelector('#toast').textContent.includes('距办理期限不足1个工作日')")
    page.keyboard.press("Escape")
    page.select_option("#presence", "busy")
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not (hub.calls_to("PUT", "/api/seats/me/presence")
                                               and {"type": "presence", "status": "busy"} in hub.ws_received):
        time.sleep(0.05)
    assert hub.calls_to("PUT", "/api/seats/me/presence")[-1] == {"status": "busy"}
    assert {"type": "presence", "status": "busy"} in hub.ws_received
    feed(page, {"type": "presence", "status": "away"})
    assert page.input_value("#presence") == "away"
    assert page.watch.errors == []


def test_a_401_goes_back_to_the_login(page, base_url):
    logged_in(page, base_url)
    hello(page)
    feed(page, {"type": "conversation", "conversation": {**mine_items()[0], "id": 99}})
    page.click('#mine .conv-item[data-id="99"]')
    page.wait_for_selector("#login-form")
    page.wait_for_selector("#login-error:not([hidden])")
    assert page.text_content("#login-error") == "登录已过期，请重新登录"
    assert page.evaluate("sessionStorage.getItem('taxConsole.token')") is None
    assert not page.is_visible("#app")
