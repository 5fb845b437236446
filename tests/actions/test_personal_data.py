"""Personal data (own credit, petitions, reminder answers) only via the API, and honesty when it is away."""
import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions.credit import ActionOwnCredit, ActionReminderAnswer
from actions.petition import ActionPetitionStatus
from tests.actions.conftest import customs, make_tracker, texts


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher


def test_own_credit_without_a_login_explains_how_to_look_it_up_and_reveals_nothing(api_down):
    dispatcher = run(ActionOwnCredit(), make_tracker("我们公司信用等级是多少", intent="query_own_credit"))
    assert "credit" not in [c["kind"] for c in customs(dispatcher)]
    assert "登录" in texts(dispatcher)
    assert [c["topic"] for c in customs(dispatcher) if c["kind"] == "answer"] == ["credit-query"]


def test_own_credit_with_a_grant_but_no_api_apologises_instead_of_guessing(api_down):
    tracker = make_tracker("查下我们的信用", intent="query_own_credit", metadata={"enterprise_grant": "x.y.z"})
    dispatcher = run(ActionOwnCredit(), tracker)
    assert "credit" not in [c["kind"] for c in customs(dispatcher)]
    assert "暂时无法使用" in texts(dispatcher)


def test_a_credit_repair_request_explains_the_repair_procedure(api_down):
    dispatcher = run(ActionOwnCredit(), make_tracker("帮我申请信用修复", intent="apply_credit_repair"))
    assert [c["topic"] for c in customs(dispatcher) if c["kind"] == "answer"] == ["credit-repair"]


def test_petition_status_needs_a_login():
    dispatcher = run(ActionPetitionStatus(), make_tracker("我的诉求办得怎么样了", intent="check_petition_status"))
    assert customs(dispatcher) == [{"kind": "fallback", "reason": "login_required"}]


def test_a_reminder_answer_that_cannot_be_recorded_says_so(api_down):
    dispatcher = run(ActionReminderAnswer(), make_tracker("我们已经更正申报了", intent="risk_corrected"))
    assert customs(dispatcher) == [{"kind": "fallback", "reason": "service_unavailable"}]


def test_an_expired_login_is_named_as_such(api_down):
    tracker = make_tracker("查下我们的信用", intent="query_own_credit",
                           metadata={"enterprise_token_error": "token_expired"})
    assert "登录已过期" in texts(run(ActionOwnCredit(), tracker))
    tracker = make_tracker("我的诉求办得怎么样了", intent="check_petition_status",
                           metadata={"enterprise_token_error": "token_expired"})
    assert "登录已过期" in texts(run(ActionPetitionStatus(), tracker))


def test_a_throttled_status_lookup_is_told_to_wait_and_the_conversation_is_named(monkeypatch):
    """The API refuses a status guess with 429 (api.petition.internal): the user hears its Chinese reason, and
    the action names its conversation so the API can throttle guesses per conversation."""
    import http.server
    import json
    import threading

    from actions.settings import get_settings

    asked = []

    class TooMany(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            asked.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            body = json.dumps({"detail": "该受理编号的查询失败次数过多，为保护您的信息，"
                                         "请1小时后再试，或登录电子税务局后查询。",
                               "code": "too_many_attempts"}).encode()
            self.send_response(429)
            self.send_header("Content-Type", "application/json")
            self.send_header("Retry-After", "3600")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TooMany)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("API_URL", f"http://127.0.0.1:{server.server_address[1]}")
    get_settings.cache_clear()
    try:
        tracker = make_tracker("SQ-20261123-0001 13912345678", intent="check_petition_status",
                               entities=[{"entity": "phone", "value": "13912345678"}])
        dispatcher = run(ActionPetitionStatus(), tracker)
    finally:
        server.shutdown()
        get_settings.cache_clear()
    assert asked[0]["sender_id"] == "test-sender" and asked[0]["ticket"] == "SQ-20261123-0001"
    assert "查询失败次数过多" in texts(dispatcher) and "1小时后再试" in texts(dispatcher)
    assert customs(dispatcher) == [{"kind": "fallback", "reason": "too_many_attempts"}]


def test_a_ticket_number_in_any_wording_asks_for_that_petitions_status():
    """Whatever the classifier makes of "查一下SQ-…的进度，电话…" (it once said `inform`), the 受理编号 decides."""
    from common.owndata import own_data_request

    for text in ("查一下SQ-20261207-0001的进度，电话13912345678", "sq-20261207-0001 13912345678",
                 "SQ-20261207-0001办得怎么样"):
        assert own_data_request(text) == "petitions", text
    assert own_data_request("受理编号在哪里看") is None  # asks how, names no petition
