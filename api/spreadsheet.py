"""Cells of every CSV and XLSX download: whatever is stored is written, never refused, never run.

- Control characters (``common.textnorm.strip_controls``) are dropped at the writer too, for rows stored before
  intake removed them: a NUL stops Python's CSV writer mid-download and openpyxl refuses C0 characters
  (IllegalCharacterError), either of which used to cut an export short.
- CSV: text that starts like a formula (``= + - @``, tab, line break) and is not a number gets a leading
  apostrophe, so a spreadsheet shows it instead of running it (``=cmd|' /C calc'!A0``).
- XLSX: such text is written as a text cell (type ``s``); openpyxl would otherwise store ``=…`` as a formula.
"""
from __future__ import annotations

from typing import Any

from common.textnorm import strip_controls

__all__ = ["csv_text", "xlsx_value"]

_FORMULA = ("=", "+", "-", "@", "\t", "\n")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def csv_text(value: str) -> str:
    """A stored string as a safe CSV cell."""
    text = strip_controls(value)
    if text[:1] in _FORMULA and not _is_number(text):
        return "'" + text
    return text


def xlsx_value(sheet: Any, value: str) -> Any:
    """A stored string as a safe value for ``sheet.append`` of an openpyxl write-only sheet."""
    text = strip_controls(value)
    if not text.startswith("="):
        return text
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # text, never a formula
    return cell
