"""The action server: ``python -m actions.server``, rasa_sdk's app behind a shared secret.

rasa_sdk 3.6 runs any action for any tracker it is sent; here ``/webhook`` and ``/actions`` answer only a
caller presenting ``Authorization: Bearer <ACTIONS_TOKEN>`` (Rasa sends it, see bot/endpoints*.yml), and the
server listens on ``ACTIONS_HOST`` (127.0.0.1 unless configured for several hosts). ``/health`` stays open.
"""
from __future__ import annotations

import hmac
import logging

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

__all__ = ["create_app", "main"]

log = logging.getLogger(__name__)
OPEN_PATHS = frozenset({"/health"})


def create_app(token: str) -> Sanic:
    from rasa_sdk.endpoint import create_app as sdk_app

    app = sdk_app("actions", cors_origins=None)
    expected = f"Bearer {token}".encode()

    @app.on_request
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        presented = (request.headers.get("authorization") or "").encode()
        if not hmac.compare_digest(presented, expected):
            log.warning("action server: refused %s %s without the shared secret", request.method, request.path)
            return response.json({"error": "unauthorized"}, status=401)
        return None

    return app


def main() -> None:
    from actions.settings import get_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    app = create_app(settings.actions_token)
    log.info("action server on http://%s:%s", settings.host, settings.port)
    app.run(settings.host, settings.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
