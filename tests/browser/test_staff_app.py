"""The staff app's shell (/staff/) against the real API: one login, role-based menus, the phone layout,
the session's end, and the headers the pages are served with. Sections have their own test modules."""
from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.browser.staffkit import DESKTOP, PHONE, login, open_section, screenshot, staff_world

MENUS = {  # what each role finds in its menu, in order (web/src/sections.js)
    "staff": ["坐席", "诉求", "信用修复", "企业"],
    "expert": ["坐席", "企业"],
    "handler": ["诉求", "信用修复"],
    "supervisor": ["诉求", "信用修复", "企业"],
    "director": ["诉求"],
    "operator": ["诉求", "活动", "企业", "统计分析"],
    "admin": ["诉求", "信用修复", "活动", "企业", "统计分析"],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = staff_world(tmp_path_factory)
    yield built
    built.server.stop()


@pytest.mark.parametrize("role", sorted(MENUS))
def test_each_role_sees_its_own_sections_and_lands_on_the_first(page_factory, world, role):
    page = page_factory(DESKTOP)
    login(page, world, role)
    items = page.locator(".shell-aside .el-menu-item")
    assert items.all_inner_texts() == MENUS[role]
    first = page.locator(".shell-aside .el-menu-item").first.get_attribute("data-section")
    page.wait_for_url(re.compile(rf"/staff/{first}$"))
    who = page.inner_text("[data-test=who]")
    assert "（" not in who and "智能助手" not in who  # a person's name, role and unit — never the bot's name
    assert re.search(r"[a-z_]{4,}", page.inner_text("body")) is None, "an English key is shown"


def test_a_section_the_role_may_not_use_sends_it_to_one_it_may(page_factory, world):
    page = page_factory(DESKTOP)
    login(page, world, "expert", path="/staff/analytics")
    page.wait_for_url(re.compile(r"/staff/seat$"))
    assert page.locator(".shell-aside .el-menu-item.is-active").inner_text() == "坐席"


def test_a_wrong_password_is_said_in_chinese_and_nothing_opens(page_factory, world):
    page = page_factory(DESKTOP)
    page.goto(world.url + "/staff/")
    page.fill("#username", "staff")
    page.fill("#password", "not-the-password")
    page.click("#login-submit")
    assert "用户名或密码不正确" in page.locator("#login-error").inner_text()
    assert page.locator("[data-test=who]").count() == 0


def test_on_a_phone_the_menu_opens_in_a_drawer_and_logout_can_be_tapped(page_factory, world):
    page = page_factory(PHONE, has_touch=True, is_mobile=True)
    login(page, world, "admin")
    assert not page.locator(".shell-aside").is_visible()
    screenshot(page, "staff-shell-phone")
    open_section(page, "campaigns")
    page.wait_for_url(re.compile(r"/staff/campaigns$"))
    logout = page.locator("#logout")
    box = logout.bounding_box()
    assert box and box["x"] + box["width"] <= PHONE[0] and box["height"] >= 24  # on screen and big enough to tap
    logout.tap()
    page.wait_for_selector("#login-submit")
    assert "您已退出登录" in page.inner_text("body")


def test_a_token_the_server_refuses_ends_the_session_with_a_reason(page_factory, world):
    page = page_factory(DESKTOP)
    login(page, world, "operator")
    screenshot(page, "staff-shell-desktop")
    page.evaluate("""() => {
        const saved = JSON.parse(sessionStorage.getItem('taxStaffApp.session'));
        saved.token = saved.token.slice(0, -4) + 'AAAA';
        sessionStorage.setItem('taxStaffApp.session', JSON.stringify(saved));
    }""")
    page.reload()
    page.wait_for_selector("#login-submit")  # the first request (the bell's) meets the 401
    assert "登录已过期" in page.inner_text("body")


def test_the_app_is_served_for_every_section_with_strict_headers_and_cached_assets(world):
    page = httpx.get(world.url + "/staff/petitions/42")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe" not in policy
    asset = re.search(r'src="(/static/app/assets/[^"]+\.js)"', page.text).group(1)
    served = httpx.get(world.url + asset)
    assert served.status_code == 200 and "immutable" in served.headers["cache-control"]


def test_assets_go_compressed_to_browsers_that_accept_gzip(world):
    page = httpx.get(world.url + "/staff/")
    asset = re.search(r'src="(/static/app/assets/[^"]+\.js)"', page.text).group(1)
    plain = httpx.get(world.url + asset, headers={"Accept-Encoding": "identity"})
    packed = httpx.get(world.url + asset, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip" and packed.headers["content-type"].startswith("text/javascript")
    assert int(packed.headers["content-length"]) < len(plain.content) / 2
    assert packed.content == plain.content  # httpx undoes the gzip: the same file


def test_a_file_edited_after_the_build_is_never_shadowed_by_its_old_gzip_twin(world):
    import os

    from api.web.router import STATIC_DIR

    original = STATIC_DIR / "app" / "index.html"
    twin = Path(str(original) + ".gz")
    assert twin.is_file()
    stat = twin.stat()
    os.utime(twin, (stat.st_atime, original.stat().st_mtime - 60))  # the twin now predates its file
    try:
        served = httpx.get(world.url + "/static/app/index.html", headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in served.headers and served.text == original.read_text(encoding="utf-8")
    finally:
        os.utime(twin, (stat.st_atime, stat.st_mtime))


@pytest.mark.parametrize("former, role, section", [("/console", "staff", "seat"), ("/dashboard", "operator", "analytics")])
def test_the_former_console_and_dashboard_addresses_open_their_sections(page_factory, world, former, role, section):
    page = page_factory(DESKTOP)
    login(page, world, role, path=former)
    page.wait_for_url(re.compile(rf"/staff/{section}$"))
    assert page.locator(".shell-aside .el-menu-item.is-active").get_attribute("data-section") == section
