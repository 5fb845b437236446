"""bot.speedups: Rasa checks the action server's answers exactly as before, without re-checking its schema."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot import speedups

ORIGINAL = RemoteAction._validate_action_result

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "fallback_count", "value": 0, "timestamp": None}],
     "responses": [{"text": "您好", "buttons": []}, {"custom": {"kind": "answer"}}]},
    {"events": [{"event": "active_loop", "name": "petition_form"},
                {"event": "followup", "name": "petition_form"}], "responses": []},
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot"}]},  # a slot event without a name
    {"responses": ["plain text instead of an object"]},
    [],
]


@pytest.fixture
def action():
    speedups.install()
    yield RemoteAction("action_answer_question", None)
    RemoteAction._validate_action_result = ORIGINAL


@pytest.mark.parametrize("result", VALID)
def test_valid_answers_pass_as_before(action, result):
    assert ORIGINAL(action, result) is True
    assert action._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_answers_are_refused_as_before(action, result):
    with pytest.raises(ValidationError) as before:
        ORIGINAL(action, result)
    with pytest.raises(ValidationError) as after:
        action._validate_action_result(result)
    assert after.value.message == before.value.message
    assert "Failed to validate Action server response" in after.value.message


def test_the_schema_is_checked_once(action, monkeypatch):
    speedups.response_validator.cache_clear()
    validator = speedups.response_validator()
    calls = []
    monkeypatch.setattr(type(validator), "check_schema", classmethod(lambda cls, schema: calls.append(schema)))
    for _ in range(3):
        action._validate_action_result(VALID[1])
    assert calls == [] and speedups.response_validator() is validator
