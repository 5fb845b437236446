"""The one way actions reach the API service: JSON over HTTP with the service credential."""
from __future__ import annotations

import logging
from typing import Any

import httpx
from rasa_sdk.executor import CollectingDispatcher

from actions.settings import get_settings

__all__ = ["ApiClient", "ApiUnavailable", "ApiRejected", "call_or_explain"]

log = logging.getLogger(__name__)


class ApiUnavailable(Exception):
    """The API could not be reached or failed (network error, timeout, 5xx, route not deployed)."""


class ApiRejected(Exception):
    """The API refused the request for a reason the user should hear (4xx with a message)."""

    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


class ApiClient:
    def __init__(self, base_url: str | None = None, token: str | None = None, timeout: float | None = None):
        settings = get_settings()
        self.base_url = base_url or settings.api_url
        self.token = token or settings.service_token
        self.timeout = timeout or settings.api_timeout

    async def request(self, method: str, path: str, json: dict[str, Any] | None = None,
                      params: dict[str, Any] | None = None) -> Any:
        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout) as client:
                response = await client.request(method, path, json=json, params=params,
                                                headers={"Authorization": f"Bearer {self.token}"})
        except httpx.HTTPError as exc:
            log.warning("API %s %s unreachable: %s", method, path, exc)
            raise ApiUnavailable(str(exc)) from exc
        body = _json(response)
        if response.status_code >= 500:
            raise ApiUnavailable(f"{response.status_code} from {path}")
        if response.status_code >= 400:
            detail = body.get("detail") if isinstance(body, dict) else None
            # Our API always answers 4xx with {"detail", "code"}; a bare 404 means the route is not deployed.
            if not isinstance(body, dict) or "code" not in body:
                raise ApiUnavailable(f"{response.status_code} from {path} without an application error")
            raise ApiRejected(response.status_code, str(detail or ""), body.get("code"))
        return body


async def call_or_explain(dispatcher: CollectingDispatcher, method: str, path: str, json: dict[str, Any], *,
                          rejected_reason: str, rejected_text: str, unavailable_text: str) -> Any | None:
    """Call the API; when it refuses or is away, tell the user (with a fallback envelope) and return None."""
    from actions.base import reply
    from common import envelopes

    try:
        return await ApiClient().request(method, path, json=json)
    except ApiRejected as exc:
        # a throttle's refusal (429) keeps its own reason: the user is told to wait, not that nothing was found
        reason = exc.code if exc.status == 429 and exc.code else rejected_reason
        reply(dispatcher, exc.message or rejected_text, envelopes.fallback(reason))
    except ApiUnavailable:
        reply(dispatcher, unavailable_text, envelopes.fallback("service_unavailable"))
    return None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
