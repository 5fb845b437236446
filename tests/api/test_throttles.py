"""Throttles shared through Redis (issue 12): log-in lockout and its lifting, per-address log-in limits,
petition status guesses, the widget's rate per identity and its quotas, new visitor tokens per address,
and two app instances sharing the counters. Limits are shrunk through Settings so the tests stay fast."""
from __future__ import annotations

import io
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from api.org.service import create_staff
from api.privacy.models import AuditEntry
from api.throttle import Rate
from tests.api.conftest import PASSWORD
from tests.api.hubkit import hub_client, receive, receive_until, say, widget_socket, widget_token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def login(client, username, password):
    return client.post("/api/auth/token", data={"username": username, "password": password})


def assert_429(response, code, *words):
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["code"] == code and all(w in body["detail"] for w in words), body
    assert int(response.headers["Retry-After"]) >= 1


@pytest.fixture
def tight(settings):
    """The app's settings with small limits: ``tight(login_failures_per_account="3/15m")``."""
    def make(**limits):
        return settings.model_copy(update={k: Rate.parse(v) if isinstance(v, str) else v for k, v in limits.items()})
    return make


@pytest.fixture
def password_checks(monkeypatch):
    """How many times the log-in ran the PBKDF2 check (a real one, or the one burnt for an unknown name)."""
    import api.auth.router as auth_router

    calls = []
    real_verify, real_burn = auth_router.verify_password, auth_router.burn_password_check
    monkeypatch.setattr(auth_router, "verify_password", lambda *a: calls.append(1) or real_verify(*a))
    monkeypatch.setattr(auth_router, "burn_password_check", lambda *a: calls.append(1) or real_burn(*a))
    return calls


# -- log-in ----------------------------------------------------------------------------------------

def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, world, password_checks):
    for _ in range(4):
        assert login(client, world.clerk.username, "wrong-password").status_code == 401
    assert_429(login(client, world.clerk.username, "wrong-password"), "account_locked", "账号已临时锁定",
               "请联系上级或管理员解锁")
    checks = len(password_checks)
    refused = login(client, world.clerk.username, PASSWORD)
    assert_429(refused, "account_locked", "30分钟")
    assert 1700 <= int(refused.headers["Retry-After"]) <= 1800
    assert len(password_checks) == checks  # refused before the costly check: a flood costs no CPU
    assert login(client, world.handler.username, PASSWORD).status_code == 200  # other accounts are untouched


def test_an_unknown_username_locks_like_a_real_one(client, world):
    """The answer must not tell which usernames exist."""
    for _ in range(4):
        assert login(client, world.prefix + "nobody", "wrong-password").status_code == 401
    assert_429(login(client, world.prefix + "nobody", "wrong-password"), "account_locked")


def test_a_success_clears_the_failures(client, world):
    for _ in range(4):
        login(client, world.clerk.username, "wrong-password")
    assert login(client, world.clerk.username, PASSWORD).status_code == 200
    for _ in range(4):
        assert login(client, world.clerk.username, "wrong-password").status_code == 401


def _lock(client, username):
    for _ in range(5):
        login(client, username, "wrong-password")
    assert login(client, username, PASSWORD).status_code == 429


def test_the_supervisor_of_a_unit_above_lifts_the_lock_and_it_is_audited(client, world, auth, db):
    _lock(client, world.clerk.username)
    response = client.delete(f"/api/auth/lockouts/{world.clerk.username}", headers=auth(world.supervisor))
    assert response.status_code == 200, response.text
    assert response.json() == {"username": world.clerk.username, "was_locked": True}
    assert login(client, world.clerk.username, PASSWORD).status_code == 200
    entry = db.execute(select(AuditEntry).where(AuditEntry.staff_id == world.supervisor.id,
                                                AuditEntry.action == "unlock_login")).scalar_one()
    assert entry.subject == f"staff:{world.clerk.id}" and entry.detail["was_locked"] is True


def test_an_admin_lifts_any_lock(client, world, auth):
    _lock(client, world.other_staff.username)
    response = client.delete(f"/api/auth/lockouts/{world.other_staff.username}", headers=auth(world.admin))
    assert response.status_code == 200 and response.json()["was_locked"] is True
    assert login(client, world.other_staff.username, PASSWORD).status_code == 200


def test_plain_staff_and_a_supervisor_elsewhere_cannot_lift_a_lock(client, world, auth, db):
    _lock(client, world.clerk.username)
    elsewhere = create_staff(session=db, username=world.prefix + "sup2", display_name="另一市领导", role="supervisor",
                             unit_id=world.other_service.id, password_hash=world.clerk.password_hash)
    db.commit()
    for who in (world.registrar, world.handler, elsewhere):
        response = client.delete(f"/api/auth/lockouts/{world.clerk.username}", headers=auth(who))
        assert response.status_code == 403 and "解除锁定" in response.json()["detail"], response.text
    assert login(client, world.clerk.username, PASSWORD).status_code == 429
    missing = client.delete(f"/api/auth/lockouts/{world.prefix}nobody", headers=auth(world.admin))
    assert missing.status_code == 404 and "不存在" in missing.json()["detail"]


def test_failures_from_one_address_across_accounts_are_throttled(tight, world, password_checks):
    with TestClient(create_app(tight(login_failures_per_address="4/15m"))) as client:
        for name in ("clerk", "handler", "policy", "district"):
            assert login(client, world.prefix + name, "wrong-password").status_code == 401
        checks = len(password_checks)
        assert_429(login(client, world.registrar.username, PASSWORD), "too_many_requests", "登录失败次数过多")
        assert len(password_checks) == checks


def test_attempts_from_one_address_are_bounded_whatever_their_outcome(tight, world):
    with TestClient(create_app(tight(login_attempts_per_address="3/1m"))) as client:
        for _ in range(3):
            assert login(client, world.registrar.username, PASSWORD).status_code == 200
        assert_429(login(client, world.registrar.username, PASSWORD), "too_many_requests", "登录请求过于频繁")


def test_two_instances_share_the_counters(settings, world):
    """Failures spread over two API instances (one Redis) lock the account on both."""
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        for i in range(4):
            assert login((first, second)[i % 2], world.clerk.username, "wrong-password").status_code == 401
        assert login(second, world.clerk.username, "wrong-password").status_code == 429
        assert login(first, world.clerk.username, PASSWORD).status_code == 429


# -- petition status guesses -------------------------------------------------------------------------

def _file_petition(client, service_headers, phone="13912345678"):
    body = dict(content="电子税务局申报小规模减免时系统报错，无法提交。", category="信息化建设类",  # noqa: C408
                taxpayer_name="成都小微商贸有限公司", contact_phone=phone, sender_id=f"conv-{uuid4().hex[:8]}",
                idempotency_key=uuid4().hex)
    response = client.post("/api/internal/petitions", json=body, headers=service_headers)
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


def _status(client, service_headers, ticket, phone, sender=None):
    return client.post("/api/internal/petitions/status", headers=service_headers,
                       json={"ticket": ticket, "contact_phone": phone, "sender_id": sender})


def test_wrong_phones_for_a_ticket_are_refused_after_five_even_with_the_right_one(client, world, service_headers):
    ticket, other = _file_petition(client, service_headers), _file_petition(client, service_headers)
    for guess in range(5):
        assert _status(client, service_headers, ticket, f"1391234{guess:04d}").status_code == 404
    assert_429(_status(client, service_headers, ticket, "13912345678"), "too_many_attempts", "查询失败次数过多",
               "1小时")
    assert _status(client, service_headers, other, "13912345678").status_code == 200  # other tickets still answer


def test_wrong_guesses_from_one_conversation_are_refused_across_tickets(client, world, service_headers):
    tickets = [_file_petition(client, service_headers) for _ in range(4)]
    sender = f"demo-{uuid4().hex}"
    for ticket in tickets:  # 4 tickets x 3 guesses: under the per-ticket limit, past the per-conversation one
        for guess in range(3):
            response = _status(client, service_headers, ticket, f"1381234{guess:04d}", sender)
            if response.status_code == 429:
                assert_429(response, "too_many_attempts", "查询失败次数过多")
                assert (tickets.index(ticket), guess) == (3, 1)  # the 11th guess: 10 failures per hour
                assert _status(client, service_headers, ticket, "13912345678", "another-chat").status_code == 200
                return
            assert response.status_code == 404
    pytest.fail("the conversation was never throttled")


# -- widget -------------------------------------------------------------------------------------------

def _is_user_message(event):
    return event["type"] == "message" and event["message"]["sender"] == "user"


def test_the_message_rate_is_per_identity_across_sockets(settings, world):
    with hub_client(settings.model_copy(update={"messages_per_minute": 3}), world.service_dept.id) as hub:
        token = widget_token(hub)
        with widget_socket(hub, token) as ws:
            receive(ws)
            for text in ("第一条", "第二条"):
                say(ws, text)
                receive_until(ws, _is_user_message)
        with widget_socket(hub, token) as ws:  # a new socket does not reset the count
            receive(ws)
            say(ws, "第三条")
            receive_until(ws, _is_user_message)
            say(ws, "第四条")
            refused = receive_until(ws, lambda e: e["type"] == "error")
            assert refused["code"] == "rate_limited" and "您发送得太快了" in refused["text"]
        other = widget_token(hub)  # another identity is not affected
        with widget_socket(hub, other) as ws:
            receive(ws)
            say(ws, "别人的第一条")
            assert receive_until(ws, _is_user_message)["message"]["text"] == "别人的第一条"


def test_a_burst_is_bounded_per_identity(settings, world):
    with hub_client(settings.model_copy(update={"message_burst": 2}), world.service_dept.id) as hub:
        token = widget_token(hub)
        with widget_socket(hub, token) as ws, widget_socket(hub, token) as second:
            receive(ws), receive(second)
            say(ws, "一"), say(second, "二"), say(ws, "三")
            refused = receive_until(ws, lambda e: e["type"] == "error")
            assert refused["code"] == "rate_limited" and "秒后再发" in refused["text"]


def _leave(hub, token, n):
    return hub.post("/api/widget/leave-message", headers={"Authorization": f"Bearer {token}"},
                    json={"taxpayer_name": "成都小微商贸有限公司", "contact_phone": "13912345678",
                          "content": f"第{n}条留言：请回电。", "client_id": uuid4().hex})


def test_leave_messages_have_a_quota_per_identity_and_per_address(tight, world):
    with hub_client(tight(leave_messages_per_identity="2/1d", leave_messages_per_address="3/1d"),
                    world.service_dept.id) as hub:
        token = widget_token(hub)
        assert [_leave(hub, token, n).status_code for n in (1, 2)] == [201, 201]
        assert_429(_leave(hub, token, 3), "too_many_requests", "留言次数已达到上限", "12366")
        fresh = widget_token(hub)  # a new (free) visitor token from the same address
        assert _leave(hub, fresh, 4).status_code == 201
        assert_429(_leave(hub, fresh, 5), "too_many_requests", "留言次数已达到上限")


def test_a_resent_leave_message_does_not_use_the_quota(tight, world):
    with hub_client(tight(leave_messages_per_identity="1/1d"), world.service_dept.id) as hub:
        token = widget_token(hub)
        body = {"taxpayer_name": "成都小微商贸有限公司", "contact_phone": "13912345678", "content": "请回电。",
                "client_id": "same-id"}
        headers = {"Authorization": f"Bearer {token}"}
        first = hub.post("/api/widget/leave-message", headers=headers, json=body)
        again = hub.post("/api/widget/leave-message", headers=headers, json=body)
        assert (first.status_code, again.status_code) == (201, 201)
        assert first.json()["ticket"] == again.json()["ticket"]


def _upload(hub, token):
    return hub.post("/api/widget/uploads", headers={"Authorization": f"Bearer {token}"},
                    files={"file": ("发票.png", io.BytesIO(PNG), "image/png")})


def test_uploads_have_a_quota_per_identity_and_per_address(tight, world):
    with hub_client(tight(uploads_per_identity="2/1d", uploads_per_address="3/1d"), world.service_dept.id) as hub:
        token = widget_token(hub)
        assert [_upload(hub, token).status_code for _ in range(2)] == [201, 201]
        assert_429(_upload(hub, token), "too_many_requests", "上传的文件已达到今日上限")
        fresh = widget_token(hub)
        assert _upload(hub, fresh).status_code == 201
        assert_429(_upload(hub, fresh), "too_many_requests")


def test_new_visitor_tokens_are_limited_per_address_but_renewal_is_free(tight, world):
    with hub_client(tight(visitor_tokens_per_address="3/1h"), world.service_dept.id) as hub:
        tokens = [widget_token(hub) for _ in range(3)]
        assert_429(hub.post("/api/widget/session", json={}), "too_many_requests", "新建会话过于频繁")
        renewed = hub.post("/api/widget/session", json={"visitor_token": tokens[0]})
        assert renewed.status_code == 200


def test_widget_quotas_are_shared_by_two_instances(tight, world):
    limited = tight(uploads_per_identity="2/1d").model_copy(update={"bot_intake_unit_id": world.service_dept.id})
    with TestClient(create_app(limited)) as first, TestClient(create_app(limited)) as second:
        token = widget_token(first)
        assert _upload(first, token).status_code == 201
        assert _upload(second, token).status_code == 201
        assert _upload(first, token).status_code == 429

