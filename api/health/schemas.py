"""The answer of GET /health."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = ["Health"]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, Literal["ok", "down"]]  # rasa, actions, database, redis
