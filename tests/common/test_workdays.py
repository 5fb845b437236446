"""Working-day calendar for petition deadlines: properties and the official schedules.

Named cases follow the State Council notices for 2025 and 2026 as encoded in
chinesecalendar 1.11.0 (checked against the package's data and the notices).
"""

import logging
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from chinese_calendar import constants
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from common import workdays
from common.workdays import (
    DEFAULT_OVERRIDES_PATH,
    Calendar,
    CalendarDataError,
    CalendarUnknownYear,
    add_working_days,
    china_today,
    due_date,
    is_working_day,
    known_years,
    working_days_between,
)

D = date.fromisoformat
dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 20))
counts = st.integers(min_value=0, max_value=15)


def naive_add(start: date, n: int) -> date:
    """Day-by-day oracle straight on chinese_calendar (NotImplementedError past its years)."""
    day = start
    if n == 0:
        while not chinese_calendar.is_workday(day):
            day += timedelta(days=1)
        return day
    while n:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            n -= 1
    return day


def package_days(table, year: int, holiday: constants.Holiday) -> list:
    """Days of one holiday in one year of a chinesecalendar table (values are English names)."""
    return sorted(d for d, name in table.items() if d.year == year and name == holiday.value)


def add_or_none(start: date, n: int):
    try:
        return add_working_days(start, n)
    except CalendarUnknownYear:
        return None


# -- properties -------------------------------------------------------------------


@given(dates, counts)
def test_result_is_a_working_day_after_start(start, n):
    due = add_or_none(start, n)
    assume(due is not None)
    assert is_working_day(due)
    assert due >= start
    if n >= 1:
        assert due > start


@given(dates, counts)
def test_agrees_with_naive_day_by_day_count_including_unknown_years(start, n):
    try:
        expected = naive_add(start, n)
    except NotImplementedError:
        with pytest.raises(CalendarUnknownYear) as info:
            add_working_days(start, n)
        assert info.value.year == 2027
        return
    assert add_working_days(start, n) == expected


@given(dates, dates, counts)
def test_monotonic_in_start(a, b, n):
    a, b = min(a, b), max(a, b)
    da, db = add_or_none(a, n), add_or_none(b, n)
    assume(da is not None and db is not None)
    assert da <= db


@given(dates, counts, counts)
def test_monotonic_in_n(start, n, m):
    n, m = min(n, m), max(n, m)
    dn, dm = add_or_none(start, n), add_or_none(start, m)
    assume(dn is not None and dm is not None)
    assert dn <= dm
    if 1 <= n < m:
        assert dn < dm


@given(dates, counts)
def test_working_days_between_inverts_add(start, n):
    due = add_or_none(start, n)
    assume(due is not None)
    if n >= 1 or is_working_day(start):
        assert working_days_between(start, due) == n
    else:  # n == 0 from a day off: the next working day, one working day later
        assert working_days_between(start, due) == 1
    assert working_days_between(due, start) == -working_days_between(start, due)


@settings(deadline=None)  # spans up to three years day by day: ~0.1 s, more on a busy machine
@given(dates, dates)
def test_add_inverts_working_days_between(start, end):
    assume(end > start)
    n = working_days_between(start, end)
    assert n == sum(
        chinese_calendar.is_workday(start + timedelta(days=i)) for i in range(1, (end - start).days + 1)
    )
    if n >= 1 and is_working_day(end):
        assert add_working_days(start, n) == end


@settings(max_examples=300)
@given(dates)
def test_is_working_day_matches_chinese_calendar(day):
    assert is_working_day(day) == chinese_calendar.is_workday(day)


# -- named cases: Spring Festival 2025 (2025-01-28..02-04; make-up Sun 01-26, Sat 02-08) ---


def test_spring_festival_2025_schedule():
    for i in range(8):
        assert not is_working_day(D("2025-01-28") + timedelta(days=i))
    assert is_working_day(D("2025-01-26"))  # Sunday, make-up working day
    assert is_working_day(D("2025-02-08"))  # Saturday, make-up working day
    assert is_working_day(D("2025-01-27")) and is_working_day(D("2025-02-05"))
    assert not is_working_day(D("2025-02-09"))  # ordinary Sunday


def test_spring_festival_2025_petition_before_holiday_due_after_it():
    # received Mon 01-27: 02-05, 02-06, 02-07, 02-08 (Sat, make-up), 02-10
    assert add_working_days(D("2025-01-27"), 5) == D("2025-02-10")
    # received Sat 01-25: 01-26 (Sun, make-up) is the first working day
    assert add_working_days(D("2025-01-25"), 1) == D("2025-01-26")
    assert add_working_days(D("2025-01-25"), 2) == D("2025-01-27")
    assert add_working_days(D("2025-01-25"), 3) == D("2025-02-05")
    # received during the holiday: n = 0 is the first day back
    assert add_working_days(D("2025-01-30"), 0) == D("2025-02-05")
    assert working_days_between(D("2025-01-27"), D("2025-02-10")) == 5


# -- named cases: National Day 2025 (10-01..10-08; make-up Sun 09-28, Sat 10-11) -----------


def test_national_day_2025_schedule():
    for i in range(8):
        assert not is_working_day(D("2025-10-01") + timedelta(days=i))
    assert is_working_day(D("2025-09-28"))  # Sunday, make-up working day
    assert is_working_day(D("2025-10-11"))  # Saturday, make-up working day
    assert not is_working_day(D("2025-10-12"))


def test_national_day_2025_petition_before_holiday_due_after_it():
    # received Tue 09-30: 10-09, 10-10, 10-11 (Sat, make-up), 10-13, 10-14
    assert add_working_days(D("2025-09-30"), 5) == D("2025-10-14")
    assert add_working_days(D("2025-09-30"), 1) == D("2025-10-09")
    # 10 working days (longest extension): ... 10-14, 10-15, 10-16, 10-17, 10-20, 10-21
    assert add_working_days(D("2025-09-30"), 10) == D("2025-10-21")
    # received Sat 09-27: Sun 09-28 (make-up) counts
    assert add_working_days(D("2025-09-27"), 1) == D("2025-09-28")
    assert add_working_days(D("2025-09-27"), 3) == D("2025-09-30")
    assert add_working_days(D("2025-09-27"), 4) == D("2025-10-09")


# -- named cases: Spring Festival 2026 (02-15..02-23; make-up Sat 02-14, Sat 02-28) --------


def test_spring_festival_2026_as_encoded_in_the_package():
    spring = package_days(constants.holidays, 2026, constants.Holiday.spring_festival)
    assert spring == [D("2026-02-15") + timedelta(days=i) for i in range(9)]
    makeup = package_days(constants.workdays, 2026, constants.Holiday.spring_festival)
    assert makeup == [D("2026-02-14"), D("2026-02-28")]
    for day in spring:
        assert not is_working_day(day)
    assert is_working_day(D("2026-02-14")) and is_working_day(D("2026-02-28"))


def test_spring_festival_2026_petition_before_holiday_due_after_it():
    # received Fri 02-13: 02-14 (Sat, make-up), 02-24, 02-25, 02-26, 02-27
    assert add_working_days(D("2026-02-13"), 5) == D("2026-02-27")
    # received on the make-up Saturday 02-14: 02-24 .. 02-27, 02-28 (Sat, make-up)
    assert add_working_days(D("2026-02-14"), 5) == D("2026-02-28")
    assert add_working_days(D("2026-02-14"), 0) == D("2026-02-14")
    assert working_days_between(D("2026-02-13"), D("2026-02-27")) == 5


# -- named cases: National Day 2026 (10-01..10-07; make-up Sun 09-20, Sat 10-10) -----------


def test_national_day_2026_as_encoded_in_the_package():
    national = package_days(constants.holidays, 2026, constants.Holiday.national_day)
    assert national == [D("2026-10-01") + timedelta(days=i) for i in range(7)]
    makeup = package_days(constants.workdays, 2026, constants.Holiday.national_day)
    assert makeup == [D("2026-09-20"), D("2026-10-10")]
    # Mid-autumn 2026 is its own holiday, Fri 09-25 .. Sun 09-27
    assert not is_working_day(D("2026-09-25"))
    assert is_working_day(D("2026-09-20")) and is_working_day(D("2026-10-10"))


def test_national_day_2026_petition_before_holiday_due_after_it():
    # received Wed 09-30: 10-08, 10-09, 10-10 (Sat, make-up), 10-12, 10-13
    assert add_working_days(D("2026-09-30"), 5) == D("2026-10-13")
    # received Thu 09-24 (before Mid-autumn): 09-28, 09-29, 09-30, 10-08, 10-09
    assert add_working_days(D("2026-09-24"), 5) == D("2026-10-09")


# -- unknown years ------------------------------------------------------------------------


def test_unknown_year_raises_and_logs_an_error(caplog):
    with caplog.at_level(logging.ERROR, logger="common.workdays"), pytest.raises(CalendarUnknownYear) as info:
        is_working_day(D("2031-03-03"))  # a Monday: no guess from weekends
    assert info.value.year == 2031
    assert "2031" in str(info.value)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "common.workdays"]
    assert errors and "2031" in errors[0].getMessage()


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_working_days(D("2031-03-03"), 0),
        lambda: add_working_days(D("2031-03-03"), 5),
        lambda: add_working_days(D("2026-12-30"), 5),  # runs into 2027
        lambda: working_days_between(D("2026-12-01"), D("2027-01-05")),
        lambda: working_days_between(D("2003-12-01"), D("2004-01-05")),
        lambda: due_date(datetime(2031, 3, 3, tzinfo=timezone.utc), 5),
    ],
)
def test_every_entry_point_refuses_unknown_years(call, caplog):
    with caplog.at_level(logging.ERROR, logger="common.workdays"), pytest.raises(CalendarUnknownYear):
        call()
    assert any(r.levelno == logging.ERROR for r in caplog.records)


def test_known_years_follow_the_package_own_date_check():
    years = known_years()
    assert years.start == 2004 and years.stop - 1 >= 2026
    chinese_calendar.is_workday(date(years.start, 6, 1))
    chinese_calendar.is_workday(date(years.stop - 1, 6, 1))
    for outside in (years.start - 1, years.stop):
        with pytest.raises(NotImplementedError):
            chinese_calendar.is_workday(date(outside, 6, 1))


# -- due_date and time zones --------------------------------------------------------------


def test_due_date_counts_from_the_shanghai_date():
    received = datetime(2025, 9, 30, 17, 0, tzinfo=timezone.utc)  # 2025-10-01 01:00 in Shanghai
    assert received.astimezone(ZoneInfo("Asia/Shanghai")).date() == D("2025-10-01")
    # received on a holiday: 10-09, 10-10, 10-11 (Sat, make-up), 10-13, 10-14
    assert due_date(received, 5) == add_working_days(D("2025-10-01"), 5) == D("2025-10-14")
    assert due_date(received, 1) == D("2025-10-09")
    assert due_date(received, 0) == D("2025-10-09")
    # one hour earlier it is still 09-30 in Shanghai
    assert due_date(datetime(2025, 9, 30, 15, 59, tzinfo=timezone.utc), 1) == D("2025-10-09")
    assert due_date(datetime(2025, 9, 30, 15, 59, tzinfo=timezone.utc), 0) == D("2025-09-30")


def test_due_date_rejects_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"):
        due_date(datetime(2025, 9, 30, 17, 0), 5)  # noqa: DTZ001 - the naive datetime is the point


def test_bad_arguments():
    with pytest.raises(ValueError, match="n must be >= 0"):
        add_working_days(D("2025-03-03"), -1)
    with pytest.raises(TypeError):
        is_working_day(datetime(2025, 3, 3, tzinfo=timezone.utc))


def test_china_today_is_the_shanghai_date():
    before = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    today = china_today()
    assert before <= today <= before + timedelta(days=1)


# -- overrides ----------------------------------------------------------------------------

# Fictional data for the tests only; NOT the official 2027 schedule.
FAKE_2027 = """
years:
  2027:
    holidays: [2027-01-01, 2027-02-05, 2027-02-08, 2027-02-09, 2027-02-10, 2027-02-11]
    workdays: [2027-02-06, "2027-02-20"]
"""


def write(tmp_path, text):
    path = tmp_path / "overrides.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_override_year_becomes_known(tmp_path):
    cal = Calendar(write(tmp_path, FAKE_2027))
    assert cal.known_years() == range(2004, 2028)
    assert not cal.is_working_day(D("2027-01-01"))  # Friday, listed holiday
    assert cal.is_working_day(D("2027-01-04"))  # ordinary Monday
    assert cal.is_working_day(D("2027-02-06"))  # Saturday, listed make-up day
    assert not cal.is_working_day(D("2027-02-07"))  # ordinary Sunday
    # 2026-12-30 (Wed): 12-31, 01-04, 01-05, 01-06, 01-07
    assert cal.add_working_days(D("2026-12-30"), 5) == D("2027-01-07")
    # 02-04 (Thu): 02-06 (Sat, make-up), 02-12, 02-15, 02-16, 02-17
    assert cal.add_working_days(D("2027-02-04"), 5) == D("2027-02-17")
    assert cal.working_days_between(D("2027-02-04"), D("2027-02-17")) == 5
    with pytest.raises(CalendarUnknownYear):
        cal.is_working_day(D("2028-01-03"))


def test_override_alone_without_the_package(tmp_path):
    cal = Calendar(write(tmp_path, FAKE_2027), use_package=False)
    assert cal.known_years() == range(2027, 2028)
    with pytest.raises(CalendarUnknownYear):
        cal.is_working_day(D("2026-06-01"))


def test_package_wins_over_an_override_for_a_year_it_knows(tmp_path, caplog):
    path = write(tmp_path, "years:\n  2025:\n    holidays: [2025-03-03]\n    workdays: []\n")
    cal = Calendar(path)
    with caplog.at_level(logging.WARNING, logger="common.workdays"):
        assert cal.is_working_day(D("2025-03-03"))
    assert any("2025" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_overrides_are_read_lazily_once(tmp_path):
    path = tmp_path / "later.yml"
    cal = Calendar(path)  # no I/O yet: the file does not even exist
    path.write_text(FAKE_2027, encoding="utf-8")
    assert cal.is_working_day(D("2027-02-06"))
    path.write_text("years: {}\n", encoding="utf-8")
    assert cal.is_working_day(D("2027-02-06"))  # still the data read the first time


@pytest.mark.parametrize(
    "text",
    [
        "years:\n  2027:\n    workdays: [2027-02-08]\n",  # a Monday is no make-up day
        "years:\n  2027:\n    holidays: [2028-01-03]\n",  # wrong year
        "years:\n  2027:\n    holidays: [2027-02-06]\n    workdays: [2027-02-06]\n",
        "years:\n  2027:\n    holidays: [not-a-date]\n",
        "years:\n  2028:\n    holidays: [2028-01-03]\n",  # gap: 2027 missing
        "years:\n  2027:\n    holiday: [2027-01-01]\n",  # misspelt key
        "year: {}\n",
    ],
)
def test_malformed_overrides_fail_loudly(tmp_path, text):
    cal = Calendar(write(tmp_path, text))
    with pytest.raises(CalendarDataError):
        cal.is_working_day(D("2025-03-03"))


def test_missing_override_file_fails_loudly(tmp_path):
    with pytest.raises(CalendarDataError):
        Calendar(tmp_path / "absent.yml").known_years()


def test_shipped_override_file_is_valid():
    cal = Calendar(DEFAULT_OVERRIDES_PATH)
    assert range(2004, 2027) == range(cal.known_years().start, 2027)
    assert cal.known_years() == workdays.known_years()
