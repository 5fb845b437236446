"""Driving Element Plus selects from Playwright: a select is found by the id of its input (the `id` a page gives
an `<el-select>` lands on the input), opened, filtered or searched by typing, and an option clicked."""
from __future__ import annotations

__all__ = ["select_root", "chosen", "choose"]


def select_root(page, select: str):
    """The Element Plus select whose input matches `select` (e.g. "#mark-entry")."""
    return page.locator(".el-select", has=page.locator(select))


def chosen(page, select: str) -> str:
    """The label the select shows for its value (waits until it has one)."""
    shown = select_root(page, select).locator(".el-select__placeholder:not(.is-transparent)")
    shown.wait_for()
    return shown.inner_text()


def choose(page, select: str, text: str, typed: str | None = None) -> None:
    """Open the select, type `typed` to filter (or search, for a remote one) and click the option showing `text`;
    until the select shows `text` (a remote search's results may re-render the list between finding the option
    and clicking it, and the click then lands on another entry)."""
    root = select_root(page, select)
    shown = root.locator(".el-select__placeholder:not(.is-transparent)")
    for _ in range(3):
        root.locator(".el-select__wrapper").click()
        if typed is not None:
            page.locator(select).fill(typed)
        page.locator(".el-select-dropdown:visible .el-select-dropdown__item", has_text=text).first.click()
        try:
            shown.filter(has_text=text).wait_for(timeout=2000)
            return
        except Exception:  # noqa: BLE001 - Playwright's timeout: the click chose another option; choose again
            continue
    raise AssertionError(f"{select} does not show {text!r} after choosing it three times")
