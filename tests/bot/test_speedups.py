"""bot.speedups: Rasa checks the action server's answers exactly as before, without re-checking its schema."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from bot import speedups

ORIGINAL = RemoteAction._validate_action_result
ORIGINAL_RESOLVE = Event.resolve_by_type

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
    Event.resolve_by_type = staticmethod(ORIGINAL_RESOLVE)


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


def test_every_event_class_is_found_as_rasa_finds_it(action):
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "bot", "action", "slot", "active_loop", "session_started"} <= names
    for name in names:
        assert Event.resolve_by_type(name) is ORIGINAL_RESOLVE(name)
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


def test_stored_events_read_back_the_same(action):
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered, deserialise_events

    events = [ActionExecuted("action_listen", timestamp=1.0), UserUttered("你好", {"name": "greet"}, timestamp=2.0),
              SlotSet("fallback_count", 1.0, timestamp=3.0)]
    assert deserialise_events([e.as_dict() for e in events]) == events
