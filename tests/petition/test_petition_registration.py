"""Registration: validated intake, tickets per Shanghai day, idempotent re-submission."""
import threading
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from api.core.errors import Invalid
from api.org.models import StaffAccount, Unit
from api.petition import service
from api.petition.models import Petition, PetitionEvent, PetitionTicketCounter
from common.identifiers import make_uscc
from tests.petition.conftest import build_org, petition_data, sh


def test_tickets_are_sequential_per_shanghai_day(new_petition):
    tickets = [new_petition(f"2025-09-30 {h}:00").ticket for h in ("09", "10", "11")]
    assert tickets == ["SQ-20250930-0001", "SQ-20250930-0002", "SQ-20250930-0003"]
    # 2025-09-30 23:30 in Shanghai is still the 30th; 00:30 is the next day
    assert new_petition("2025-09-30 23:30").ticket == "SQ-20250930-0004"
    assert new_petition("2025-10-01 00:30").ticket == "SQ-20251001-0001"


def test_ticket_day_is_the_shanghai_date_of_receipt(session, org):
    received = datetime(2025, 9, 30, 17, 0, tzinfo=timezone.utc)  # 2025-10-01 01:00 in Shanghai
    p = service.register(petition_data(received_at=received), session=session, actor=org.registrar, now=received)
    assert p.ticket == "SQ-20251001-0001"
    assert p.handover_due == date(2025, 10, 9)


def test_duplicate_idempotency_key_returns_the_same_petition(session, org, new_petition):
    first = new_petition(idempotency_key="rasa:conv-42:petition-1")
    again = new_petition("2025-09-30 10:05", idempotency_key="rasa:conv-42:petition-1", content="另一段内容")
    assert again.id == first.id and again.ticket == first.ticket and again.content == first.content
    assert session.execute(select(PetitionEvent.petition_id).where(PetitionEvent.petition_id == first.id)).all() == [(first.id,)]
    assert new_petition(idempotency_key="rasa:conv-42:petition-2").ticket == "SQ-20250930-0002"


def test_the_bot_registers_for_an_accepting_unit_without_a_person(session, org):
    moment = sh("2025-09-30 10:00")
    data = petition_data(received_at=moment, sender_id="conv-7", channel="智能助手")
    with pytest.raises(Invalid, match="受理单位"):
        service.register(data, session=session, actor="bot", now=moment)
    p = service.register(data, session=session, actor="bot", accepting_unit_id=org.service_dept.id, now=moment)
    assert p.accepting_staff_id is None and p.sender_id == "conv-7"
    event = session.execute(select(PetitionEvent).where(PetitionEvent.petition_id == p.id)).scalar_one()
    assert (event.actor, event.action, event.data["channel"]) == ("bot", "register", "智能助手")


def test_staff_registration_records_the_accepting_person_and_unit(new_petition, org):
    p = new_petition()
    assert (p.accepting_staff_id, p.accepting_unit_id) == (org.registrar.id, org.service_dept.id)


def test_identifiers_are_normalised(new_petition):
    code = make_uscc(5)
    p = new_petition(uscc=f" {code[:8].lower()}-{code[8:].lower()} ", contact_phone="+86 139 1234 5678")
    assert (p.uscc, p.contact_phone) == (code, "13912345678")


@pytest.mark.parametrize("field, value, message", [
    ("uscc", make_uscc(5)[:17] + ("1" if make_uscc(5)[17] != "1" else "2"), "统一社会信用代码"),
    ("uscc", "12345", "统一社会信用代码"),
    ("contact_phone", "1380013800", "联系电话"),
    ("contact_phone", "12366", "服务热线"),
    ("category", "投诉类", "诉求类别"),
    ("channel", "微博", "受理渠道"),
])
def test_invalid_intake_is_refused_with_a_reason(new_petition, field, value, message):
    with pytest.raises(Invalid, match=message) as info:
        new_petition(**{field: value})
    assert info.value.status == 422


def test_a_valid_uscc_is_stored_upper_case(new_petition):
    code = make_uscc(3)
    assert new_petition(uscc=code.lower()).uscc == code


def test_uscc_is_optional(new_petition):
    assert new_petition(uscc=None).uscc is None


def test_receipt_cannot_be_in_the_future(session, org):
    with pytest.raises(Invalid, match="晚于"):
        service.register(petition_data(received_at=sh("2025-10-02 10:00")), session=session, actor=org.registrar,
                         now=sh("2025-10-01 10:00"))


def test_a_year_the_calendar_does_not_know_is_said_in_the_ledger(session, org, caplog):
    moment = datetime(2031, 3, 3, 2, 0, tzinfo=timezone.utc)
    p = service.register(petition_data(), session=session, actor=org.registrar, now=moment)
    assert p.handover_due is None
    event = session.execute(select(PetitionEvent).where(PetitionEvent.petition_id == p.id)).scalar_one()
    assert event.data["calendar_unknown"] is True
    assert any("2031" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")


# -- concurrency: separate connections that commit (PostgreSQL only) ----------------------------

@pytest.fixture
def committed(engine):
    """Sessions on their own connections that really commit; everything is removed afterwards."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks across connections are exercised on PostgreSQL")
    factory = sessionmaker(bind=engine, future=True, expire_on_commit=False)
    with factory.begin() as setup:
        org = build_org(setup, prefix="concurrent-")
    yield factory, org
    with engine.begin() as db:  # Core deletes: children before parents
        tickets = Petition.ticket.like("SQ-20240603-%")
        db.execute(delete(PetitionEvent.__table__).where(
            PetitionEvent.petition_id.in_(select(Petition.id).where(tickets))))
        db.execute(delete(Petition.__table__).where(tickets))
        db.execute(delete(PetitionTicketCounter.__table__).where(PetitionTicketCounter.day == date(2024, 6, 3)))
        db.execute(delete(StaffAccount.__table__).where(StaffAccount.username.like("concurrent-%")))
        for level in ("district", "city", "province"):
            mine = (Unit.name.like("concurrent-%"), Unit.level == level)
            db.execute(delete(Unit.__table__).where(*mine, Unit.kind != "tax_unit"))
            db.execute(delete(Unit.__table__).where(*mine))


def _register_in_thread(factory, org, result, **overrides):
    moment = sh("2024-06-03 10:00")

    def run():
        with factory() as db:
            p = service.register(petition_data(received_at=moment, **overrides), session=db, actor=org.registrar,
                                 now=moment)
            result.update(id=p.id, ticket=p.ticket)
            db.commit()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_concurrent_registrations_wait_for_the_day_counter_and_get_the_next_number(committed):
    factory, org = committed
    moment = sh("2024-06-03 10:00")
    with factory() as first:
        a = service.register(petition_data(received_at=moment), session=first, actor=org.registrar, now=moment)
        result = {}
        thread = _register_in_thread(factory, org, result)
        thread.join(0.5)
        assert thread.is_alive(), "the second registration must wait for the first one's counter lock"
        first.commit()
    thread.join(10)
    assert (a.ticket, result["ticket"]) == ("SQ-20240603-0001", "SQ-20240603-0002")


def test_concurrent_duplicates_with_one_idempotency_key_make_one_petition(committed):
    factory, org = committed
    moment = sh("2024-06-03 10:00")
    with factory() as first:
        a = service.register(petition_data(received_at=moment, idempotency_key="dup-1"), session=first,
                             actor=org.registrar, now=moment)
        result = {}
        thread = _register_in_thread(factory, org, result, idempotency_key="dup-1")
        thread.join(0.5)
        first.commit()
    thread.join(10)
    assert result["id"] == a.id
    with factory() as db:
        assert db.execute(select(Petition.id).where(Petition.ticket.like("SQ-20240603-%"))).all() == [(a.id,)]
        assert db.get(PetitionTicketCounter, date(2024, 6, 3)).last == 1  # no number was burnt
