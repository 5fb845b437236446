"""企业 section of the staff app against the real API: a code with a wrong check digit is refused in the page
with a clear reason, an unknown one with the server's, and a demo enterprise shows its key facts in Chinese
first and its sources only on demand — on a desktop and on a phone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from common.identifiers import uscc_check_digit
from tests.browser.staffkit import DESKTOP, PHONE, login, screenshot, staff_world


def _seed(session, world):
    from sqlalchemy import select

    from api.enterprise.models import Enterprise
    from tools.demo.enterprises import seed_demo

    seed_demo(session, n=3)
    enterprise = session.execute(select(Enterprise).order_by(Enterprise.id)).scalars().first()
    world.extra.update(uscc=enterprise.uscc, name=enterprise.name)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = staff_world(tmp_path_factory, seed=_seed)
    yield built
    built.server.stop()


def _search(page, code):
    page.locator("input[data-test=uscc-input], [data-test=uscc-input] input").first.fill(code)
    page.click("[data-test=uscc-search]")


def test_a_wrong_check_digit_is_said_in_the_page_and_an_unknown_code_by_the_server(page_factory, world):
    page = page_factory(DESKTOP)
    login(page, world, "staff", "/staff/enterprises")
    uscc = world.extra["uscc"]
    wrong = uscc[:17] + ("0" if uscc[17] != "0" else "1")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/api/enterprises/" in r.url else None)
    _search(page, wrong)
    expect(page.locator(".enterprise-search")).to_contain_text("校验位不对")
    _search(page, uscc[:10])
    expect(page.locator(".enterprise-search")).to_contain_text("应为18位")
    assert requests == []  # nothing was asked of the server
    unknown = "91110000100000000" + uscc_check_digit("91110000100000000")  # valid, but no enterprise has it
    _search(page, unknown)
    expect(page.locator(".enterprise-search .el-form-item__error")).to_contain_text(unknown)


@pytest.mark.parametrize("viewport,name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_profile_shows_key_facts_in_chinese_first_and_sources_on_demand(page_factory, world, viewport, name):
    page = page_factory(viewport)
    login(page, world, "staff", "/staff/enterprises")
    uscc = world.extra["uscc"]
    _search(page, f" {uscc[:6]}-{uscc[6:].lower()} ")  # spaces, a dash and lower case are fine
    facts = page.locator("[data-test=key-facts]")
    expect(facts).to_contain_text("纳税信用")
    expect(facts).to_contain_text("统一社会信用代码")
    expect(page.locator("[data-test=sources]")).to_have_count(0)
    text = page.inner_text("[data-test=enterprise-profile]")
    assert re.search(r"[a-z_]{4,}", text) is None, "an English key is shown"
    assert text.index("关键信息") < text.index("登记信息")
    box = page.locator("[data-test=key-facts]").bounding_box()
    assert box["x"] + box["width"] <= viewport[0] + 1
    screenshot(page, f"enterprises-profile-{name}")
    page.click("[data-test=toggle-sources]")
    expect(page.locator("[data-test=sources]")).to_contain_text("税务")
