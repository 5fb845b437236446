"""Daily hours written ``HH:MM-HH:MM`` in Asia/Shanghai time: the one parser for every hours setting.

Service hours (``SERVICE_HOURS``, when seats answer: ``09:00-17:00``, ``00:00-24:00`` round the clock) end after
they start; quiet hours (``REMINDER_QUIET_HOURS``, nothing pushed live: ``21:00-08:00``) may run past midnight,
and an empty value means none. Anything else is a :class:`ValueError` with the reason, so a bad setting stops
start-up (api.settings) instead of silently meaning "always" or "never".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from common.workdays import CHINA_TZ

__all__ = ["Hours", "parse_hours", "parse_optional_hours"]

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_SHAPE = "must look like 09:00-17:00 (HH:MM-HH:MM, 24-hour clock, Asia/Shanghai)"


@dataclass(frozen=True)
class Hours:
    start: time
    end: time | None  # None: until midnight ("24:00")

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware) falls in these hours, in Asia/Shanghai; a span past midnight wraps."""
        clock = moment.astimezone(CHINA_TZ).time()
        if self.end is None:
            return clock >= self.start
        if self.start < self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def label(self) -> str:
        end = "24:00" if self.end is None else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}–{end}"


def parse_hours(text: str, *, overnight: bool = False) -> Hours:
    """``'09:00-17:00'``; ``'00:00-24:00'`` is the whole day. ``overnight``: the span may end the next day
    (``'21:00-08:00'``); otherwise it must end after it starts. ValueError (with the reason) for anything else."""
    match = _HOURS.match(text or "")
    if not match:
        raise ValueError(f"{text!r} {_SHAPE}")
    h1, m1, h2, m2 = map(int, match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"{text!r} {_SHAPE}")
    start, end = time(h1, m1), None if h2 == 24 else time(h2, m2)
    if end == start:
        raise ValueError(f"{text!r} starts and ends at the same time")
    if end is not None and end < start and not overnight:
        raise ValueError(f"{text!r} must end after it starts")
    return Hours(start, end)


def parse_optional_hours(text: str | None, *, overnight: bool = False) -> Hours | None:
    """:func:`parse_hours`, except that an empty value means no hours at all (None)."""
    if text is None or not text.strip():
        return None
    return parse_hours(text, overnight=overnight)
