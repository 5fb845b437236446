"""Chinese working days for petition deadlines (税总函〔2019〕40号).

Petition time limits are counted in working days under the State Council
holiday schedule (国务院办公厅关于部分节假日安排的通知), including the make-up
working days (调休) that fall on a Saturday or Sunday.  Days are counted in
Asia/Shanghai; times are stored in UTC and converted here.

Data sources
    * the ``chinesecalendar`` package (import name ``chinese_calendar``): the
      years it knows are those its own date check accepts, i.e. from the year
      of its first to the year of its last listed holiday;
    * ``common/holiday_overrides.yml`` for years the package does not know yet
      (the State Council publishes next year's schedule around November,
      before a package release may be available).  Loaded lazily, once, on the
      first question; nothing is read at import.  For a year the package
      already knows the package wins and a differing override is logged as a
      warning and ignored.

A date outside the known years is never guessed from weekends: every public
function raises :class:`CalendarUnknownYear` and logs it at ERROR level.
The date functions take ``datetime.date`` only (a ``datetime`` raises TypeError,
so a UTC instant is never silently truncated to its UTC date); instants go
through :func:`due_date`, which converts them to the Shanghai date.

Counting convention ("received on day D, due within n working days")
    The deadline is the n-th working day *after* D; D itself never counts,
    whatever time of day the petition arrived and whether or not D is a
    working day.  Example: received Tuesday 2025-09-30 (the day before the
    National Day holiday 2025-10-01..08), due within 5 working days:
    2025-10-09, 10, 11 (Saturday, make-up working day), 13, 14 → due
    2025-10-14.

    ``n == 0`` means "the same working day": D if D is a working day,
    otherwise the next working day.

    ``working_days_between(start, end)`` counts the working days in
    (start, end], so for n >= 1 ``add_working_days(d, n) == e`` exactly when
    ``working_days_between(d, e) == n`` and ``e`` is a working day.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "CHINA_TZ",
    "DEFAULT_OVERRIDES_PATH",
    "Calendar",
    "CalendarDataError",
    "CalendarError",
    "CalendarUnknownYear",
    "YearSchedule",
    "add_working_days",
    "china_today",
    "due_date",
    "is_working_day",
    "known_years",
    "working_days_between",
]

logger = logging.getLogger(__name__)

CHINA_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_OVERRIDES_PATH = Path(__file__).with_name("holiday_overrides.yml")

_ONE_DAY = timedelta(days=1)


class CalendarError(Exception):
    """Base class of the working-day calendar's errors."""


class CalendarUnknownYear(CalendarError):
    """A date was asked about whose year has no official holiday schedule here."""

    def __init__(self, year: int, known: range) -> None:
        self.year = year
        self.known = known
        span = f"{known.start}-{known.stop - 1}" if len(known) else "none"
        super().__init__(
            f"no working-day calendar for year {year} (known years: {span}); "
            f"add the State Council schedule for {year} to common/holiday_overrides.yml "
            f"or upgrade chinesecalendar"
        )


class CalendarDataError(CalendarError):
    """The holiday override file is missing or malformed."""


@dataclass(frozen=True)
class YearSchedule:
    """One year's deviations from the Monday-Friday week.

    ``holidays``: days off (weekend days may be listed too; they change nothing).
    ``workdays``: make-up working days (调休), always a Saturday or Sunday.
    """

    holidays: frozenset[date]
    workdays: frozenset[date]


def _package_schedules() -> dict[int, YearSchedule]:
    """The years chinesecalendar knows, with their schedules.

    The package accepts a date when its year lies between the years of its first and
    last listed holiday (its ``_validate_date``), and raises NotImplementedError
    otherwise; we adopt exactly that range.
    """
    from chinese_calendar import constants

    first = min(constants.holidays).year
    last = max(constants.holidays).year
    out: dict[int, YearSchedule] = {}
    for year in range(first, last + 1):
        out[year] = YearSchedule(
            holidays=frozenset(d for d in constants.holidays if d.year == year),
            workdays=frozenset(d for d in constants.workdays if d.year == year),
        )
    return out


def _parse_day(value: Any, *, year: int, field: str, path: Path) -> date:
    if isinstance(value, datetime):  # a subclass of date: reject explicitly
        raise CalendarDataError(f"{path}: {year}.{field}: {value!r} is a datetime, expected a date")
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError as exc:
            raise CalendarDataError(f"{path}: {year}.{field}: {value!r} is not a YYYY-MM-DD date") from exc
    else:
        raise CalendarDataError(f"{path}: {year}.{field}: {value!r} is not a date")
    if day.year != year:
        raise CalendarDataError(f"{path}: {year}.{field}: {day.isoformat()} is not in {year}")
    return day


def _load_overrides(path: Path) -> dict[int, YearSchedule]:
    """Parse and validate the override file (see holiday_overrides.yml for the format)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CalendarDataError(f"cannot read holiday overrides {path}: {exc}") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CalendarDataError(f"{path}: invalid YAML: {exc}") from exc
    if doc is None:
        return {}
    if not isinstance(doc, dict) or set(doc) - {"years"}:
        raise CalendarDataError(f"{path}: expected a mapping with the single key 'years'")
    years = doc.get("years") or {}
    if not isinstance(years, dict):
        raise CalendarDataError(f"{path}: 'years' must map a year to its schedule")

    out: dict[int, YearSchedule] = {}
    for raw_year, entry in years.items():
        try:
            year = int(raw_year)
        except (TypeError, ValueError):
            raise CalendarDataError(f"{path}: {raw_year!r} is not a year") from None
        if year in out:
            raise CalendarDataError(f"{path}: year {year} listed twice")
        entry = entry or {}
        if not isinstance(entry, dict) or set(entry) - {"holidays", "workdays"}:
            raise CalendarDataError(f"{path}: {year} must be a mapping with 'holidays' and 'workdays'")
        fields: dict[str, frozenset[date]] = {}
        for field in ("holidays", "workdays"):
            values = entry.get(field) or []
            if not isinstance(values, list):
                raise CalendarDataError(f"{path}: {year}.{field} must be a list of dates")
            fields[field] = frozenset(_parse_day(v, year=year, field=field, path=path) for v in values)
        both = fields["holidays"] & fields["workdays"]
        if both:
            days = ", ".join(d.isoformat() for d in sorted(both))
            raise CalendarDataError(f"{path}: {year}: {days} listed both as holiday and as workday")
        weekdays = sorted(d for d in fields["workdays"] if d.weekday() < 5)
        if weekdays:
            days = ", ".join(d.isoformat() for d in weekdays)
            raise CalendarDataError(
                f"{path}: {year}.workdays: {days} is a Monday-Friday; make-up working days "
                f"are Saturdays or Sundays"
            )
        out[year] = YearSchedule(holidays=fields["holidays"], workdays=fields["workdays"])
    return out


def _days(days: frozenset[date]) -> list[str]:
    return [d.isoformat() for d in sorted(days)]


def _merge(package: dict[int, YearSchedule], overrides: dict[int, YearSchedule]) -> dict[int, YearSchedule]:
    """Package years plus override years; the package wins; the years must be consecutive."""
    merged = dict(package)
    for year, sched in sorted(overrides.items()):
        known = merged.get(year)
        if known is None:
            merged[year] = sched
        elif known != sched:
            logger.warning(
                "holiday override for %d ignored: chinesecalendar knows %d and differs "
                "(only in override: holidays %s, workdays %s; only in package: holidays %s, workdays %s)",
                year,
                year,
                _days(sched.holidays - known.holidays),
                _days(sched.workdays - known.workdays),
                _days(known.holidays - sched.holidays),
                _days(known.workdays - sched.workdays),
            )
    if merged:
        gaps = sorted(set(range(min(merged), max(merged) + 1)) - set(merged))
        if gaps:
            raise CalendarDataError(
                f"known years must be consecutive; missing {gaps} between {min(merged)} and {max(merged)}"
            )
    return merged


class Calendar:
    """A working-day calendar over a set of consecutive known years.

    ``overrides_path``: YAML file of extra years (``None``: no overrides).
    ``use_package``: include the years chinesecalendar knows (tests may turn it off).
    Nothing is read until the first question; the data is then loaded once.
    """

    def __init__(
        self,
        overrides_path: Path | str | None = DEFAULT_OVERRIDES_PATH,
        *,
        use_package: bool = True,
    ) -> None:
        self._overrides_path = Path(overrides_path) if overrides_path is not None else None
        self._use_package = use_package
        self._lock = threading.Lock()
        self._schedules: Mapping[int, YearSchedule] | None = None
        self._years: range = range(0)

    # -- loading ---------------------------------------------------------------

    def _load(self) -> Mapping[int, YearSchedule]:
        schedules = self._schedules
        if schedules is not None:
            return schedules
        with self._lock:
            if self._schedules is None:
                package = _package_schedules() if self._use_package else {}
                overrides = _load_overrides(self._overrides_path) if self._overrides_path else {}
                merged = _merge(package, overrides)
                if merged:
                    self._years = range(min(merged), max(merged) + 1)
                self._schedules = merged
            return self._schedules

    def _schedule(self, day: date) -> YearSchedule:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError(f"expected a datetime.date, got {type(day).__name__}")
        schedules = self._load()
        sched = schedules.get(day.year)
        if sched is None:
            exc = CalendarUnknownYear(day.year, self._years)
            logger.error("%s (asked about %s)", exc, day.isoformat())
            raise exc
        return sched

    # -- questions -------------------------------------------------------------

    def known_years(self) -> range:
        """The consecutive years this calendar can answer for (empty range if none)."""
        self._load()
        return self._years

    def is_working_day(self, day: date) -> bool:
        """True on Monday-Friday unless a holiday, and on make-up working days (调休)."""
        sched = self._schedule(day)
        if day in sched.workdays:
            return True
        return day.weekday() < 5 and day not in sched.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` not counted).

        ``n == 0``: ``start`` if it is a working day, else the next working day.
        Raises :class:`CalendarUnknownYear` if ``start`` or any day up to the result
        lies outside the known years, ``ValueError`` if ``n < 0``.
        """
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, got {type(n).__name__}")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day = start
        if n == 0:
            while not self.is_working_day(day):
                day += _ONE_DAY
            return day
        self._schedule(start)  # start itself must be in a known year
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days in (start, end]; ``-working_days_between(end, start)`` if end < start.

        Both ``start`` and ``end`` must lie in known years.
        """
        if end < start:
            return -self.working_days_between(end, start)
        self._schedule(start)
        self._schedule(end)
        count = 0
        day = start
        while day < end:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count

    def due_date(self, received_at: datetime, n: int) -> date:
        """Deadline of something received at ``received_at`` (aware) due within n working days.

        ``received_at`` is converted to its Asia/Shanghai date D; the result is
        ``add_working_days(D, n)``.  A naive datetime raises ``ValueError``.
        """
        if not isinstance(received_at, datetime):
            raise TypeError(f"received_at must be a datetime, got {type(received_at).__name__}")
        if received_at.tzinfo is None or received_at.utcoffset() is None:
            raise ValueError("received_at must be timezone-aware (store times in UTC)")
        return self.add_working_days(received_at.astimezone(CHINA_TZ).date(), n)


_default = Calendar()


def china_today() -> date:
    """Today's date in Asia/Shanghai."""
    return datetime.now(CHINA_TZ).date()


def known_years() -> range:
    """The consecutive years the default calendar knows (package plus overrides)."""
    return _default.known_years()


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day under the State Council schedule (调休 included)."""
    return _default.is_working_day(day)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start``; n = 0: ``start`` or the next working day."""
    return _default.add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative (the count in (end, start]) if end < start."""
    return _default.working_days_between(start, end)


def due_date(received_at: datetime, n: int) -> date:
    """Deadline date (Asia/Shanghai) of something received at aware ``received_at``."""
    return _default.due_date(received_at, n)
