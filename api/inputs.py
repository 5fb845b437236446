"""The types every request (body, path, query) is declared with, so bad input is a 422 with a reason, never a 500.

- ``CleanStr`` / ``clean_str(...)``: text with control characters removed at intake
  (``common.textnorm.strip_controls``), a drop-in for pydantic's ``str`` / ``constr(...)``.
- ``Id``: a database id, 1 … 2**63-1 (PostgreSQL BIGINT; SQLite's INTEGER has the same range). Other integers
  (pages, limits) are ``int`` with ``Query(ge=…, le=…)`` (pydantic v1 ignores Query bounds on a ConstrainedInt).
- ``SafeDate`` / ``SafeDatetime``: dates in ``MIN_YEAR`` … ``MAX_YEAR``; year 1 or 9999 cannot be moved to Beijing
  time, and a tax office has no business with them.

``tests/api/test_inputs.py`` walks every route and fails when a string, integer or date is declared otherwise.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ConstrainedInt, StrictStr
from pydantic.datetime_parse import parse_date, parse_datetime
from pydantic.validators import str_validator

from common.textnorm import strip_controls

__all__ = ["CleanStr", "clean_str", "clean_tree", "Id", "MAX_ID", "MAX_PAGE", "SafeDate", "SafeDatetime", "MIN_YEAR",
           "MAX_YEAR"]

MAX_ID = 2**63 - 1
MAX_PAGE = 100_000  # a page number past this is a mistake; the database would overflow on its offset long before
MIN_YEAR, MAX_YEAR = 2000, 2099


class CleanStr(StrictStr):
    """A string with control characters removed before its length is checked; text made of nothing else is refused.

    It derives from StrictStr only because pydantic v1 rebuilds any other ``str`` subclass as a plain ``constr`` when
    a Field/Query/Path adds ``max_length`` (dropping this cleaning); it is not strict: numbers still become text."""

    strict = False

    @classmethod
    def __get_validators__(cls):
        yield str_validator
        yield _clean
        yield from super().__get_validators__()


def _clean(value: str) -> str:
    cleaned = strip_controls(value)
    if value.strip() and not cleaned.strip():
        # Nothing but control characters: refused, not read as "no text". An empty search term means "no filter",
        # and a NUL must not turn a search into "everything" (as it did on SQLite, which cuts the pattern at NUL).
        raise ValueError("只含控制字符，没有可用的文字")
    return cleaned


def clean_str(*, strip_whitespace: bool = False, min_length: int | None = None, max_length: int | None = None,
              regex: str | None = None) -> type[str]:
    """``constr`` with intake cleaning (see ``CleanStr``)."""
    namespace: dict[str, Any] = dict(strip_whitespace=strip_whitespace, min_length=min_length, max_length=max_length)
    if regex is not None:
        import re

        namespace["regex"] = re.compile(regex)
    return type("CleanStrValue", (CleanStr,), namespace)


def clean_tree(value: Any) -> Any:
    """The same cleaning through a free-form JSON value (keys and strings of dicts and lists), for the few fields
    that take a structure rather than text; use as ``validator("field", allow_reuse=True)(clean_tree)``."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, dict):
        return {clean_tree(k): clean_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_tree(v) for v in value]
    return value


class Id(ConstrainedInt):
    """A row id: 1 … 2**63-1 (a larger number is not an id; the database would fail on it)."""

    ge, le = 1, MAX_ID


def _in_years(value, kind: str):
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"{kind}须在{MIN_YEAR}年至{MAX_YEAR}年之间")
    return value


class SafeDate(date):
    """A date between MIN_YEAR and MAX_YEAR."""

    @classmethod
    def __get_validators__(cls):
        yield parse_date
        yield lambda value: _in_years(value, "日期")

    @classmethod
    def __modify_schema__(cls, field_schema: dict) -> None:
        field_schema.update(type="string", format="date")


class SafeDatetime(datetime):
    """A date and time between MIN_YEAR and MAX_YEAR."""

    @classmethod
    def __get_validators__(cls):
        yield parse_datetime
        yield lambda value: _in_years(value, "时间")

    @classmethod
    def __modify_schema__(cls, field_schema: dict) -> None:
        field_schema.update(type="string", format="date-time")
