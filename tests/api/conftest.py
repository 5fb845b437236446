"""API fixtures: a migrated database (built by Alembic), Redis, and stand-ins for Rasa and actions.

Rasa and the action server are replaced by tiny real HTTP servers on loopback that answer like
them, so /health is exercised over real sockets.
"""
import http.server
import threading

import pytest
from fastapi.testclient import TestClient

from api.core.database import make_engine
from api.main import create_app
from api.settings import Settings
from common.identifiers import make_uscc
from tests.conftest import TEST_REDIS_URL


class _Answer200(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def peer_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer200)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def settings(database_url, peer_url, tmp_path):
    # The SLA, hub, campaign and retrain sweepers are off: a background sweep would write to the database while tests run.
    # Seats are open around the clock so the hub tests do not depend on the hour they run at.
    # Embedded Redis: a data file per test, so throttle counters (the TestClient's address is the same in every
    # test) never add up across the run, as fresh_throttles ensures on a real Redis.
    return Settings(database_url=database_url, redis_url=TEST_REDIS_URL, rasa_url=peer_url, actions_url=peer_url,
                    embedded_redis_path=str(tmp_path / "redis.db"),
                    sla_sweep_enabled=False, hub_sweep_enabled=False, campaign_sweep_enabled=False,
                    analytics_sweep_enabled=False, retrain_sweep_enabled=False, outbox_sweep_enabled=False,
                    sms_record_path=str(tmp_path / "sms.jsonl"),
                    service_hours="00:00-24:00",
                    service_workdays_only=False)


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Every test starts with empty throttles: the TestClient's address ('testclient') is the same in every
    test, and its per-address counters would otherwise add up across the run. (The embedded Redis has a data
    file per test: see ``settings``.)"""
    if TEST_REDIS_URL:
        import redis

        from api.throttle import PREFIX

        client = redis.Redis.from_url(TEST_REDIS_URL)
        keys = list(client.scan_iter(f"{PREFIX}*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as test_client:
        yield test_client


# -- staff, units and tokens for the auth and petition route tests -------------------------------
# Route tests go through the real commit path, so their data is committed: every test builds its
# own bureau tree under a unique name prefix, and registers petitions with received times near
# "now" (never on the fixed 2024/2025 days the petition service tests number tickets on).

from dataclasses import dataclass  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from uuid import uuid4  # noqa: E402

from sqlalchemy import delete, func, select  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from api.analytics.models import (  # noqa: E402
    AnalyticsDayRun,
    ConversationFact,
    ConversationSearch,
    DailyFigures,
    DailyKey,
    DailySeat,
    UnansweredGroup,
)
from api.auth.security import create_enterprise_token, create_staff_token, hash_password  # noqa: E402
from api.enterprise.models import CreditDeduction, CreditRecord, Enterprise, EnterpriseFiling, PolicyClaim, RiskFinding  # noqa: E402
from api.hub.models import Attachment, Conversation, Message  # noqa: E402
from api.improvement.models import Improvement  # noqa: E402
from api.notification.models import Notification  # noqa: E402
from api.org.models import StaffAccount, Unit, UnitRegion  # noqa: E402
from api.org.service import create_staff, create_unit  # noqa: E402
from api.outbox.models import EnterpriseNotice, SmsMessage  # noqa: E402
from api.petition.models import Petition, PetitionEvent, PetitionExtension, PetitionHandler  # noqa: E402
from api.privacy.models import AuditEntry  # noqa: E402
from api.reminder.models import Campaign, Reminder, RepairApplication  # noqa: E402
from api.review.models import ReviewMark, ReviewTag  # noqa: E402

PASSWORD = "Correct-Horse-9"
TEST_ITERATIONS = 1_000  # the hash records its iteration count; production uses PBKDF2_ITERATIONS


@pytest.fixture(scope="session")
def api_engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module", autouse=True)
def leave_no_trace(api_engine):
    """Rows a test module committed through the API are deleted when the module ends (children
    first), so tests that query whole tables later in the session start from what they expect."""
    tables = [model.__table__ for model in (
        SmsMessage, EnterpriseNotice, Improvement, ReviewMark, ReviewTag, AuditEntry, ConversationSearch, ConversationFact, UnansweredGroup,
        DailySeat, DailyKey, DailyFigures, AnalyticsDayRun,
        RepairApplication, Reminder, Campaign, CreditDeduction, CreditRecord, EnterpriseFiling, RiskFinding,
        PolicyClaim, Enterprise, Message, Attachment, Conversation, Notification, PetitionEvent, PetitionExtension,
        PetitionHandler, Petition, StaffAccount, UnitRegion, Unit)]
    with api_engine.connect() as connection:
        marks = {t.name: connection.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one() for t in tables}
    yield
    with api_engine.begin() as connection:
        for table in tables:
            connection.execute(delete(table).where(table.c.id > marks[table.name]))


@pytest.fixture
def db(api_engine):
    """A session whose work is committed, as the API only sees committed rows."""
    with sessionmaker(bind=api_engine, future=True, expire_on_commit=False)() as session:
        yield session


@dataclass
class World:
    prefix: str
    city: Unit
    service_dept: Unit  # 纳税服务科 (unit tree of the city bureau)
    collection: Unit  # 征管科, handling department "A"
    policy: Unit  # 税政科
    district_dept: Unit  # a district bureau's handling department "B"
    other_service: Unit  # another city's service department
    registrar: StaffAccount
    clerk: StaffAccount
    handler: StaffAccount  # in collection (A)
    policy_handler: StaffAccount
    district_handler: StaffAccount  # in district_dept (B)
    supervisor: StaffAccount
    director: StaffAccount
    operator: StaffAccount
    admin: StaffAccount
    expert: StaffAccount
    inactive: StaffAccount
    other_staff: StaffAccount  # staff of the other city


def build_world(db, prefix: str) -> World:
    def unit(name, level, kind, parent=None):
        return create_unit(session=db, name=prefix + name, level=level, kind=kind,
                           parent_id=parent.id if parent else None)

    province = unit("省税务局", "province", "tax_unit")
    city = unit("市税务局", "city", "tax_unit", province)
    service_dept = unit("纳税服务科", "city", "service_department", city)
    collection = unit("征管科", "city", "handling_department", city)
    policy = unit("税政科", "city", "handling_department", city)
    district = unit("区税务局", "district", "tax_unit", city)
    district_dept = unit("区局税源管理股", "district", "handling_department", district)
    other_city = unit("另一市税务局", "city", "tax_unit", province)
    other_service = unit("另一市纳税服务科", "city", "service_department", other_city)
    password_hash = hash_password(PASSWORD, iterations=TEST_ITERATIONS)

    def staff(name, role, where, active=True):
        return create_staff(session=db, username=prefix + name, display_name=name, role=role, unit_id=where.id,
                            password_hash=password_hash, active=active)

    world = World(prefix=prefix, city=city, service_dept=service_dept, collection=collection, policy=policy,
                  district_dept=district_dept, other_service=other_service,
                  registrar=staff("registrar", "staff", service_dept), clerk=staff("clerk", "staff", service_dept),
                  handler=staff("handler", "handler", collection), policy_handler=staff("policy", "handler", policy),
                  district_handler=staff("district", "handler", district_dept),
                  supervisor=staff("supervisor", "supervisor", city), director=staff("director", "director", city),
                  operator=staff("operator", "operator", province), admin=staff("admin", "admin", province),
                  expert=staff("expert", "expert", city), inactive=staff("inactive", "staff", service_dept, False),
                  other_staff=staff("other", "staff", other_service))
    db.commit()
    return world


@pytest.fixture
def world(db) -> World:
    return build_world(db, f"t{uuid4().hex[:8]}-")


@pytest.fixture
def auth(settings):
    """``auth(staff)`` → headers with a fresh staff token, as ``POST /api/auth/token`` issues it."""
    def headers(staff: StaffAccount, lifetime: timedelta = timedelta(hours=1), now: datetime | None = None):
        token = create_staff_token(staff, secret=settings.app_secret, lifetime=lifetime, now=now)
        return {"Authorization": f"Bearer {token}"}
    return headers


@pytest.fixture
def enterprise_token(settings):
    def make(uscc: str, name: str = "测试小微企业", lifetime: timedelta = timedelta(hours=1)):
        return create_enterprise_token(uscc, name, secret=settings.app_secret, lifetime=lifetime,
                                       now=datetime.now(timezone.utc))
    return make


def grant_fields(token: str | None, *, secret: str, sender: str = "test-sender") -> dict:
    """What the action server sends the internal routes for a message that came with ``token``: the bot grant
    Rasa's channel (bot/channels.py) made from it, bound to ``sender``; no grant when the token was refused."""
    from common import tokens

    fields = {"sender_id": sender, "enterprise_grant": None}
    try:
        identity = tokens.verify_enterprise_token(token, secret=secret) if token else None
    except tokens.TokenRejected:
        identity = None
    if identity is not None:
        fields["enterprise_grant"] = tokens.mint_grant(identity, sender, secret=secret)
    return fields


@pytest.fixture
def enterprise_grant(settings):
    """``enterprise_grant(uscc, name=…, lifetime=…, sender=…)``: grant fields for a logged-in enterprise; an expired
    lifetime gives an expired grant (the token was valid when the message came, the grant has run out since)."""
    from common import tokens

    def make(uscc: str, name: str = "测试小微企业", lifetime: timedelta = timedelta(hours=1),
             sender: str = "test-sender") -> dict:
        identity = tokens.EnterpriseIdentity(uscc=uscc, name=name, expires_at=datetime.now(timezone.utc) + lifetime)
        return {"sender_id": sender, "enterprise_grant": tokens.mint_grant(identity, sender, secret=settings.app_secret)}
    return make


@pytest.fixture
def service_headers(settings):
    return {"Authorization": f"Bearer {settings.service_token}"}


def petition_body(marker: str = "", **overrides) -> dict:
    body = dict(taxpayer_name=f"成都小微商贸有限公司{marker}", uscc=make_uscc(7), contact_phone="138-0013-8000",  # noqa: C408
                content=f"{marker}小规模纳税人减免增值税政策在电子税务局无法勾选，申报时提示错误。",
                category="信息化建设类", channel="12366热线")
    body.update(overrides)
    return body


@pytest.fixture
def register(client, world, auth):
    """Register through the staff route; returns the petition as read back."""
    def make(staff=None, **overrides):
        response = client.post("/api/petitions", json=petition_body(**overrides),
                               headers=auth(staff or world.registrar))
        assert response.status_code == 201, response.text
        return response.json()
    return make
