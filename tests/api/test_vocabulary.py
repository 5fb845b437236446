"""GET /api/vocabulary: one vocabulary for every page, open without login, cacheable, every value Chinese, and
complete — every status the database allows, every role, every enterprise field has its Chinese name."""
import re

import pytest

from api.enterprise import models as enterprise
from api.enterprise.service import picture_profile
from api.hub import models as hub
from api.hub import presence
from api.improvement import models as improvement
from api.notification import models as notification
from api.org import models as org
from api.petition.constants import Status
from api.petition.lifecycle import TRANSITIONS
from api.reminder import models as reminder
from tests.api.test_enterprise_routes import make

CJK = re.compile(r"[\u4e00-\u9fff]")
ASKED = ("petition_status", "petition_category", "petition_channel", "petition_action", "extension_status",
         "reminder_type", "reminder_status", "reminder_answer", "campaign_status", "repair_status", "role",
         "unit_kind", "unit_level", "conversation_mode", "handoff_status", "tier", "presence", "notification_kind",
         "reply_kind", "intent", "enterprise_field", "credit_level", "taxpayer_type")


@pytest.fixture
def vocabulary(client):
    response = client.get("/api/vocabulary")  # no Authorization header: anyone may read the labels
    assert response.status_code == 200, response.text
    return response


def test_anyone_reads_the_vocabulary_without_logging_in(vocabulary):
    body = vocabulary.json()
    assert set(ASKED) <= set(body["groups"])
    assert body["groups"]["petition_status"]["registered"] == "已受理登记"
    assert body["groups"]["conversation_mode"]["queued"] == "排队等待人工"
    assert body["groups"]["enterprise_field"]["total_assets_wan"] == "资产总额（万元）"
    assert body["groups"]["intent"]["request_human"] == "要求转人工"
    assert body["groups"]["presence"]["offline"] == "离线"
    assert all(CJK.search(text) for text in body["descriptions"].values())


def test_no_label_is_an_english_key(vocabulary):
    bad = [(group, key, text) for group, labels in vocabulary.json()["groups"].items()
           for key, text in labels.items() if not CJK.search(text) or re.search(r"[a-z]{2}|_", text)]
    assert bad == []


def test_a_page_caches_it_by_its_version(client, vocabulary):
    version = vocabulary.json()["version"]
    assert vocabulary.headers["etag"] == f'"{version}"' and "max-age" in vocabulary.headers["cache-control"]
    again = client.get("/api/vocabulary", headers={"If-None-Match": f'"{version}"'})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/api/vocabulary", headers={"If-None-Match": f'W/"{version}"'}).status_code == 304
    stale = client.get("/api/vocabulary", headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.json()["version"] == version


def test_a_page_asks_for_some_groups_and_hears_which_do_not_exist(client):
    some = client.get("/api/vocabulary", params={"groups": "intent, tier"}).json()
    assert set(some["groups"]) == {"intent", "tier"} and some["groups"]["tier"]["expert"] == "税务专家"
    wrong = client.get("/api/vocabulary", params={"groups": "intent,statuses"})
    assert wrong.status_code == 422 and "statuses" in wrong.json()["detail"] and "分组" in wrong.json()["detail"]


@pytest.mark.parametrize("group, keys", [
    ("petition_status", [s.value for s in Status]),
    ("petition_action", ["register", *TRANSITIONS, "approve_extension", "reject_extension", "clock_due_soon",
                         "clock_overdue"]),  # the last two: the SLA sweep's ledger marks
    ("reminder_type", reminder.TYPES), ("reminder_status", reminder.STATUSES),
    ("reminder_answer", reminder.ALL_ANSWERS), ("campaign_status", reminder.CAMPAIGN_STATUSES),
    ("campaign_repeat", reminder.REPEATS), ("repair_status", reminder.REPAIR_STATUSES),
    ("role", org.ROLES), ("unit_kind", org.UNIT_KINDS), ("unit_level", org.LEVELS),
    ("conversation_mode", hub.MODES), ("tier", hub.TIERS), ("sender", hub.SENDERS),
    ("presence", (*presence.STATUSES, "leaving", "offline")), ("notification_kind", notification.KINDS),
    ("credit_level", enterprise.LEVELS), ("taxpayer_type", enterprise.TAXPAYER_TYPES),
    ("enterprise_kind", enterprise.KINDS), ("data_source", enterprise.SOURCES), ("tax_type", enterprise.TAX_TYPES),
    ("filing_state", ("filed", "late", "overdue", "pending")),
    ("improvement_kind", improvement.IMPROVEMENT_KINDS), ("improvement_status", improvement.IMPROVEMENT_STATUSES),
])
def test_every_value_the_database_allows_has_exactly_one_label(vocabulary, group, keys):
    assert sorted(vocabulary.json()["groups"][group]) == sorted(keys)


def test_every_enterprise_field_a_page_receives_has_a_label(client, db, world, auth, vocabulary):
    labels = vocabulary.json()["groups"]["enterprise_field"]
    e = make(db, "字段标签测试商贸有限公司")
    columns = {column.name for column in enterprise.Enterprise.__table__.columns}
    profile = client.get(f"/api/enterprises/{e.uscc}", headers=auth(world.registrar)).json()
    picture = picture_profile(e.uscc, db)
    missing = sorted((columns | set(profile) | set(picture)) - set(labels))
    assert missing == []
