"""Builders of the reply envelope (`custom` object) of DESIGN.md, one per kind."""
from __future__ import annotations

from typing import Any

__all__ = ["smalltalk", "refuse", "fallback", "clarify", "handoff"]


def smalltalk() -> dict[str, Any]:
    return {"kind": "smalltalk"}


def refuse() -> dict[str, Any]:
    return {"kind": "refuse"}


def fallback(reason: str) -> dict[str, Any]:
    return {"kind": "fallback", "reason": reason}


def clarify(options: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "clarify", "options": options}


def handoff(tier: str, status: str, position: int | None = None) -> dict[str, Any]:
    return {"kind": "handoff", "tier": tier, "status": status, "position": position}
