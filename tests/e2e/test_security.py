"""The bot's own servers answer only the parts of the system that should call them (issue 12).

Against the real stack: Rasa's HTTP API needs a JWT, the action server its shared secret, both listen on
loopback, and an enterprise token sent to the REST channel never lands in Rasa's tracker — what is stored there
opens nothing.
"""
import json

import httpx
import pytest

from common.identifiers import make_uscc
from common.tokens import create_enterprise_token, rasa_api_token
from tests.e2e.conftest import say

RASA_API = [("GET", "/conversations/{sender}/tracker"), ("POST", "/conversations/{sender}/tracker/events"),
            ("PUT", "/conversations/{sender}/tracker/events"), ("POST", "/conversations/{sender}/execute"),
            ("POST", "/model/parse"), ("GET", "/domain"), ("PUT", "/model"), ("DELETE", "/model"), ("GET", "/status"),
            ("POST", "/model/test/intents"), ("POST", "/conversations/{sender}/messages")]


def _admin(stack) -> dict:
    return {"Authorization": f"Bearer {rasa_api_token(stack.env['RASA_JWT_SECRET'])}"}


@pytest.mark.parametrize("method, path", RASA_API)
def test_rasas_http_api_refuses_callers_without_its_token(stack, method, path):
    url = stack.rasa + path.format(sender="some-sender")
    body = {"text": "你好", "event": "bot", "name": "action_listen", "model_file": "/tmp/x.tar.gz"}
    assert httpx.request(method, url, json=body, timeout=30).status_code == 401
    forged = rasa_api_token("not-the-secret-of-this-deployment-at-all")
    assert httpx.request(method, url, json=body, headers={"Authorization": f"Bearer {forged}"},
                         timeout=30).status_code == 401


def test_the_rest_channel_stays_open_and_the_token_holder_reads_trackers(stack):
    sender = "security-open-check"
    assert any(m.get("text") for m in say(stack.rasa, "你好", sender=sender))
    tracker = httpx.get(f"{stack.rasa}/conversations/{sender}/tracker", headers=_admin(stack), timeout=30)
    assert tracker.status_code == 200 and tracker.json()["sender_id"] == sender


def test_an_enterprise_token_never_reaches_the_tracker_and_what_is_kept_opens_nothing(stack, api_url):
    token = create_enterprise_token(make_uscc(424242), "防泄露测试有限公司", secret=stack.env["APP_SECRET"])
    sender = "security-token-check"
    say(stack.rasa, "我们公司的纳税信用等级是多少", sender=sender, metadata={"enterprise_token": token})
    raw = httpx.get(f"{stack.rasa}/conversations/{sender}/tracker", headers=_admin(stack), timeout=30).text
    assert token not in raw and token.split(".")[2] not in raw  # not the token, not even its signature
    metadata = next(e["metadata"] for e in json.loads(raw)["events"] if e["event"] == "user")
    assert metadata["enterprise"]["uscc"] == make_uscc(424242)
    grant = metadata["enterprise_grant"]
    with httpx.Client(base_url=api_url, timeout=30) as http:
        # the grant is not an enterprise token: the widget refuses it …
        assert http.post("/api/widget/session", json={"enterprise_token": grant}).status_code == 401
        visitor = http.post("/api/widget/session", json={}).json()["visitor_token"]
        response = http.get("/api/widget/messages", headers={"Authorization": f"Bearer {visitor}",
                                                             "X-Enterprise-Token": grant})
        assert response.status_code == 401
        # … nor a staff token, and without the service token the internal routes refuse it too
        assert http.get("/api/petitions", headers={"Authorization": f"Bearer {grant}"}).status_code == 401
        body = {"sender_id": sender, "enterprise_grant": grant}
        assert http.post("/api/internal/credit", json=body).status_code == 401


def test_an_expired_token_is_not_kept_either_and_the_bot_asks_to_log_in_again(stack):
    from datetime import timedelta

    token = create_enterprise_token(make_uscc(434343), "过期测试有限公司", secret=stack.env["APP_SECRET"],
                                    lifetime=timedelta(seconds=-30))
    sender = "security-expired-check"
    messages = say(stack.rasa, "我们公司的纳税信用等级是多少", sender=sender, metadata={"enterprise_token": token})
    raw = httpx.get(f"{stack.rasa}/conversations/{sender}/tracker", headers=_admin(stack), timeout=30).text
    assert token not in raw
    metadata = next(e["metadata"] for e in json.loads(raw)["events"] if e["event"] == "user")
    assert metadata["enterprise_token_error"] == "token_expired" and "enterprise_grant" not in metadata
    assert "credit" not in [(m.get("custom") or {}).get("kind") for m in messages]
    assert "登录已过期" in " ".join(m.get("text") or "" for m in messages)


def test_the_action_server_runs_nothing_without_the_shared_secret(stack):
    actions = stack.env["ACTION_ENDPOINT_URL"].rsplit("/", 1)[0]
    call = {"next_action": "action_petition_status", "sender_id": "victim", "version": "3.6.21",
            "tracker": {"sender_id": "victim", "slots": {}, "latest_message": {"text": "查诉求", "metadata": {}},
                        "events": [], "active_loop": {}, "paused": False, "latest_event_time": None,
                        "followup_action": None, "latest_action_name": "action_listen"},
            "domain": {}}
    assert httpx.post(f"{actions}/webhook", json=call, timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer a-guess-at-the-secret-of-this-server"}
    assert httpx.post(f"{actions}/webhook", json=call, headers=wrong, timeout=30).status_code == 401
    assert httpx.get(f"{actions}/actions", timeout=30).status_code == 401
    right = {"Authorization": f"Bearer {stack.env['ACTIONS_TOKEN']}"}
    assert httpx.get(f"{actions}/actions", headers=right, timeout=30).status_code == 200
    assert httpx.get(f"{actions}/health", timeout=30).status_code == 200


def _listening(port: int) -> set[str]:
    """The local addresses on which something listens on ``port`` (IPv4 and IPv6), from /proc."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]  # noqa: SIM115
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_rasa_the_action_server_and_the_api_listen_on_loopback_only(stack, api_url):
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1
    for url in (stack.rasa, stack.env["ACTION_ENDPOINT_URL"], api_url):
        port = int(url.split(":")[2].split("/")[0])
        addresses = _listening(port)
        assert addresses and addresses <= loopback, (url, addresses)


def test_the_rasa_process_command_line_holds_no_secret(stack):
    import psutil

    for process in psutil.process_iter(["cmdline"]):
        line = " ".join(process.info["cmdline"] or [])
        if "bot.serve" in line or "actions.server" in line:
            assert not any(stack.env[name] in line for name in ("RASA_JWT_SECRET", "ACTIONS_TOKEN", "APP_SECRET"))
