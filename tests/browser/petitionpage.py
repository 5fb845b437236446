"""Driving the 诉求 section in a browser: fields of Element Plus forms, a petition's detail, its steps."""
from __future__ import annotations

import re

from playwright.sync_api import expect

__all__ = ["_box", "_choose", "_open_ticket", "_step", "_status", "_queue"]


def _box(scope, name):
    """The text box of the field ``data-test=name`` (Element Plus puts the attribute on the input itself)."""
    return scope.locator(f"input[data-test={name}], textarea[data-test={name}], [data-test={name}] input, "
                         f"[data-test={name}] textarea").first


def _choose(page, select, option):
    """Pick `option` in the Element Plus select `select` (a locator)."""
    select.click()
    page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()


def _open_ticket(page, ticket):
    page.locator(f"[data-test=petition-row][data-ticket='{ticket}']").first.click()
    expect(page.locator(".petition-drawer")).to_contain_text(ticket)


def _step(page, action, **fields):
    """Click the step's button in the open detail, fill its dialog, confirm, and wait for the dialog to close."""
    page.locator(f"[data-test=detail-actions] [data-action={action}]").click()
    dialog = page.locator(".action-dialog:visible")
    for name, value in fields.items():
        if name in ("unit", "units"):
            _choose(page, dialog.locator(f"[data-test=field-{name}]"), value)
            if name == "units":
                dialog.locator(".el-dialog__title").click()  # close the multi-select's dropdown
        elif name == "satisfaction":
            dialog.locator("[data-test=field-satisfaction] .el-rate__item").nth(value - 1).click()
        else:
            _box(dialog, f"field-{name}").fill(str(value))
    dialog.locator("[data-test=action-submit]").click()
    expect(page.locator(".action-dialog:visible")).to_have_count(0)


def _status(page, text):
    expect(page.locator("[data-test=detail-status]")).to_have_text(text)


def _queue(page, key):
    page.locator(f"#tab-{key}").click()
    expect(page.locator(f"#tab-{key}")).to_have_class(re.compile("is-active"))
