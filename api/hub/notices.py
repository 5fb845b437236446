"""What the enterprise is told while it waits for a person: its place, an honest wait, and the offer to leave
a message; and, when the bot is at capacity, that its question is queued for the bot (:func:`bot_busy_text`).

Pure functions over plain values, shared by every path that puts a conversation in a queue (the bot's
handoff, a staff seat's escalation, a lost seat's conversations going back): one wording, one rule.
A wait in minutes is given only when it was computed from measured handling times and seats are present
(api.hub.routing.expected_wait_seconds); nobody of the tier online, or a long wait, offers the 留言 card
(the ``handoff`` envelope's ``leave_message``, which the widget shows as it does for ``offline``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from common import envelopes

__all__ = ["TIER_SEATS", "Waiting", "waiting", "queued_text", "handoff_envelope", "bot_busy_text"]

TIER_SEATS = {"staff": "人工坐席", "expert": "专家坐席"}
_TIER_PEOPLE = {"staff": "工作人员", "expert": "专家"}
LEAVE_MESSAGE = "您也可以留言，我们会尽快与您联系。"


@dataclass(frozen=True)
class Waiting:
    """A waiting conversation as the enterprise should understand it."""
    tier: str
    position: int | None  # 1: next in line
    seats_online: int  # seats of the tier present and not away
    wait_seconds: int | None  # None: not known honestly (no measured handling time, or nobody online)
    leave_message: bool  # offer the 留言 card


def waiting(tier: str, position: int | None, seats_online: int, wait_seconds: int | None, *,
            long_wait_seconds: int, long_queue: int) -> Waiting:
    """The wait and whether to offer leaving a message: nobody of the tier online, a computed wait of at least
    ``long_wait_seconds``, or (no wait known) at least ``long_queue`` conversations ahead."""
    if seats_online <= 0:
        wait_seconds = None
    ahead = max((position or 1) - 1, 0)
    long = (seats_online <= 0 or (wait_seconds is not None and wait_seconds >= long_wait_seconds)
            or (wait_seconds is None and ahead >= long_queue))
    return Waiting(tier, position, max(seats_online, 0), wait_seconds, long)


def _place(position: int | None) -> str:
    ahead = max((position or 1) - 1, 0)
    return f"您前面还有{ahead}位" if ahead else "您是下一位"


def queued_text(w: Waiting, *, lead: str = "") -> str:
    """One line for the enterprise; ``lead`` says what happened first (e.g. the seat's connection dropped)."""
    seats = TIER_SEATS.get(w.tier, "人工坐席")
    if w.seats_online <= 0:
        place = f"（排在第{w.position}位）" if w.position else ""
        text = (f"{seats}暂时都不在线，您的问题已为您排队{place}，{_TIER_PEOPLE.get(w.tier, '工作人员')}上线后会第一时间接入；"
                + LEAVE_MESSAGE)
    else:
        text = f"正在为您转接{seats}，{_place(w.position)}"
        if w.wait_seconds is not None:
            text += f"，预计等待约{max(1, math.ceil(w.wait_seconds / 60))}分钟"
        text += "，请稍候。"
        if w.leave_message:
            text += "当前等待的人较多，" + LEAVE_MESSAGE
    return lead + text


def handoff_envelope(w: Waiting) -> dict:
    """The reply envelope's ``handoff`` kind (DESIGN.md), extended with what the widget needs to be honest."""
    return envelopes.handoff(w.tier, "queued", w.position, wait={
        "expected_wait_seconds": w.wait_seconds, "seats_online": w.seats_online, "leave_message": w.leave_message})


def bot_busy_text(position: int) -> str:
    """The bot is slow to answer because many are asking: the question is kept in line (``position`` 1: next) or,
    at 0, already being answered; either way it will be answered."""
    if position <= 0:
        return "当前咨询的人较多，智能助手正在处理您的问题，请稍候，无需重复发送。"
    return f"当前咨询的人较多，您的问题已收到并在排队（{_place(position)}），智能助手会按顺序尽快回复，无需重复发送。"
