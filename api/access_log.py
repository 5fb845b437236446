"""No query string reaches the logs: uvicorn's access log and its WebSocket lines print the path only.

Credentials must not travel in URLs (the sockets take theirs in the first frame, the widget page its
enterprise token in the fragment), but an old client or a mistaken link may still put one there, and a
log is read by more people than the token was meant for. The query is replaced by ``?…``.
"""
from __future__ import annotations

import logging

__all__ = ["DropQueryStrings", "install_log_redaction", "LOGGERS"]

LOGGERS = ("uvicorn.access", "uvicorn.error")  # uvicorn logs WebSocket connections on uvicorn.error


def _path_only(value: object) -> object:
    if isinstance(value, str) and value.startswith("/") and "?" in value:
        return value.split("?", 1)[0] + "?…"
    return value


class DropQueryStrings(logging.Filter):
    """Rewrites the record's arguments (uvicorn passes the path with its query as one of them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_path_only(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _path_only(v) for k, v in record.args.items()}
        return True


def install_log_redaction() -> None:
    """Add the filter to uvicorn's loggers once per process (the app factory may run more than once)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropQueryStrings) for f in logger.filters):
            logger.addFilter(DropQueryStrings())
