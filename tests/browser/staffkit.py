"""The staff app against the real API, for browser tests: a migrated SQLite database, embedded Redis,
a small bureau (province → city → service department, handling department), one account per role,
and helpers to log in and to take the two screenshots every page gets.

`staff_world(tmp_path_factory, seed=callable)` → a `World`; `seed(session, world)` may add data before
the server starts. Accounts all use `PASSWORD`; usernames are the role names (`staff`, `expert`, …).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from tests.appkit import migrate, serve_api
from tests.chromium import SCREENSHOTS

__all__ = ["PASSWORD", "DESKTOP", "PHONE", "World", "staff_world", "login", "open_section", "screenshot", "seat_page",
           "conversation_with", "open_widget"]

PASSWORD = "Staff-App-Pass-9"
DESKTOP = (1280, 800)
PHONE = (390, 844)
ACCOUNTS = {  # username: (display name, role, unit key)
    "staff": ("王芳", "staff", "service"),
    "expert": ("赵敏", "expert", "service"),
    "handler": ("李强", "handler", "handling"),
    "supervisor": ("孙局", "supervisor", "city"),
    "director": ("周局", "director", "city"),
    "operator": ("钱运营", "operator", "province"),
    "admin": ("吴管理", "admin", "province"),
}


@dataclass
class World:
    url: str
    database_url: str
    units: dict[str, int] = field(default_factory=dict)
    staff_ids: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    server: Any = None


def staff_world(tmp_path_factory, seed: Callable[[Any, World], None] | None = None, **settings) -> World:
    from api.auth.security import hash_password
    from api.core.database import make_engine
    from api.org.service import create_staff, create_unit

    url = migrate(f"sqlite:///{tmp_path_factory.mktemp('staffapp') / 'app.db'}")
    world = World(url="", database_url=url)
    engine = make_engine(url)
    with sessionmaker(bind=engine, future=True, expire_on_commit=False)() as session:
        province = create_unit(session=session, name="省税务局", level="province", kind="tax_unit")
        city = create_unit(session=session, name="市税务局", level="city", kind="tax_unit", parent_id=province.id)
        service = create_unit(session=session, name="纳税服务科", level="city", kind="service_department",
                              parent_id=city.id)
        handling = create_unit(session=session, name="征收管理科", level="city", kind="handling_department",
                               parent_id=city.id)
        world.units = {"province": province.id, "city": city.id, "service": service.id, "handling": handling.id}
        password = hash_password(PASSWORD, iterations=1_000)
        for username, (name, role, unit) in ACCOUNTS.items():
            account = create_staff(session=session, username=username, display_name=name, role=role,
                                   unit_id=world.units[unit], password_hash=password)
            session.flush()
            world.staff_ids[username] = account.id
        session.commit()
        if seed:
            seed(session, world)
            session.commit()
    engine.dispose()
    world.server = serve_api(url, tmp_path_factory.mktemp("staffapp-redis"), **settings)
    world.url = f"http://127.0.0.1:{world.server.port}"
    return world


def login(page, world: World, username: str, path: str = "/staff/") -> None:
    """Open `path`, log in as `username` and wait for the shell."""
    page.goto(world.url + path)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("[data-test=who]")


def open_section(page, name: str) -> None:
    """Click a section in the menu (the drawer's on a phone)."""
    if page.locator(".menu-toggle").is_visible():
        page.click(".menu-toggle")
        page.locator(f".shell-drawer [data-section={name}]").click()
    else:
        page.locator(f".shell-aside [data-section={name}]").click()


def screenshot(page, name: str) -> Path:
    """Save results/screenshots/<name>.png (full page) for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# -- 坐席 and the widget ------------------------------------------------------------------------------------

def seat_page(page_factory, world, username, viewport=DESKTOP, **options):
    page = page_factory(viewport, **options)
    login(page, world, username, path="/staff/seat")
    page.wait_for_selector("[data-test=seat-bar] [data-test=status]")
    page.wait_for_function("() => !document.querySelector('[data-test=line]')")  # the live line is up
    return page


def conversation_with(world, text):
    """The conversation in which the enterprise said `text` (None until it is stored)."""
    from api.core.database import make_engine
    from api.hub.models import Conversation, Message

    engine = make_engine(world.database_url)
    try:
        with sessionmaker(bind=engine)() as session:
            return session.execute(select(Conversation).join(Message, Message.conversation_id == Conversation.id)
                                   .where(Message.text == text, Message.sender == "user")).scalars().first()
    finally:
        engine.dispose()


def open_widget(page_factory, world, text, path="/"):
    """A visitor (or, with `#enterprise_token=` in `path`, an enterprise) on the widget page says `text`; the
    conversation it is in."""
    widget = page_factory((390, 760))
    widget.goto(world.url + path)
    widget.wait_for_function("() => !!localStorage.getItem('taxWidget.visitorToken')")
    widget.fill("#input", text)
    widget.click("#send")
    widget.get_by_text(text).first.wait_for()
    for _ in range(50):
        conversation = conversation_with(world, text)
        if conversation is not None:
            return widget, conversation
        widget.wait_for_timeout(100)
    raise AssertionError("the widget's message was not stored")
