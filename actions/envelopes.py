"""Builders of the reply envelope (`custom` object) of DESIGN.md, one per kind."""
from __future__ import annotations

__all__ = ["smalltalk", "refuse", "fallback", "clarify", "handoff"]


def smalltalk() -> dict:
    return {"kind": "smalltalk"}


def refuse() -> dict:
    return {"kind": "refuse"}


def fallback(reason: str) -> dict:
    return {"kind": "fallback", "reason": reason}


def clarify(options: list[dict]) -> dict:
    return {"kind": "clarify", "options": options}


def handoff(tier: str, status: str, position: int | None = None) -> dict:
    return {"kind": "handoff", "tier": tier, "status": status, "position": position}
