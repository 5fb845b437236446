"""The operator's loop, with the real bot and real browsers: an enterprise asks something the bot cannot
answer; the question shows up in 统计分析's unanswered groups (/staff/analytics); an operator drafts the fix (the wording
as a question of the knowledge entry it belongs to), another approves it — in the database only, no file is
touched; the retrain job (`python -m scripts.retrain`, what `make retrain` and the schedule run) writes it to the knowledge
files, regenerates faq.yml, trains and loads the new model into the running Rasa, and marks it applied: the NLU has
learnt the wording and the bot answers it.

The stack reads copies of knowledge/ and data/ (tests/e2e/conftest.py); the test puts them and the original
model back afterwards, so later tests see the bot as trained.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request

import pytest

from common.tokens import rasa_api_token
from common.workdays import china_today
from tests.browser.elplus import choose
from tests.chromium import SCREENSHOTS
from tests.e2e.conftest import DEMO_PASSWORD, MODEL, ROOT

# Colloquial wording of the late-payment-surcharge entry that today's knowledge base declines.
QUESTION = "迟了七天缴税额外的费用如何计算"
ENTRY, ENTRY_TITLE = "late-payment-surcharge-calculation", "滞纳金的计算标准和起止时间"
ADMIN, ADMIN_PASSWORD = "guanli1", "Admin-Pass-2026"
WAIT = 60_000
RETRAIN_TIMEOUT = 1800  # s: a full `rasa train` on a busy 2-core machine


def rasa_admin(stack) -> dict:
    """Rasa's HTTP API answers only a JWT signed with the stack's RASA_JWT_SECRET (bot/serve.py)."""
    return {"Authorization": f"Bearer {rasa_api_token(stack.env['RASA_JWT_SECRET'])}"}


def parse(stack, text: str) -> dict:
    request = urllib.request.Request(f"{stack.rasa}/model/parse", data=json.dumps({"text": text}).encode(),
                                     headers={"Content-Type": "application/json", **rasa_admin(stack)})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["intent"]


def load_model(stack, model) -> None:
    request = urllib.request.Request(f"{stack.rasa}/model", method="PUT",
                                     data=json.dumps({"model_file": str(model)}).encode(),
                                     headers={"Content-Type": "application/json", **rasa_admin(stack)})
    with urllib.request.urlopen(request, timeout=600) as response:
        assert response.status == 204


def knowledge_text(root) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in (root / "content").glob("*.yml"))


def ask_in_widget(pages, text: str):
    widget = pages("/")
    widget.wait_for_function("() => document.body.dataset.connected === '1'", timeout=WAIT)
    widget.fill("#input", text)
    widget.press("#input", "Enter")
    return widget, widget.wait_for_selector(".msg[data-sender=bot][data-kind]:not([data-kind=''])", timeout=WAIT)


def log_in(page, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_selector("[data-test=who]")


@pytest.fixture
def restored(stack):
    """Copies of the stack's knowledge and training data, put back (with the original model) afterwards."""
    saved = stack.logs / "before-improvement"
    shutil.copytree(stack.knowledge, saved / "knowledge")
    shutil.copytree(stack.data, saved / "data")
    yield
    for name, target in (("knowledge", stack.knowledge), ("data", stack.data)):
        shutil.rmtree(target)
        shutil.copytree(saved / name, target)
    load_model(stack, MODEL)


def test_an_unanswered_question_is_fixed_in_analytics_and_live_after_the_retrain(stack, pages, restored, tmp_path):
    env = dict(stack.env, STAFF_PASSWORD=ADMIN_PASSWORD)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "create_staff.py"), "--unit", "数据管理科", "--level", "city",
                    "--kind", "tax_unit", "--username", ADMIN, "--name", "钱管理", "--role", "admin"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    # the enterprise asks; the bot says honestly that it cannot answer
    widget, reply = ask_in_widget(pages, QUESTION)
    assert reply.get_attribute("data-kind") == "fallback"
    widget.close()
    subprocess.run([sys.executable, "-m", "api.analytics.aggregate", "--from", china_today().isoformat()], cwd=ROOT,
                   env=stack.env, check=True, capture_output=True)

    # operator 1: the unanswered group → 修复 → a question of the entry it belongs to → draft
    operator = pages("/staff/analytics", viewport=(1366, 860))
    log_in(operator, "yunying1", DEMO_PASSWORD)
    operator.wait_for_selector("#card-unanswered[data-loaded='1']", timeout=WAIT)
    operator.click("#card-unanswered .toggle-table")
    row = operator.locator("#card-unanswered tbody tr", has_text=QUESTION)
    row.locator(".fix-btn").click()
    operator.wait_for_selector(".improve-dialog #imp-text")
    assert operator.input_value("#imp-text") == QUESTION
    # the entry is picked from a search of titles (typed as the operator would), never by its id
    choose(operator, "#imp-entry", ENTRY_TITLE, typed="滞纳金怎么计算")
    operator.fill("#imp-note", "企业常用说法")
    operator.screenshot(path=str(SCREENSHOTS / "improve-draft.png"))
    operator.click("#imp-ok")
    operator.wait_for_selector(".improve-dialog", state="hidden")
    operator.click(".analytics-tabs #tab-improvements")
    draft_row = operator.locator("#imp-table tbody tr", has_text=QUESTION)
    draft_row.wait_for()
    assert draft_row.locator(".approve-btn").is_disabled()  # nobody approves their own draft
    assert ENTRY_TITLE in draft_row.text_content() and ENTRY not in draft_row.text_content()  # the entry by its title

    # operator 2 (an admin) approves: recorded in the database; no file is written by the API
    reviewer = pages("/staff/analytics/improvements", viewport=(1366, 860))
    log_in(reviewer, ADMIN, ADMIN_PASSWORD)
    reviewer.locator("#imp-table tbody tr", has_text=QUESTION).locator(".approve-btn").click()
    reviewer.wait_for_selector(".el-message:has-text('make retrain')")
    reviewer.click("#imp-status [data-status=approved]")
    waiting = reviewer.locator("#imp-table tbody tr", has_text=QUESTION)
    waiting.locator("[data-progress=waiting]").wait_for()
    reviewer.screenshot(path=str(SCREENSHOTS / "improve-approved.png"))
    assert QUESTION not in knowledge_text(stack.knowledge)

    # the retrain job (service runtime; it trains with the bot runtime's rasa): written to the knowledge copy, faq.yml
    # regenerated from it, trained, loaded into the running Rasa
    done = subprocess.run([sys.executable, "-m", "scripts.retrain", "--models", str(tmp_path / "models")],
                          cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=RETRAIN_TIMEOUT)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "now serves the new model" in done.stdout
    assert QUESTION in knowledge_text(stack.knowledge) and QUESTION not in knowledge_text(ROOT / "knowledge")
    assert QUESTION in (stack.data / "nlu" / "faq.yml").read_text(encoding="utf-8")
    assert (tmp_path / "models" / "current.tar.gz").exists() and os.path.getmtime(MODEL) < os.path.getmtime(
        tmp_path / "models" / "current.tar.gz")
    after = parse(stack, QUESTION)
    assert after["name"] == "ask_tax_question" and after["confidence"] >= 0.9, after
    widget, reply = ask_in_widget(pages, QUESTION)  # the bot answers it now, with the entry's sources
    assert reply.get_attribute("data-kind") == "answer"
    assert "滞纳金" in reply.inner_text() and "依据" in reply.inner_text()
    widget.screenshot(path=str(SCREENSHOTS / "improve-live-widget.png"))
    reviewer.reload()
    reviewer.click("#imp-status [data-status=approved]")
    applied = reviewer.locator("#imp-table tbody tr", has_text=QUESTION)
    applied.locator("[data-progress=applied]").wait_for()
    assert "已生效" in applied.text_content()
