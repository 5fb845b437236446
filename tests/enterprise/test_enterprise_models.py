"""The enterprise tables as migrated: constraints refuse what the enums and money rules forbid, the keys the
importer upserts on are unique, the "not filed" index is partial; period strings parse."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from api.enterprise.periods import current_periods, parse_period, period_string
from tests.enterprise.conftest import NOW, add_credit, add_enterprise, add_filing

# SQLite stores Numeric as floating point and SQLAlchemy says so on every query; the amounts here are exact enough.
pytestmark = pytest.mark.filterwarnings("ignore:Dialect sqlite\\+pysqlite does \\*not\\* support Decimal")


@pytest.mark.parametrize("field, value", [("taxpayer_type", "micro"), ("kind", "partnership"),
                                          ("employees", -1), ("total_assets", Decimal("-0.01"))])
def test_enterprise_constraints_refuse_bad_values(session, field, value):
    with pytest.raises(IntegrityError):
        add_enterprise(session, **{field: value})


def test_uscc_is_unique(session):
    first = add_enterprise(session)
    with pytest.raises(IntegrityError):
        add_enterprise(session, uscc=first.uscc)


def test_one_return_per_tax_and_period(session):
    e = add_enterprise(session)
    add_filing(session, e, date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 15), None)
    add_filing(session, e, date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 15), None, tax_type="cit")
    with pytest.raises(IntegrityError):
        add_filing(session, e, date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 20), None)


def test_one_credit_record_per_year(session):
    e = add_enterprise(session)
    add_credit(session, e, 2025, "B", 85)
    add_credit(session, e, 2024, "A", 95)
    with pytest.raises(IntegrityError):
        add_credit(session, e, 2025, "A", 95)


@pytest.mark.parametrize("level", ["E", "b", ""])
def test_credit_level_must_be_one_of_a_b_m_c_d(session, level):
    with pytest.raises(IntegrityError):
        add_credit(session, add_enterprise(session), 2025, level, 80)


@pytest.mark.parametrize("start, end, declared", [(date(2026, 6, 30), date(2026, 4, 1), "0"),
                                                   (date(2026, 4, 1), date(2026, 6, 30), "-5")])
def test_filings_refuse_an_inverted_period_and_negative_sales(session, start, end, declared):
    with pytest.raises(IntegrityError):
        add_filing(session, add_enterprise(session), start, end, date(2026, 7, 15), None, declared=declared)


def test_the_unfiled_index_covers_only_returns_not_filed(engine):
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("enterprise_filings")}
    assert indexes["ix_enterprise_filings_unfiled"]["column_names"] == ["due_date"]
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            definition = connection.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_enterprise_filings_unfiled'").scalar_one()
        assert "WHERE (filed_date IS NULL)" in definition


def test_sources_round_trip_as_json(session):
    e = add_enterprise(session)
    session.expire_all()
    assert session.get(type(e), e.id).sources["employees"] == {"source": "social_security",
                                                               "synced_at": NOW.isoformat()}


@pytest.mark.parametrize("text, first, last", [
    ("2025", date(2025, 1, 1), date(2025, 12, 31)),
    ("2025Q3", date(2025, 7, 1), date(2025, 9, 30)),
    ("2024Q1", date(2024, 1, 1), date(2024, 3, 31)),
    ("2025-02", date(2025, 2, 1), date(2025, 2, 28)),
    ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
])
def test_period_strings_parse_to_their_first_and_last_day(text, first, last):
    assert parse_period(text) == (first, last)
    assert period_string(first, last) == text


@pytest.mark.parametrize("text", ["2025Q5", "2025-13", "25Q1", "2025q1", "2025-7", ""])
def test_malformed_periods_are_refused_in_chinese(text):
    with pytest.raises(ValueError, match="格式不正确"):
        parse_period(text)


def test_current_periods_are_this_and_the_previous_year_quarter_and_month():
    assert current_periods(date(2026, 11, 23)) == {"2026", "2025", "2026Q4", "2026Q3", "2026-11", "2026-10"}
    assert current_periods(date(2026, 1, 5)) == {"2026", "2025", "2026Q1", "2025Q4", "2026-01", "2025-12"}
