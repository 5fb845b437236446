"""Time in SQL for PostgreSQL and SQLite: the aware-UTC column type and Shanghai calendar expressions.

Times are stored in UTC (``timestamptz`` on PostgreSQL, naive UTC text on SQLite); reports count
days in Asia/Shanghai. Asia/Shanghai has been UTC+8 without daylight saving since 1991, so both
dialects add eight hours to the UTC wall time — on PostgreSQL that is also several times cheaper
per row than ``AT TIME ZONE 'Asia/Shanghai'``, which matters for aggregates over 100 000 rows.

``UTCDateTime``          ``DateTime(timezone=True)`` that refuses naive values and always returns aware UTC
``china_day(ts)``        the Shanghai date of a UTC time (Date)
``china_week(ts)``       the Monday of its Shanghai week (Date)
``china_month(ts)``      the first day of its Shanghai month (Date)
``iso_date(d)``          a Date column as ``YYYY-MM-DD`` text, independent of PostgreSQL's DateStyle
``done_by(ts, d)``       the Shanghai date of ``ts`` is on or before ``d`` (NULL ``ts``: not true)
``workday_number(numbers, day, origin)``
                         ``numbers[day - origin]``: the running count of working days on ``day``
                         from a list computed in Python (an ``INTEGER[]`` parameter on PostgreSQL,
                         a JSON array on SQLite); NULL outside the list
"""
from __future__ import annotations

from datetime import timezone

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import DateTime, TypeDecorator

__all__ = ["UTCDateTime", "china_day", "china_week", "china_month", "iso_date", "done_by", "workday_number"]


class UTCDateTime(TypeDecorator):
    """``DateTime(timezone=True)`` that refuses naive values and always returns aware UTC (SQLite too)."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times must be timezone-aware")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class _OneArg(FunctionElement):
    inherit_cache = True

    def _arg(self, compiler, **kw) -> str:
        (arg,) = list(self.clauses)
        return str(compiler.process(arg, **kw))


class china_day(_OneArg):  # noqa: N801 - reads like an SQL function
    type = Date()
    name = "china_day"
    inherit_cache = True


class china_week(_OneArg):  # noqa: N801
    type = Date()
    name = "china_week"
    inherit_cache = True


class china_month(_OneArg):  # noqa: N801
    type = Date()
    name = "china_month"
    inherit_cache = True


class iso_date(_OneArg):  # noqa: N801
    type = String()
    name = "iso_date"
    inherit_cache = True


class done_by(FunctionElement):  # noqa: N801
    type = Boolean()
    name = "done_by"
    inherit_cache = True


class workday_number(FunctionElement):  # noqa: N801
    type = Integer()
    name = "workday_number"
    inherit_cache = True


_PG_LOCAL = "((%s AT TIME ZONE 'UTC') + INTERVAL '8 hours')"


@compiles(china_day, "postgresql")
def _day_pg(element, compiler, **kw):
    return f"CAST({_PG_LOCAL % element._arg(compiler, **kw)} AS DATE)"


@compiles(china_day, "sqlite")
def _day_sqlite(element, compiler, **kw):
    return f"date({element._arg(compiler, **kw)}, '+8 hours')"


@compiles(china_week, "postgresql")
def _week_pg(element, compiler, **kw):
    return f"CAST(date_trunc('week', {_PG_LOCAL % element._arg(compiler, **kw)}) AS DATE)"


@compiles(china_week, "sqlite")
def _week_sqlite(element, compiler, **kw):
    # 'weekday 0' moves forward to the Sunday ending the week (or stays on it); six days back is its Monday.
    return f"date({element._arg(compiler, **kw)}, '+8 hours', 'weekday 0', '-6 days')"


@compiles(china_month, "postgresql")
def _month_pg(element, compiler, **kw):
    return f"CAST(date_trunc('month', {_PG_LOCAL % element._arg(compiler, **kw)}) AS DATE)"


@compiles(china_month, "sqlite")
def _month_sqlite(element, compiler, **kw):
    return f"date({element._arg(compiler, **kw)}, '+8 hours', 'start of month')"


@compiles(iso_date, "postgresql")
def _iso_pg(element, compiler, **kw):
    return f"to_char({element._arg(compiler, **kw)}, 'YYYY-MM-DD')"


@compiles(iso_date, "sqlite")
def _iso_sqlite(element, compiler, **kw):
    return element._arg(compiler, **kw)  # SQLAlchemy stores SQLite dates as YYYY-MM-DD text


def _args(element, compiler, **kw) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses]


# The Shanghai day ``d`` ends at ``d + 1 day - 8 hours`` = ``d + 16 hours`` UTC.
@compiles(done_by, "postgresql")
def _done_by_pg(element, compiler, **kw):
    done, due = _args(element, compiler, **kw)
    return f"({done} < (({due} + INTERVAL '16 hours') AT TIME ZONE 'UTC'))"


@compiles(done_by, "sqlite")
def _done_by_sqlite(element, compiler, **kw):
    done, due = _args(element, compiler, **kw)
    return f"({done} < datetime({due}, '+16 hours'))"


@compiles(workday_number, "postgresql")
def _workday_pg(element, compiler, **kw):
    numbers, day, origin = _args(element, compiler, **kw)
    return f"(CAST({numbers} AS INTEGER[]))[({day} - {origin}) + 1]"


@compiles(workday_number, "sqlite")
def _workday_sqlite(element, compiler, **kw):
    numbers, day, origin = list(element.clauses)

    def index() -> str:  # rendered afresh each time: SQLite's positional parameters follow the text order
        return f"CAST(julianday({compiler.process(day, **kw)}) - julianday({compiler.process(origin, **kw)}) AS INTEGER)"

    guard = index()
    return f"(CASE WHEN {guard} >= 0 THEN json_extract({compiler.process(numbers, **kw)}, '$[' || {index()} || ']') END)"
