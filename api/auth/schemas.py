"""Shapes of the auth routes."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["UnitBrief", "StaffRead", "TokenRead", "LockoutLifted"]


class UnitBrief(BaseModel):
    id: int
    name: str
    level: str
    kind: str

    model_config = ConfigDict(from_attributes=True)


class StaffRead(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    active: bool
    unit: UnitBrief


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds
    staff: StaffRead


class LockoutLifted(BaseModel):
    username: str
    was_locked: bool  # false: the account was not locked (nothing changed but its failure count)
