"""Service hours, queue positions, expected waits and the choice of a seat for a waiting conversation.

Pure functions over plain values (plus queries that take the session), so the rules are tested
without Redis or a socket. Assignment rule: the longest-waiting conversation goes to an online seat
of its tier whose skills cover its skill, with the fewest open conversations under the cap (ties:
the seat that has waited longest for work, then the lowest id); when no online seat of the tier has
the skill, any online seat of the tier takes it rather than leave the enterprise waiting.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.hub.models import Conversation
from common.hours import Hours
from common.workdays import CHINA_TZ, CalendarUnknownYear, is_working_day
from knowledge.skills import GENERAL

__all__ = ["TIER_ROLES", "hours_label", "service_open", "Seat", "choose_seat", "queue_position",
           "expected_wait_seconds"]

log = logging.getLogger(__name__)

TIER_ROLES = {"staff": "staff", "expert": "expert"}
"""The role a seat needs to serve a tier."""


def hours_label(hours: Hours, workdays_only: bool) -> str:
    """What the widget shows: ``工作日 09:00–17:00``."""
    return f"{'工作日' if workdays_only else '每天'} {hours.label()}"


def service_open(now: datetime, hours: Hours, workdays_only: bool) -> bool:
    local = now.astimezone(CHINA_TZ)
    if workdays_only:
        try:
            if not is_working_day(local.date()):
                return False
        except CalendarUnknownYear:  # logged by the calendar; weekdays are the best honest answer left
            if local.weekday() >= 5:
                return False
    return hours.contains(local)


@dataclass(frozen=True)
class Seat:
    """A seat as presence knows it, with its current number of open conversations."""
    staff_id: int
    role: str
    status: str  # online, busy, away; leaving: its last console closed, it may come back within seconds
    skills: frozenset[str]
    load: int
    idle_since: float = 0.0  # when it was last given a conversation (epoch seconds)

    def covers(self, skill: str | None) -> bool:
        return not self.skills or (skill or GENERAL) == GENERAL or skill in self.skills


def choose_seat(tier: str, skill: str | None, seats: list[Seat], cap: int) -> Seat | None:
    free = [s for s in seats if s.role == TIER_ROLES[tier] and s.status == "online" and s.load < cap]
    skilled = [s for s in free if s.covers(skill)]
    pool = skilled or free
    return min(pool, key=lambda s: (s.load, s.idle_since, s.staff_id)) if pool else None


def queue_position(conversation: Conversation, *, session: Session) -> int | None:
    """1 for the next to be served in its unit and tier; None when it is not waiting."""
    if conversation.mode != "queued" or conversation.queued_at is None:
        return None
    ahead = session.execute(
        select(func.count(Conversation.id)).where(
            Conversation.unit_id == conversation.unit_id, Conversation.mode == "queued",
            Conversation.tier == conversation.tier,
            (Conversation.queued_at < conversation.queued_at)
            | ((Conversation.queued_at == conversation.queued_at) & (Conversation.id < conversation.id)))
    ).scalar_one()
    return ahead + 1


def expected_wait_seconds(position: int | None, seats_present: int, handle_seconds: float | None) -> int | None:
    """Rough and honest: the people ahead, shared by the seats present, times the measured handling time.
    None when it cannot be computed from real data: nobody is present, or no handling time was measured yet
    (no assumed figure is ever shown as a wait)."""
    if position is None or seats_present <= 0 or not handle_seconds:
        return None
    return int(math.ceil(position / seats_present) * handle_seconds)
