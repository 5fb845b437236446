"""Page weight and first paint of the staff app and the widget, in Debian's Chromium (cold cache).

Starts the API in-process on a throw-away SQLite database with embedded Redis and one account per
page's role, then loads each page N times in a fresh browser context and prints the median of:
bytes over the wire (compressed bodies + headers, every request of the page), requests, first
contentful paint and the time until the page is usable (login form shown / section rendered).

    make bench-pages        # or: .venv/bin/python -m tools.bench_pages --runs 5
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from sqlalchemy.orm import sessionmaker

PASSWORD = "Bench-Pages-9"
CHROMIUM = "/usr/bin/chromium"


def start_api(workdir: Path) -> tuple[str, uvicorn.Server]:
    from alembic import command
    from alembic.config import Config

    from api.auth.security import hash_password
    from api.core.database import make_engine
    from api.main import create_app
    from api.org.service import create_staff, create_unit
    from api.settings import ROOT, Settings

    url = f"sqlite:///{workdir / 'pages.db'}"
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "api" / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    engine = make_engine(url)
    with sessionmaker(bind=engine, future=True)() as session:
        unit = create_unit(session=session, name="纳税服务科", level="city", kind="service_department")
        session.flush()
        password = hash_password(PASSWORD, iterations=1_000)
        for username, role in (("seat", "staff"), ("operator", "operator")):
            create_staff(session=session, username=username, display_name=username, role=role, unit_id=unit.id,
                         password_hash=password)
        session.commit()
    engine.dispose()
    settings = Settings(database_url=url, redis_url=None, embedded_redis_path=str(workdir / "redis.db"),
                        app_env="development", sla_sweep_enabled=False, hub_sweep_enabled=False,
                        campaign_sweep_enabled=False, analytics_sweep_enabled=False, outbox_sweep_enabled=False)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}", server


def measure(browser, url: str, ready: str, login_as: str | None = None) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    wire: list[int] = []
    page.on("requestfinished", lambda request: wire.append(
        sum(request.sizes()[k] for k in ("responseBodySize", "responseHeadersSize"))))
    started = time.perf_counter()
    page.goto(url)
    if login_as:
        page.wait_for_selector("#login-submit")
        page.fill("#username", login_as)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
    page.wait_for_selector(ready)  # the section itself drawn, not just the shell
    usable_ms = (time.perf_counter() - started) * 1000
    page.wait_for_load_state("networkidle")
    paint = page.evaluate("() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0")
    context.close()
    return {"kb": sum(wire) / 1024, "requests": len(wire), "fcp_ms": paint, "usable_ms": usable_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        base, server = start_api(Path(tmp))
        pages = [
            ("staff app: login page", base + "/staff/", "#login-submit", None),
            ("staff app: 坐席 after login", base + "/staff/", "[data-test=seat]", "seat"),
            ("staff app: 统计分析 after login", base + "/staff/analytics", ".overview .kpi", "operator"),
            ("widget (visitor)", base + "/", "body", None),
        ]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            print(f"{'page':34} {'KB on wire':>10} {'requests':>9} {'first paint ms':>15} {'usable ms':>10}")
            for name, url, ready, who in pages:
                runs = [measure(browser, url, ready, who) for _ in range(args.runs)]
                med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
                print(f"{name:34} {med['kb']:10.1f} {med['requests']:9.0f} {med['fcp_ms']:15.0f} {med['usable_ms']:10.0f}")
            browser.close()
        server.should_exit = True


if __name__ == "__main__":
    main()
