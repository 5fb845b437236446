"""Rasa 3.6's per-turn costs that buy nothing, removed in the Rasa process (``python -m bot.serve`` installs them).

* Every answer of the action server is validated against Rasa's response schema with ``jsonschema.validate``,
  which first checks the *schema itself* against its meta-schema, on every call: with jsonschema 4.17 that
  check was 42 % of the Rasa process's CPU under load (issue 17, py-spy). The schema never changes, so it is
  checked once and its validator kept; every answer is still validated the same way, and an invalid one is
  refused with Rasa's own message.
* Every stored event read back (the tracker from Redis, each turn) looks its class up by walking all subclasses
  of ``Event`` (7 % of the CPU under load): the classes are kept in a table by type name, rebuilt when a name
  is not in it; a name no class has is answered by Rasa's own lookup, as before.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["install", "response_validator", "resolve_event_type"]

_EVENT_TYPES: dict[str, Any] = {}
_ORIGINAL: dict[str, Any] = {}


@lru_cache(maxsize=1)
def response_validator() -> Any:
    """The validator of the action server's response schema, its schema checked once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator kept: same checks, same error."""
    from jsonschema import exceptions
    from rasa.shared.constants import DOCS_BASE_URL

    error = exceptions.best_match(response_validator().iter_errors(result))
    if error is not None:
        error.message += (". Failed to validate Action server response from API, make sure your response from the "
                          f"Action endpoint is valid. For more information about the format visit "
                          f"{DOCS_BASE_URL}/custom-actions")
        raise error
    return True


def resolve_event_type(type_name: str, default: Any = None) -> Any:
    """``Event.resolve_by_type`` from a table: the first class of ``all_subclasses(Event)`` with that name."""
    cls = _EVENT_TYPES.get(type_name)
    if cls is None:
        from rasa.shared.core.events import Event
        from rasa.shared.utils.common import all_subclasses

        table: dict[str, Any] = {}
        for subclass in all_subclasses(Event):
            table.setdefault(subclass.type_name, subclass)
        _EVENT_TYPES.clear()
        _EVENT_TYPES.update(table)
        cls = _EVENT_TYPES.get(type_name)
    if cls is not None:
        return cls
    return _ORIGINAL["resolve_by_type"](type_name, default)  # "topic", a default, or Rasa's error


def install() -> None:
    """Patch Rasa in this process (idempotent)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    RemoteAction._validate_action_result = _validate_action_result
    _ORIGINAL.setdefault("resolve_by_type", Event.resolve_by_type)
    Event.resolve_by_type = staticmethod(resolve_event_type)
