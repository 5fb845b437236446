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
