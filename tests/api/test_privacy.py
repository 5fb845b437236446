"""One masking policy (api.privacy.policy) on every route and export that returns personal data, with the
audit row of every unmasked view; a seat files a petition only from a conversation it holds; credit-repair
applications are listed and decided only by their unit."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from uuid import uuid4

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from api.hub.models import Conversation, Message
from api.org.service import create_staff
from api.privacy.masking import mask_name, mask_phone, mask_uscc
from api.privacy.models import AuditEntry
from api.reminder.models import RepairApplication
from common.identifiers import make_uscc
from tests.api.reminderkit import make_enterprise

PHONE = "13800138000"


def audit_rows(db, staff) -> list[AuditEntry]:
    db.expire_all()
    return list(db.execute(select(AuditEntry).where(AuditEntry.staff_id == staff.id)
                           .order_by(AuditEntry.id)).scalars())


@pytest.fixture
def filed(register, world):
    """A petition the service department accepted, with the petitioner's phone in the demand too."""
    marker = uuid4().hex[:6]
    return register(uscc=make_uscc(abs(hash(marker)) % 10**6), contact_phone=PHONE,
                    taxpayer_name=f"隐私{marker}商贸有限公司", content=f"请回电{PHONE}，发票无法开具{marker}")


# -- petitions: list, detail, export --------------------------------------------------------------------------

def test_an_operator_reads_petitions_masked_and_nothing_is_audited(client, db, world, auth, filed):
    headers = auth(world.operator)
    listed = client.get("/api/petitions", params={"q": filed["ticket"]}, headers=headers).json()["items"]
    detail = client.get(f"/api/petitions/{filed['id']}", headers=headers).json()["petition"]
    for shown in (listed[0], detail):
        assert shown["contact_phone"] == mask_phone(PHONE) == "138****8000"
        assert shown["uscc"] == mask_uscc(filed["uscc"]) != filed["uscc"]
        assert shown["taxpayer_name"] == mask_name(filed["taxpayer_name"])
        assert PHONE not in shown["content"] and "138****8000" in shown["content"]
    assert audit_rows(db, world.operator) == []
    refused = client.get("/api/petitions", params={"unmasked": "true"}, headers=headers)
    assert refused.status_code == 403 and "系统管理员" in refused.json()["detail"]


def test_the_unit_that_holds_a_petition_reads_it_unmasked_and_each_request_is_audited_once(
        client, db, world, auth, filed, register):
    other = register(contact_phone="13900139000")
    headers = auth(world.clerk)  # staff of the accepting (service) department
    page = client.get("/api/petitions", headers=headers, params={"page_size": 100}).json()["items"]
    mine = next(p for p in page if p["id"] == filed["id"])
    assert (mine["contact_phone"], mine["uscc"]) == (PHONE, filed["uscc"])
    rows = audit_rows(db, world.clerk)
    assert len(rows) == 1 and rows[0].action == "list_petitions"  # one row for the page, naming what it showed
    assert {filed["ticket"], other["ticket"]} <= set(rows[0].detail["shown"])
    assert rows[0].detail["purpose"] == "handling" and "contact_phone" in rows[0].detail["fields"]

    detail = client.get(f"/api/petitions/{filed['id']}", headers=headers).json()["petition"]
    assert detail["contact_phone"] == PHONE
    assert [r.subject for r in audit_rows(db, world.clerk)][1:] == [f"petition:{filed['id']}"]


def test_the_admin_sees_masked_data_unless_it_asks_and_the_switch_is_audited(client, db, world, auth, filed):
    headers = auth(world.admin)
    path = f"/api/petitions/{filed['id']}"
    assert client.get(path, headers=headers).json()["petition"]["contact_phone"] == "138****8000"
    assert audit_rows(db, world.admin) == []
    shown = client.get(path, params={"unmasked": "true"}, headers=headers).json()["petition"]
    assert shown["contact_phone"] == PHONE
    (row,) = audit_rows(db, world.admin)
    assert row.detail["purpose"] == "admin_switch" and row.detail["shown"] == [filed["ticket"]]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_ledger_export_follows_the_policy_in_csv_and_xlsx(client, db, world, auth, filed):
    params = {"q": filed["ticket"]}
    operator = client.get("/api/petitions/export", params=params, headers=auth(world.operator))
    assert operator.status_code == 200
    header, row = _csv(operator)
    assert row[header.index("联系电话")] == "138****8000" and row[header.index("统一社会信用代码")] != filed["uscc"]
    assert PHONE not in operator.content.decode("utf-8-sig")
    xlsx = client.get("/api/petitions/export", params={**params, "format": "xlsx"}, headers=auth(world.operator))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [cell.value for cell in list(sheet.iter_rows())[1]]
    assert "138****8000" in values and PHONE not in values and filed["uscc"] not in values
    assert audit_rows(db, world.operator) == []

    clerk = client.get("/api/petitions/export", params=params, headers=auth(world.clerk))
    header, row = _csv(clerk)
    assert row[header.index("联系电话")] == PHONE and row[header.index("统一社会信用代码")] == filed["uscc"]
    (entry,) = audit_rows(db, world.clerk)
    assert entry.action == "export_petitions" and entry.detail["filter"] == params and entry.detail["format"] == "csv"


def test_common_demand_examples_are_masked_for_leaders(client, db, world, auth, register):
    for i in range(3):
        register(content=f"请联系{PHONE}，电子税务局增值税申报提示系统错误{i}")
    data = client.get("/api/petitions/common-demands", headers=auth(world.supervisor)).json()
    texts = [e["content"] for t in data["themes"] for e in t["examples"]]
    assert texts and not any(PHONE in t for t in texts)


# -- the enterprise profile -----------------------------------------------------------------------------------

def test_the_enterprise_profile_is_unmasked_for_the_unit_holding_its_petition_and_audited(
        client, db, world, auth, register):
    enterprise = make_enterprise(db, name=f"画像{uuid4().hex[:6]}商贸有限公司")
    db.commit()
    path = f"/api/enterprises/{enterprise.uscc}"
    assert client.get(path, headers=auth(world.clerk)).json()["name"] == mask_name(enterprise.name)
    assert audit_rows(db, world.clerk) == []
    register(uscc=enterprise.uscc)
    before = len(audit_rows(db, world.registrar))
    shown = client.get(path, headers=auth(world.clerk)).json()
    assert (shown["name"], shown["uscc"]) == (enterprise.name, enterprise.uscc)
    (row,) = audit_rows(db, world.clerk)
    assert row.action == "view_enterprise" and row.detail["purpose"] == "handling"
    assert len(audit_rows(db, world.registrar)) == before
    operator = client.get(path, headers=auth(world.operator)).json()
    assert operator["uscc"] == mask_uscc(enterprise.uscc)
    admin = client.get(path, params={"unmasked": "true"}, headers=auth(world.admin)).json()
    assert admin["uscc"] == enterprise.uscc and audit_rows(db, world.admin)[0].detail["purpose"] == "admin_switch"


# -- seats and conversations ----------------------------------------------------------------------------------

@pytest.fixture
def desk_expert(db, world):
    staff = create_staff(session=db, username=world.prefix + "privacy-expert", display_name="周专家", role="expert",
                         unit_id=world.service_dept.id, password_hash=None)
    db.commit()
    return staff


def conversation(db, world, *, mode: str, holder=None, tier="staff") -> Conversation:
    now = datetime.now(timezone.utc)
    uscc = make_uscc(abs(hash(uuid4().hex)) % 10**6)
    c = Conversation(identity=f"e:{uscc}", rasa_sender=uuid4().hex, uscc=uscc, enterprise_name="隐私测试商贸有限公司",
                     unit_id=world.service_dept.id, mode=mode, tier=tier, created_at=now, last_message_at=now,
                     had_human=True, seat_read_id=0, assigned_staff_id=holder.id if holder else None,
                     assigned_at=now if holder else None, closed_at=now if mode == "closed" else None)
    db.add(c)
    db.flush()
    db.add(Message(conversation_id=c.id, sender="user", sender_name=c.enterprise_name, mode=mode, created_at=now,
                   text=f"我是隐私测试商贸有限公司，电话{PHONE}，身份证号510104199001011234"))
    db.commit()
    return c


def test_an_expert_opening_a_closed_conversation_it_did_not_hold_sees_it_masked(client, db, world, auth,
                                                                                 desk_expert):
    closed = conversation(db, world, mode="closed", holder=world.clerk)
    path = f"/api/seats/conversations/{closed.id}"
    answer = client.get(path, headers=auth(desk_expert))
    assert answer.status_code == 200
    body = answer.json()
    text = body["messages"][0]["text"]
    assert PHONE not in text and "138****8000" in text and "510104199001011234" not in text
    assert "隐私测试商贸有限公司" not in text and body["conversation"]["uscc"] == mask_uscc(closed.uscc)
    picture = client.get(f"{path}/picture", headers=auth(desk_expert)).json()
    assert picture["enterprise"]["uscc"] == mask_uscc(closed.uscc)
    facts = {f["field"]: f["value"] for f in picture["key_facts"]}
    assert facts["name"] == mask_name("隐私测试商贸有限公司") and facts["uscc"] == mask_uscc(closed.uscc)
    assert "隐私测试商贸有限公司" not in str(picture) and closed.uscc not in str(picture)
    draft = client.get(f"{path}/petition-draft", headers=auth(desk_expert)).json()
    assert PHONE not in draft["content"] and PHONE not in draft["transcript"]
    # its former holder sees it masked too once it is closed; a seat of another unit does not see it at all
    assert PHONE not in client.get(path, headers=auth(world.clerk)).json()["messages"][0]["text"]
    assert client.get(path, headers=auth(world.other_staff)).status_code == 404
    assert audit_rows(db, desk_expert) == [] and audit_rows(db, world.clerk) == []


def test_the_seat_holding_a_conversation_reads_it_unmasked_and_audited(client, db, world, auth):
    held = conversation(db, world, mode="human", holder=world.clerk)
    path = f"/api/seats/conversations/{held.id}"
    body = client.get(path, headers=auth(world.clerk)).json()
    assert PHONE in body["messages"][0]["text"] and body["conversation"]["uscc"] == held.uscc
    assert client.get(f"{path}/picture", headers=auth(world.clerk)).json()["enterprise"]["uscc"] == held.uscc
    mine = client.get("/api/seats/conversations", headers=auth(world.clerk)).json()
    assert any(c["id"] == held.id and c["uscc"] == held.uscc for c in mine)
    actions = [(r.action, r.detail["purpose"]) for r in audit_rows(db, world.clerk)]
    assert actions == [("view_conversation", "serving"), ("view_picture", "serving"),
                       ("list_my_conversations", "serving")]
    colleague = client.get(path, headers=auth(world.registrar)).json()  # same unit, not the holder
    assert PHONE not in colleague["messages"][0]["text"] and colleague["conversation"]["uscc"] != held.uscc


def test_only_the_holding_seat_with_a_registering_role_files_a_petition_from_a_conversation(
        client, db, world, auth, desk_expert):
    body = {"content": "大厅办事太慢", "category": "纳税服务类", "taxpayer_name": "隐私测试商贸有限公司",
            "contact_phone": PHONE}
    held = conversation(db, world, mode="human", holder=world.clerk)
    stranger = client.post(f"/api/seats/conversations/{held.id}/petition", headers=auth(world.registrar), json=body)
    assert stranger.status_code == 403 and "正在服务该会话的坐席" in stranger.json()["detail"]
    by_expert = conversation(db, world, mode="human", holder=desk_expert, tier="expert")
    refused = client.post(f"/api/seats/conversations/{by_expert.id}/petition", headers=auth(desk_expert), json=body)
    assert refused.status_code == 403 and "专家坐席" in refused.json()["detail"] and "需要" in refused.json()["detail"]
    closed = conversation(db, world, mode="closed", holder=world.clerk)
    late = client.post(f"/api/seats/conversations/{closed.id}/petition", headers=auth(world.clerk), json=body)
    assert late.status_code == 403
    filed = client.post(f"/api/seats/conversations/{held.id}/petition", headers=auth(world.clerk), json=body)
    assert filed.status_code == 201, filed.text


# -- credit repairs -------------------------------------------------------------------------------------------

def test_credit_repairs_are_listed_and_decided_only_by_their_unit(client, db, world, auth):
    enterprise = make_enterprise(db, name=f"修复{uuid4().hex[:6]}有限公司")
    now = datetime.now(timezone.utc)
    ours = RepairApplication(enterprise_id=enterprise.id, deduction_id=1, reason="未按期申报", status="received",
                             received_at=now, unit_id=world.service_dept.id)
    theirs = RepairApplication(enterprise_id=enterprise.id, deduction_id=2, reason="未按期申报", status="received",
                               received_at=now, unit_id=world.other_service.id)
    db.add_all([ours, theirs])
    db.commit()

    def listed(staff) -> set[int]:
        return {a["id"] for a in client.get("/api/repairs", headers=auth(staff)).json()} & {ours.id, theirs.id}

    assert listed(world.clerk) == {ours.id} and listed(world.other_staff) == {theirs.id}
    assert listed(world.supervisor) == {ours.id}  # the city bureau's tree holds the service department
    assert listed(world.admin) == {ours.id, theirs.id}
    refused = client.post(f"/api/repairs/{ours.id}/decision", headers=auth(world.other_staff), json={"approve": True, "note": "已核实"})
    assert refused.status_code == 404 and "不存在" in refused.json()["detail"]
    decided = client.post(f"/api/repairs/{ours.id}/decision", headers=auth(world.clerk), json={"approve": True, "note": "已核实"})
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert client.get(f"/api/repairs/{theirs.id}", headers=auth(world.clerk)).status_code == 404  # not ours to open
    detail = client.get(f"/api/repairs/{ours.id}", headers=auth(world.clerk)).json()
    assert detail["enterprise"]["name"] == enterprise.name and detail["decided_by"] == world.clerk.display_name
    assert detail["clock"]["days_left"] is None  # decided: its clock has stopped
    db.expire_all()
    assert db.execute(select(func.count()).select_from(RepairApplication).where(
        RepairApplication.id == theirs.id, RepairApplication.status == "received")).scalar_one() == 1
