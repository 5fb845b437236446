"""The one parser of hours settings (common.hours): service hours, quiet hours past midnight, and every bad value
refused with its reason rather than read as "always" or "never"."""
from __future__ import annotations

from datetime import datetime, time, timezone

import pytest

from common.hours import parse_hours, parse_optional_hours
from common.workdays import CHINA_TZ


def china(clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-12-07 {clock}").replace(tzinfo=CHINA_TZ)


def test_service_hours_are_half_open_in_shanghai_time():
    hours = parse_hours(" 09:00 - 17:30 ")
    assert (hours.start, hours.end) == (time(9), time(17, 30))
    assert not hours.contains(china("08:59")) and hours.contains(china("09:00")) and hours.contains(china("17:29"))
    assert not hours.contains(china("17:30"))
    assert hours.contains(datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc))  # 09:00 in Shanghai
    assert hours.label() == "09:00–17:30"


def test_round_the_clock_ends_at_24():
    always = parse_hours("00:00-24:00")
    assert always.end is None and always.label() == "00:00–24:00"
    assert all(always.contains(china(c)) for c in ("00:00", "12:00", "23:59"))


def test_quiet_hours_may_pass_midnight_and_may_be_empty():
    quiet = parse_hours("21:00-08:00", overnight=True)
    assert quiet.contains(china("21:00")) and quiet.contains(china("02:00")) and quiet.contains(china("07:59"))
    assert not quiet.contains(china("08:00")) and not quiet.contains(china("20:59"))
    assert parse_optional_hours("", overnight=True) is None and parse_optional_hours("  ") is None
    assert parse_optional_hours("22:00-06:00", overnight=True).contains(china("23:00"))


@pytest.mark.parametrize("bad", ["", "9-17", "09:00", "09:00-", "0900-1700", "09:00~17:00", "25:00-26:00",
                                 "09:60-17:00", "09:00-24:30", "09:00-17:00-18:00", "九点-五点", "09:00-09:00"])
def test_a_bad_value_is_refused(bad):
    with pytest.raises(ValueError, match=r"HH:MM-HH:MM|same time"):
        parse_hours(bad, overnight=True)


def test_service_hours_must_end_after_they_start_unless_overnight_is_allowed():
    with pytest.raises(ValueError, match="end after it starts"):
        parse_hours("17:00-09:00")
    assert parse_hours("17:00-09:00", overnight=True).contains(china("03:00"))


def test_an_empty_value_is_no_hours_only_where_that_is_allowed():
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        parse_hours("   ")
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        parse_optional_hours("21:00", overnight=True)
