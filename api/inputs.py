"""The types every request (body, path, query) is declared with, so bad input is a 422 with a reason, never a 500.

- ``CleanStr`` / ``clean_str(...)``: text with control characters removed at intake
  (``common.textnorm.strip_controls``), a drop-in for pydantic's ``str`` / ``constr(...)``.
- ``Id``: a database id, 1 … 2**31-1: the id columns are INTEGER (PostgreSQL int4), and psycopg 3 sends a parameter
  typed as the column's, so a larger number is not "not found" but an error there. Other integers (pages, limits)
  are ``int`` with ``Query(ge=…, le=…)`` (``bounded_int`` for body fields), never past 64 bits.
- ``SafeDate`` / ``SafeDatetime``: dates in ``MIN_YEAR`` … ``MAX_YEAR``; year 1 or 9999 cannot be moved to Beijing
  time, and a tax office has no business with them.

The classes only carry the schema: what pydantic makes of the input is a plain ``str``, ``int``, ``date`` or
``datetime``, so that is what the type checker is told they are (and a plain value may be given where one is
declared, as in ``PetitionCreate(channel="窗口", ...)``).

``tests/api/test_inputs.py`` walks every route and fails when a string, integer or date is declared otherwise.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from common.textnorm import strip_controls

__all__ = ["CleanStr", "clean_str", "clean_tree", "Id", "bounded_int", "MAX_ID", "MAX_INT64", "MAX_PAGE", "SafeDate",
           "SafeDatetime", "MIN_YEAR", "MAX_YEAR"]

MAX_ID = 2**31 - 1  # the largest INTEGER: every id column's type
MAX_INT64 = 2**63 - 1  # no integer input goes past it
MAX_PAGE = 100_000  # a page number past this is a mistake; the database would overflow on its offset long before
MIN_YEAR, MAX_YEAR = 2000, 2099


if TYPE_CHECKING:  # what a validated value is: see the module docstring
    CleanStr = str
else:
    class CleanStr(str):
        """A string with control characters removed before its length is checked; text made of nothing else is refused.

        Not strict: numbers still become text (pydantic 2 alone would refuse them). ``clean_str(...)`` makes a subclass
        with constraints; ``Field``/``Query`` lengths given to a bare ``CleanStr`` are checked after the cleaning too."""

        strip_whitespace: bool = False
        min_length: int | None = None
        max_length: int | None = None
        pattern: str | None = None

        @classmethod
        def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
            text = core_schema.str_schema(strip_whitespace=cls.strip_whitespace or None, min_length=cls.min_length,
                                          max_length=cls.max_length, pattern=cls.pattern)
            return core_schema.no_info_before_validator_function(_clean, text)


def _clean(value: Any) -> Any:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return value  # the string schema refuses it with pydantic's own message
    cleaned = strip_controls(value)
    if value.strip() and not cleaned.strip():
        # Nothing but control characters: refused, not read as "no text". An empty search term means "no filter",
        # and a NUL must not turn a search into "everything" (as it did on SQLite, which cuts the pattern at NUL).
        raise ValueError("只含控制字符，没有可用的文字")
    return cleaned


def clean_str(*, strip_whitespace: bool = False, min_length: int | None = None, max_length: int | None = None,
              regex: str | None = None) -> type[str]:
    """``constr`` with intake cleaning (see ``CleanStr``)."""
    namespace: dict[str, Any] = dict(strip_whitespace=strip_whitespace, min_length=min_length, max_length=max_length,  # noqa: C408
                                     pattern=regex)
    if regex is not None:
        re.compile(regex)  # a bad pattern fails where it is declared
    return type("CleanStrValue", (CleanStr,), namespace)


def clean_tree(value: Any) -> Any:
    """The same cleaning through a free-form JSON value (keys and strings of dicts and lists), for the few fields
    that take a structure rather than text; use as ``field_validator("field")(clean_tree)``."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, dict):
        return {clean_tree(k): clean_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_tree(v) for v in value]
    return value


if TYPE_CHECKING:  # what a validated value is: see the module docstring
    Id = int
else:
    class Id(int):
        """A row id: 1 … 2**31-1 (a larger number is not an id; the database would fail on it)."""

        ge: int = 1
        le: int = MAX_ID
        strict: bool = False

        @classmethod
        def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
            return core_schema.int_schema(ge=cls.ge, le=cls.le, strict=cls.strict or None)


def bounded_int(ge: int, le: int, *, strict: bool = False) -> type[int]:
    """An integer between ``ge`` and ``le`` (``conint``), declared so that the bounds can be read back
    (tests/api/test_inputs.py checks every integer input is bounded to 64 bits)."""
    return type("BoundedInt", (Id,), dict(ge=ge, le=le, strict=strict))  # noqa: C408


def _in_years(value: date, kind: str) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"{kind}须在{MIN_YEAR}年至{MAX_YEAR}年之间")
    return value


if TYPE_CHECKING:  # what a validated value is: see the module docstring
    SafeDate = date
    SafeDatetime = datetime
else:
    class SafeDate(date):
        """A date between MIN_YEAR and MAX_YEAR."""

        @classmethod
        def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
            return core_schema.no_info_after_validator_function(lambda value: _in_years(value, "日期"),
                                                                core_schema.date_schema())


    class SafeDatetime(datetime):
        """A date and time between MIN_YEAR and MAX_YEAR."""

        @classmethod
        def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
            return core_schema.no_info_after_validator_function(lambda value: _in_years(value, "时间"),
                                                                core_schema.datetime_schema())
