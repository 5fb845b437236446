"""Petition fixtures: the migrated database (shared with tests/api), a session per test that is
rolled back afterwards, a small tax-bureau tree with its staff, and a petition factory."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from api.core.database import make_engine
from api.org.models import StaffAccount, Unit
from api.org.service import create_staff, create_unit
from api.petition import service
from api.petition.schemas import PetitionCreate
from common.identifiers import make_uscc

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(text: str) -> datetime:
    """An aware moment from a Shanghai wall-clock time, e.g. ``sh("2025-09-30 10:00")``."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    """A session inside an outer transaction that is rolled back: services never commit."""
    connection = engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint")  # a failed flush: not the test's transaction
    try:
        yield db
    finally:
        db.close()
        if transaction.is_active:  # a failed flush has already rolled it back
            transaction.rollback()
        connection.close()


@dataclass
class Org:
    city: Unit
    service_dept: Unit  # 纳税服务科
    collection: Unit  # 征管科
    policy: Unit  # 税政科
    legal: Unit  # 法制科
    district_dept: Unit  # a district bureau's handling department
    province_dept: Unit
    registrar: StaffAccount
    service_clerk: StaffAccount
    handler: StaffAccount  # in collection
    policy_handler: StaffAccount
    supervisor: StaffAccount
    director: StaffAccount


def build_org(db: Session, prefix: str = "") -> Org:
    unit = lambda name, level, kind, parent=None: create_unit(  # noqa: E731
        session=db, name=prefix + name, level=level, kind=kind, parent_id=parent.id if parent else None)
    province = unit("省税务局", "province", "tax_unit")
    province_dept = unit("省局征管处", "province", "handling_department", province)
    city = unit("市税务局", "city", "tax_unit", province)
    depts = {name: unit(name, "city", kind, city) for name, kind in [
        ("纳税服务科", "service_department"), ("征管科", "handling_department"),
        ("税政科", "handling_department"), ("法制科", "legal_unit")]}
    district = unit("区税务局", "district", "tax_unit", city)
    district_dept = unit("区局税源管理股", "district", "handling_department", district)
    staff = lambda name, role, where: create_staff(  # noqa: E731
        session=db, username=prefix + name, display_name=name, role=role, unit_id=where.id)
    return Org(city=city, service_dept=depts["纳税服务科"], collection=depts["征管科"], policy=depts["税政科"],
               legal=depts["法制科"], district_dept=district_dept, province_dept=province_dept,
               registrar=staff("registrar", "staff", depts["纳税服务科"]),
               service_clerk=staff("clerk", "staff", depts["纳税服务科"]),
               handler=staff("handler", "handler", depts["征管科"]),
               policy_handler=staff("policy", "handler", depts["税政科"]),
               supervisor=staff("supervisor", "supervisor", city),
               director=staff("director", "director", city))


@pytest.fixture
def org(session) -> Org:
    return build_org(session)


def petition_data(**overrides) -> PetitionCreate:
    values = dict(taxpayer_name="成都小微商贸有限公司", uscc=make_uscc(7), contact_phone="138-0013-8000",  # noqa: C408
                  content="小规模纳税人减免增值税政策在电子税务局无法勾选，申报时提示错误。",
                  category="信息化建设类", channel="智能助手")
    values.update(overrides)
    return PetitionCreate(**values)


@pytest.fixture
def new_petition(session, org):
    """Register a petition (received at ``received``, Shanghai time) through the service."""
    def make(received: str = "2025-09-30 10:00", actor=None, **overrides):
        moment = sh(received)
        data = petition_data(received_at=moment, **overrides)
        return service.register(data, session=session, actor=actor or org.registrar, now=moment)
    return make
