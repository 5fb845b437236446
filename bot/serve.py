"""Start the Rasa server the way this project deploys it: ``python -m bot.serve``.

Exactly ``rasa run`` (same CLI, same logging), with what must not be left to a command line:
* Rasa's HTTP API (trackers, ``/model/parse``, ``PUT /model`` …) requires a JWT signed with
  ``RASA_JWT_SECRET`` (``common.tokens.rasa_api_token`` makes one); the secret is read from the environment
  (or var/ in development) inside this process, so it never shows in ``ps``. The REST channel stays open: it is
  how the hub and tests on this machine talk to the bot.
* It listens on ``RASA_HOST`` (127.0.0.1 unless configured for several hosts), ``RASA_PORT`` (5005).
* No CORS: browsers never call Rasa; the API's hub does.
* ``--endpoints`` is ``bot/endpoints.redis.yml`` when ``RASA_REDIS_HOST`` is set (trackers and locks shared by
  several instances), else ``bot/endpoints.yml``; either sends ``ACTIONS_TOKEN`` to the action server.
* Rasa's needless per-turn costs are removed first (``bot.speedups``), and a tracker that cannot be read fails
  the turn instead of starting the conversation afresh (``bot.tracker_store.install``).
* Several processes: with the Redis stores, ``SANIC_WORKERS=N`` in the environment makes Rasa fork N workers
  on the one port (each loads the model, ~1 GB); with the in-memory stores Rasa refuses more than one.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from common.secretstore import secret

__all__ = ["rasa_argv", "main"]


def rasa_argv(environ: Mapping[str, str] | None = None) -> list[str]:
    env: Mapping[str, str] = os.environ if environ is None else environ
    endpoints = env.get("RASA_ENDPOINTS") or (
        "bot/endpoints.redis.yml" if env.get("RASA_REDIS_HOST") else "bot/endpoints.yml")
    return ["rasa", "run", "--enable-api",
            "--interface", env.get("RASA_HOST", "127.0.0.1"), "--port", env.get("RASA_PORT", "5005"),
            "--model", env.get("RASA_MODEL", "models/current.tar.gz"),
            "--endpoints", endpoints, "--credentials", env.get("RASA_CREDENTIALS", "bot/credentials.yml"),
            # one token: a generated secret may begin with "-", which argparse would take for an option
            f"--jwt-secret={secret('RASA_JWT_SECRET', env)}", "--jwt-method", "HS256"]


def main() -> None:
    # bot/endpoints*.yml read ${ACTIONS_TOKEN} from the environment: give Rasa the development one when unset.
    os.environ.setdefault("ACTIONS_TOKEN", secret("ACTIONS_TOKEN"))
    sys.argv = rasa_argv()  # this process's own argv: /proc/<pid>/cmdline still shows `python -m bot.serve`
    from rasa.__main__ import main as rasa_main

    from bot import speedups, tracker_store

    speedups.install()
    tracker_store.install()

    rasa_main()


if __name__ == "__main__":
    main()
