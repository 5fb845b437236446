"""Improving the bot: drafts from marks and unanswered groups, approval by someone else (a change of the row
only), the retrain job writing approved improvements to copies of the NLU and knowledge files (validated, layout
kept) and stamping them applied, refusals, and the entries that need attention.

The job's training step is given a stand-in here (``rasa train`` takes minutes); tests/e2e/test_improvement_flow.py
runs the real one against a real Rasa."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from uuid import uuid4

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker

from api.auth.security import hash_password
from api.core.runtime import runtime
from api.improvement import files
from api.improvement.scheduled import LOCK_NAME, retrain
from api.main import create_app
from api.org.service import create_staff
from api.settings import ROOT
from common.runtimes import bot_python
from knowledge.base import load_knowledge_base
from tests.api.analyticskit import Trainer, build_day
from tests.api.conftest import PASSWORD, TEST_ITERATIONS, build_world

VARIANT = "小规模纳税人这个季度卖了31万是全额交增值税吗"
ENTRY_ID = "vat-small-scale-exemption-threshold"


@pytest.fixture(scope="module")
def made(api_engine):
    factory = sessionmaker(bind=api_engine, future=True, expire_on_commit=False)
    with factory() as session:
        world = build_world(session, f"i{uuid4().hex[:8]}-")
        colleague = create_staff(session=session, username=world.prefix + "operator2", display_name="运营二",
                                 role="operator", unit_id=world.operator.unit_id,
                                 password_hash=hash_password(PASSWORD, iterations=TEST_ITERATIONS))
        day = build_day(session, world.service_dept.id, world.clerk, tag="-improve")
        session.commit()
    return world, colleague, day


@pytest.fixture
def dirs(tmp_path):
    knowledge = tmp_path / "knowledge"
    (knowledge / "content").mkdir(parents=True)
    shutil.copy(ROOT / "knowledge" / "topics.yml", knowledge / "topics.yml")
    for path in (ROOT / "knowledge" / "content").glob("*.yml"):
        shutil.copy(path, knowledge / "content" / path.name)
    nlu = tmp_path / "data" / "nlu"
    shutil.copytree(ROOT / "data" / "nlu", nlu)
    return knowledge, nlu


@pytest.fixture
def app_client(settings, dirs):
    knowledge, nlu = dirs
    with TestClient(create_app(settings.model_copy(update={"knowledge_dir": knowledge, "training_data_dir": nlu.parent}))) as c:
        yield c


@pytest.fixture
def job(app_client, tmp_path):
    """Run the retrain job once, as the schedule or `make retrain` does."""
    def run(trainer: Trainer | None = None, **options):
        trainer = trainer or Trainer()
        state = runtime(app_client.app)
        return retrain(state.session_factory, state.redis, state.settings, models=tmp_path / "models",
                       trainer=trainer.train, loader=trainer.load, **options)
    return run


def _post(client, headers, body, expect=201):
    response = client.post("/api/improvements", json=body, headers=headers)
    assert response.status_code == expect, response.text
    return response.json()


def test_a_question_variant_from_a_marked_turn(app_client, auth, made, dirs, job):
    world, colleague, day = made
    knowledge, _ = dirs
    original = (ROOT / "knowledge" / "content" / "vat.yml").read_text(encoding="utf-8")
    mark = app_client.post(f"/api/review/messages/{day.c1_answer.id}/mark", headers=auth(world.operator),
                           json={"correct_entry_id": ENTRY_ID, "note": "问法应收录"}).json()
    draft = _post(app_client, auth(world.operator), {"kind": "question_variant", "text": f"  {VARIANT} ",
                                                      "entry_id": ENTRY_ID, "source_mark_id": mark["id"],
                                                      "source_message_id": day.c1_answer.id})
    assert draft["status"] == "draft" and draft["payload"] == {"text": VARIANT, "entry_id": ENTRY_ID}
    assert draft["created_by"]["staff_id"] == world.operator.id and draft["approved_by"] is None
    own = app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(world.operator))
    assert own.status_code == 403 and own.json()["code"] == "self_approval"
    assert VARIANT not in (knowledge / "content" / "vat.yml").read_text(encoding="utf-8")
    approved = app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(colleague))
    assert approved.status_code == 200, approved.text
    data = approved.json()
    assert data["status"] == "approved" and data["approved_by"]["staff_id"] == colleague.id and data["approved_at"]
    assert data["applied_file"] is None and data["applied_at"] is None and data["retrain"] == "make retrain"
    assert VARIANT not in (knowledge / "content" / "vat.yml").read_text(encoding="utf-8")  # approving writes nothing
    trainer = Trainer()
    done = job(trainer)
    assert draft["id"] in done["written"] and done["loaded"] and len(trainer.trained) == 1
    applied = next(i for i in app_client.get("/api/improvements?status=approved", headers=auth(world.operator))
                   .json()["items"] if i["id"] == draft["id"])
    assert applied["applied_file"] == "knowledge/content/vat.yml" and applied["applied_model"] == done["model"]
    assert applied["applied_at"] and applied["apply_error"] is None
    written = (knowledge / "content" / "vat.yml").read_text(encoding="utf-8")
    assert f"      - {VARIANT}\n" in written
    # only that line was added: the rest of the file (comments, blank lines, nulls) is as it was
    assert written.replace(f"      - {VARIANT}\n", "", 1) == original
    kb = load_knowledge_base(knowledge)
    assert VARIANT in kb.get(ENTRY_ID).questions
    assert (ROOT / "knowledge" / "content" / "vat.yml").read_text(encoding="utf-8") == original  # the repo untouched
    assert job()["model"] is None  # nothing waiting: the next run neither writes nor trains
    again = app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(world.admin))
    assert again.status_code == 409
    marks = app_client.get("/api/review/marks", headers=auth(world.operator)).json()["items"]
    assert next(m for m in marks if m["id"] == mark["id"])["improvement_ids"] == [draft["id"]]
    duplicate = _post(app_client, auth(world.operator), {"kind": "question_variant", "text": VARIANT,
                                                          "entry_id": ENTRY_ID}, expect=422)
    assert duplicate["code"] == "duplicate_question"


def test_an_nlu_example(app_client, auth, made, dirs, job):
    world, colleague, _ = made
    _, nlu = dirs
    text = "能不能让税务干部直接跟我说"
    draft = _post(app_client, auth(colleague), {"kind": "nlu_example", "text": text, "intent": "request_human",
                                                 "source_group": "u-12345678"})
    approved = app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(world.operator)).json()
    assert approved["status"] == "approved" and approved["applied_file"] is None
    # approved but not yet written: the same wording is refused, as it will be once it is in the file
    waiting = _post(app_client, auth(world.operator), {"kind": "nlu_example", "text": text, "intent": "greet"}, 422)
    assert waiting["code"] == "duplicate_example" and f"#{draft['id']}" in waiting["detail"]
    second = _post(app_client, auth(colleague), {"kind": "nlu_example", "text": "小规模季度31万咋交税",
                                                  "intent": "ask_tax_question"})
    app_client.post(f"/api/improvements/{second['id']}/approve", headers=auth(world.admin))
    assert not (nlu / "improvements.yml").exists()
    assert {draft["id"], second["id"]} <= set(job()["written"])
    document = yaml.safe_load((nlu / "improvements.yml").read_text(encoding="utf-8"))
    assert document["version"] == "3.1"
    blocks = {b["intent"]: b["examples"] for b in document["nlu"]}
    assert blocks == {"ask_tax_question": "- 小规模季度31万咋交税\n", "request_human": f"- {text}\n"}
    assert files.nlu_examples(nlu)[text] == "request_human"
    for body, code in (({"text": "随便说说", "intent": "no_such_intent"}, "unknown_intent"),
                       ({"text": "转人工", "intent": "request_human"}, "duplicate_example"),
                       ({"text": "转人工", "intent": "greet"}, "duplicate_example"),
                       ({"text": "[成都](city) 的税", "intent": "ask_tax_question"}, "invalid_improvement"),
                       ({"text": "   ", "intent": "greet"}, "invalid_improvement")):
        assert _post(app_client, auth(colleague), {"kind": "nlu_example", **body}, expect=422)["code"] == code


def _entry(**overrides) -> dict:
    entry = {"id": f"social-card-reissue-{uuid4().hex[:6]}", "topic": "social-insurance-fees",
             "title": "社保卡丢失后如何补办",
             "answer": "社保卡由人力资源社会保障部门管理，丢失后请先挂失，再到社保经办机构或合作银行网点补办。税务部门负责社保费征收。",
             "sources": [{"title": "社会保障卡管理办法", "doc_no": None}], "valid_from": "2026-01-01",
             "valid_until": None, "questions": ["社保卡丢了怎么补办", "社保卡丢失去哪里补"]}
    entry.update(overrides)
    return entry


def test_a_new_entry(app_client, auth, made, dirs, job):
    world, colleague, _ = made
    knowledge, _ = dirs
    entry = _entry()
    draft = _post(app_client, auth(world.operator), {"kind": "new_entry", "entry": entry})
    assert draft["payload"]["entry"]["review"] is True
    assert app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(colleague)).status_code == 200
    assert not (knowledge / "content" / "improvements.yml").exists()
    job()
    approved = app_client.get("/api/improvements?status=approved", headers=auth(world.operator)).json()["items"]
    assert next(i for i in approved if i["id"] == draft["id"])["applied_file"] == "knowledge/content/improvements.yml"
    text = (knowledge / "content" / "improvements.yml").read_text(encoding="utf-8")
    assert text.startswith("# New entries") and f"id: {entry['id']}" in text and "review: true" in text
    kb = load_knowledge_base(knowledge)
    created = kb.get(entry["id"])
    assert created.review and created.questions == tuple(entry["questions"]) and created.valid_until is None
    second = _entry(questions=["社保卡补办要带什么材料"])
    draft = _post(app_client, auth(world.operator), {"kind": "new_entry", "entry": second})
    app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(colleague))
    job()
    assert {entry["id"], second["id"]} <= set(load_knowledge_base(knowledge).entries)


@pytest.mark.parametrize("overrides, code", [
    ({"topic": "no-such-topic"}, "invalid_knowledge"),
    ({"sources": []}, "invalid_knowledge"),
    ({"valid_from": "2026-05-01", "valid_until": "2026-01-01"}, "invalid_knowledge"),
    ({"questions": []}, "invalid_knowledge"),
    ({"id": "Not An Id"}, "invalid_knowledge"),
    ({"id": ENTRY_ID}, "duplicate_entry"),
    ({"questions": ["小规模纳税人季度销售额不超过30万还要交增值税吗"]}, "duplicate_question"),
])
def test_an_invalid_entry_is_refused(app_client, auth, made, dirs, overrides, code):
    knowledge, _ = dirs
    before = sorted(p.name for p in (knowledge / "content").iterdir())
    refused = _post(app_client, auth(made[0].operator), {"kind": "new_entry", "entry": _entry(**overrides)}, expect=422)
    assert refused["code"] == code
    assert sorted(p.name for p in (knowledge / "content").iterdir()) == before


def test_approval_revalidates_and_writes_nothing_when_invalid(app_client, auth, made, dirs):
    world, colleague, _ = made
    knowledge, _ = dirs
    draft = _post(app_client, auth(world.operator), {"kind": "question_variant", "text": "开票以后发现税率错了怎么办",
                                                      "entry_id": "invoice-red-letter-confirmation"})
    topics = knowledge / "topics.yml"  # meanwhile someone breaks the knowledge base: the topic is gone
    invoice = (knowledge / "content" / "invoice.yml").read_text(encoding="utf-8")
    topics.write_text(topics.read_text(encoding="utf-8").replace("id: invoice-red-letter\n", "id: invoice-red-letter-x\n"),
                      encoding="utf-8")
    refused = app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(colleague))
    assert refused.status_code == 422
    assert (knowledge / "content" / "invoice.yml").read_text(encoding="utf-8") == invoice
    listed = app_client.get("/api/improvements?status=draft", headers=auth(world.operator)).json()
    assert draft["id"] in {i["id"] for i in listed["items"]}


def test_reject_list_and_roles(app_client, auth, made):
    world, colleague, _ = made
    draft = _post(app_client, auth(world.operator), {"kind": "nlu_example", "text": "你们几点下班",
                                                      "intent": "out_of_scope"})
    rejected = app_client.post(f"/api/improvements/{draft['id']}/reject", json={"note": "不需要"},
                               headers=auth(colleague)).json()
    assert rejected["status"] == "rejected" and rejected["rejected_by"]["staff_id"] == colleague.id
    assert rejected["decision_note"] == "不需要"
    assert app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(colleague)).status_code == 409
    rejected_list = app_client.get("/api/improvements?status=rejected", headers=auth(world.operator)).json()
    assert [i["id"] for i in rejected_list["items"]][:1] == [draft["id"]]
    assert app_client.get("/api/improvements?status=nope", headers=auth(world.operator)).status_code == 422
    assert app_client.post("/api/improvements", json={"kind": "nlu_example", "text": "x", "intent": "greet"},
                           headers=auth(world.clerk)).status_code == 403
    assert app_client.get("/api/improvements").status_code == 401
    assert app_client.post("/api/improvements/999999/approve", headers=auth(colleague)).status_code == 404
    assert _post(app_client, auth(world.operator), {"kind": "poem", "text": "x"}, expect=422)["code"] == \
        "invalid_improvement"


def test_admin_may_approve_own_draft(app_client, auth, made):
    world = made[0]
    draft = _post(app_client, auth(world.admin), {"kind": "nlu_example", "text": "麻烦找个专家帮我看看",
                                                   "intent": "request_expert"})
    assert app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(world.admin)).json()["status"] == \
        "approved"


def test_entries_needing_attention(app_client, auth, made, job):
    world, colleague, _ = made
    expired = _entry(valid_from="2020-01-01", valid_until="2021-12-31", questions=["2021年社保卡补办政策"])
    draft = _post(app_client, auth(world.operator), {"kind": "new_entry", "entry": expired})
    app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(colleague))
    job()
    data = app_client.get("/api/knowledge/attention", headers=auth(world.operator)).json()
    by_id = {e["entry_id"]: e for e in data["entries"]}
    assert by_id[expired["id"]]["reasons"] == ["expired", "review"]
    assert by_id[expired["id"]]["file"] == "knowledge/content/improvements.yml"
    assert data["entries"][0]["reasons"][0] == "expired"
    assert all(e["reasons"] for e in data["entries"])
    assert ENTRY_ID not in by_id  # every fact in facts.md: no review flag, nothing to attend to
    assert by_id["vat-small-scale-exemption-special-invoice"]["reasons"] == ["review"]  # still flagged in vat.yml
    assert app_client.get("/api/knowledge/attention", headers=auth(world.clerk)).status_code == 403


def test_dialog_options_and_entry_search(app_client, auth, made, dirs, job):
    world, colleague, _ = made
    options = app_client.get("/api/improvements/options", headers=auth(world.operator)).json()
    assert "ask_tax_question" in options["intents"] and "request_human" in options["intents"]
    assert "nlu_fallback" not in options["intents"]
    assert any(t["id"] == "vat-small-scale-exemption" and t["title"] for t in options["topics"])
    assert options["retrain"] == "make retrain"
    by_question = app_client.get("/api/knowledge/entries", params={"q": VARIANT}, headers=auth(world.operator)).json()
    assert ENTRY_ID in [e["entry_id"] for e in by_question][:3]  # the unanswered wording finds its entry
    by_id = app_client.get("/api/knowledge/entries", params={"q": ENTRY_ID}, headers=auth(world.operator)).json()
    assert by_id[0]["entry_id"] == ENTRY_ID and by_id[0]["questions"]
    assert app_client.get("/api/knowledge/entries", params={"q": "  "}, headers=auth(world.operator)).json() == []
    # an entry written a moment ago is offered at once (the knowledge base follows its files)
    new = _entry(questions=["社保卡在哪里补办"])
    draft = _post(app_client, auth(world.operator), {"kind": "new_entry", "entry": new})
    app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(colleague))
    job()
    found = app_client.get("/api/knowledge/entries", params={"q": new["id"]}, headers=auth(world.operator)).json()
    assert found and found[0]["entry_id"] == new["id"]
    assert app_client.get("/api/improvements/options", headers=auth(world.clerk)).status_code == 403
    assert app_client.get("/api/knowledge/entries", params={"q": "x"}).status_code == 401


def test_an_improvement_the_files_no_longer_accept_is_set_aside_with_the_reason(app_client, auth, made, dirs, job):
    world, colleague, _ = made
    knowledge, _ = dirs
    text = "发票红冲后还能再开吗"
    draft = _post(app_client, auth(world.operator), {"kind": "question_variant", "text": text,
                                                      "entry_id": "invoice-red-letter-confirmation"})
    assert app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(colleague)).status_code == 200
    files.add_question_variant(knowledge, ENTRY_ID, text)  # meanwhile an editor gave the wording to another entry
    trainer = Trainer()
    done = job(trainer)
    assert draft["id"] in done["refused"] and draft["id"] not in done["written"]
    item = next(i for i in app_client.get("/api/improvements?status=approved", headers=auth(world.operator))
                .json()["items"] if i["id"] == draft["id"])
    assert ENTRY_ID in item["apply_error"] and item["applied_at"] is None and item["applied_file"] is None
    assert job(trainer)["refused"] == []  # set aside, not tried on every run


def test_a_failed_training_is_retried_without_writing_twice(app_client, auth, made, dirs, job):
    world, colleague, _ = made
    _, nlu = dirs
    text = "我要找人工客服聊聊社保费"
    draft = _post(app_client, auth(world.operator), {"kind": "nlu_example", "text": text, "intent": "request_human"})
    app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(colleague))
    with pytest.raises(subprocess.CalledProcessError):
        job(Trainer(fail=True))
    assert (nlu / "improvements.yml").read_text(encoding="utf-8").count(text) == 1  # written, not yet learnt
    item = next(i for i in app_client.get("/api/improvements?status=approved", headers=auth(world.operator))
                .json()["items"] if i["id"] == draft["id"])
    assert item["applied_file"] == "data/nlu/improvements.yml" and item["applied_at"] is None
    done = job()
    assert draft["id"] in done["written"] and done["model"]
    assert (nlu / "improvements.yml").read_text(encoding="utf-8").count(text) == 1


def test_one_instance_at_a_time_runs_the_job(app_client, auth, made, dirs, job):
    world, colleague, _ = made
    _, nlu = dirs
    text = "请帮我转接税务专家"
    draft = _post(app_client, auth(world.operator), {"kind": "nlu_example", "text": text, "intent": "request_expert"})
    app_client.post(f"/api/improvements/{draft['id']}/approve", headers=auth(colleague))
    other = runtime(app_client.app).redis.lock(LOCK_NAME, timeout=60)
    assert other.acquire(blocking=False)
    try:
        assert job() is None  # another instance is at it: this one writes nothing
        assert not (nlu / "improvements.yml").exists() or text not in (nlu / "improvements.yml").read_text("utf-8")
    finally:
        other.release()
    assert draft["id"] in job()["written"]


def test_written_nlu_file_is_rasa_training_data(tmp_path):
    """The generated file is what Rasa's YAML reader accepts (the same reader `rasa data validate` uses), read in
    the bot runtime where Rasa lives (BOT_PYTHON)."""
    if not Path(bot_python()).exists():
        pytest.fail(f"the bot runtime's python {bot_python()} is missing: run `make bot-venv` (or set BOT_PYTHON)")
    nlu = tmp_path / "nlu"
    nlu.mkdir()
    shutil.copy(ROOT / "data" / "nlu" / "handoff.yml", nlu / "handoff.yml")
    files.add_nlu_example(nlu, "我想跟真人聊聊我的发票问题", "request_human")
    files.add_nlu_example(nlu, "麻烦给我接个专家：关于 30% 的比例", "request_expert")
    read = subprocess.run([bot_python(), "-c", READ_WITH_RASA, str(nlu / "improvements.yml")], capture_output=True,
                          text=True, timeout=300)
    assert read.returncode == 0, read.stderr[-2000:]
    examples = {tuple(pair) for pair in json.loads(read.stdout.strip().splitlines()[-1])}
    assert examples == {("我想跟真人聊聊我的发票问题", "request_human"), ("麻烦给我接个专家：关于 30% 的比例", "request_expert")}


READ_WITH_RASA = """
import json, sys
from pathlib import Path
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
data = RasaYAMLReader().read(Path(sys.argv[1]))
print(json.dumps([[m.get("text"), m.get("intent")] for m in data.intent_examples], ensure_ascii=False))
"""
