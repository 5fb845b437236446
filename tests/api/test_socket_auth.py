"""Credentials never travel in URLs (issue 12): the hub's sockets take their tokens in the first frame,
a token in the query string is neither accepted nor logged, and the widget link carries the enterprise
token in its fragment."""
from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import httpx
import pytest
import websockets
from starlette.websockets import WebSocketDisconnect

from api.access_log import DropQueryStrings
from api.main import create_app
from tests.api.hubkit import console_socket, hub_client, receive, staff_token, widget_socket, widget_token
from tests.liveserver import LiveServer


@pytest.fixture
def hub(settings, world):
    with hub_client(settings.model_copy(update={"ws_auth_seconds": 0.3}), world.service_dept.id) as client:
        yield client


def _closed(ws) -> WebSocketDisconnect:
    with pytest.raises(WebSocketDisconnect) as closed:
        receive(ws)
    return closed.value


def test_the_widget_authenticates_by_its_first_frame(hub, enterprise_token):
    from common.identifiers import make_uscc

    token = widget_token(hub)
    with widget_socket(hub, token, enterprise_token(make_uscc(5), "成都小微商贸有限公司")) as ws:
        hello = receive(ws)
    assert hello["type"] == "hello" and hello["identity"]["name"] == "成都小微商贸有限公司"


def test_a_silent_socket_is_closed_with_4401(hub):
    for path in ("/ws/widget", "/ws/console"):
        with hub.websocket_connect(path) as ws:
            closed = _closed(ws)
        assert (closed.code, closed.reason) == (4401, "not_authenticated"), path


@pytest.mark.parametrize("frame", ['{"type": "ping"}', "not json", "[1, 2]", "[" * 100_000 + "]" * 100_000,
                                   '{"type": "auth"}'], ids=["ping", "not-json", "list", "deep", "no-token"])
def test_a_first_frame_that_is_not_an_auth_frame_closes_the_widget_socket(hub, frame):
    with hub.websocket_connect("/ws/widget") as ws:
        ws.send_text(frame)
        closed = _closed(ws)
    assert (closed.code, closed.reason) == (4401, "not_authenticated")


def test_tokens_in_the_query_string_are_not_accepted(hub, settings, world):
    token = widget_token(hub)
    with hub.websocket_connect(f"/ws/widget?visitor_token={token}") as ws:
        ws.send_json({"type": "ping"})
        assert _closed(ws).code == 4401
    with hub.websocket_connect(f"/ws/console?token={staff_token(settings, world.clerk)}") as ws:
        ws.send_json({"type": "ping"})
        assert _closed(ws).code == 4401


def test_bad_tokens_in_the_auth_frame_keep_their_close_codes(hub, settings, world, enterprise_token):
    from common.identifiers import make_uscc

    with widget_socket(hub, "not-a-token") as ws:
        assert (_closed(ws).code, ) == (4401, )
    expired = enterprise_token(make_uscc(6), lifetime=timedelta(seconds=-5))
    with widget_socket(hub, widget_token(hub), expired) as ws:
        closed = _closed(ws)
    assert (closed.code, closed.reason) == (4401, "token_expired")
    with hub.websocket_connect("/ws/console") as ws:
        ws.send_json({"type": "auth", "token": "not-a-token"})
        assert _closed(ws).code == 4401
    with console_socket(hub, settings, world.handler) as ws:  # a handler is not a seat
        closed = _closed(ws)
    assert (closed.code, closed.reason) == (4403, "not_a_seat")
    with console_socket(hub, settings, world.clerk) as ws:
        assert receive(ws)["type"] == "hello"


def test_the_demo_widget_link_carries_the_token_in_its_fragment(settings):
    from api.enterprise.router import widget_link

    assert widget_link("abc.def.ghi") == "/#enterprise_token=abc.def.ghi"


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_no_query_string_reaches_uvicorns_logs(settings, world):
    """A real uvicorn with its access log on: a token put in a URL by mistake is not printed."""
    app = create_app(settings.model_copy(update={"bot_intake_unit_id": world.service_dept.id, "ws_auth_seconds": 0.3}))
    server = LiveServer(app, lifespan="on", log_level="info")
    lines = _Lines()
    loggers = [logging.getLogger(name) for name in ("uvicorn.access", "uvicorn.error")]
    for logger in loggers:
        logger.addHandler(lines)
    server.start_and_wait()
    try:
        assert httpx.get(f"{server.url}/health?token=SECRET-IN-URL-1", timeout=10).status_code in (200, 503)

        async def socket():
            url = server.url.replace("http", "ws") + "/ws/widget?visitor_token=SECRET-IN-URL-2"
            async with websockets.connect(url) as ws:
                await ws.send(json.dumps({"type": "ping"}))
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await ws.recv()
                assert closed.value.rcvd.code == 4401

        asyncio.run(socket())
    finally:
        server.stop()
        for logger in loggers:
            logger.removeHandler(lines)
    logged = "\n".join(lines.lines)
    assert "/health?…" in logged and "/ws/widget?…" in logged, logged
    assert "SECRET-IN-URL" not in logged


def test_the_filter_keeps_the_path_and_drops_the_query():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/?enterprise_token=eyJ.x.y&embed=1", "1.1", 200), None)
    DropQueryStrings().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /?… HTTP/1.1" 200'
