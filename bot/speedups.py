"""Rasa 3.6's per-turn costs that buy nothing, removed in the Rasa process (``python -m bot.serve`` installs them).

* Every answer of the action server is validated against Rasa's response schema with ``jsonschema.validate``,
  which first checks the *schema itself* against its meta-schema, on every call: with jsonschema 4.17 that
  check was 42 % of the Rasa process's CPU under load (issue 17, py-spy). The schema never changes, so it is
  checked once and its validator kept; every answer is still validated the same way, and an invalid one is
  refused with Rasa's own message.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["install", "response_validator"]


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


def install() -> None:
    """Patch Rasa in this process (idempotent)."""
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _validate_action_result
