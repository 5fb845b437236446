"""Hub rules without sockets: service hours on the holiday calendar, the choice of a seat, rate limits,
file types, skills."""
from __future__ import annotations

from datetime import datetime

import pytest

from api.hub.routing import Seat, choose_seat, expected_wait_seconds, hours_label, service_open
from api.hub.uploads import sniff
from api.throttle import Rate, wait_text
from common.hours import parse_hours
from common.workdays import CHINA_TZ
from knowledge.loader import load_topics
from knowledge.skills import GENERAL, load_skills, skill_of


def china(text: str) -> datetime:
    """A Shanghai wall-clock time as an aware instant."""
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


HOURS = parse_hours("09:00-17:00")


@pytest.mark.parametrize("when, workdays_only, is_open", [
    ("2025-09-30 10:00", True, True),     # an ordinary Tuesday
    ("2025-09-30 08:59", True, False),    # before opening
    ("2025-09-30 17:00", True, False),    # closing time is closed
    ("2025-10-01 10:00", True, False),    # National Day holiday
    ("2025-09-28 10:00", True, True),     # a Sunday made a working day (调休)
    ("2025-10-04 10:00", False, True),    # every day, when the bureau serves on holidays too
])
def test_service_hours_follow_the_holiday_calendar(when, workdays_only, is_open):
    assert service_open(china(when), HOURS, workdays_only) is is_open


def test_round_the_clock_and_bad_formats():
    always = parse_hours("00:00-24:00")
    assert service_open(china("2025-10-01 03:00"), always, False)
    assert hours_label(always, False) == "每天 00:00–24:00" and hours_label(HOURS, True) == "工作日 09:00–17:00"
    for bad in ("9-17", "17:00-09:00", "25:00-26:00", "09:00-24:30", ""):
        with pytest.raises(ValueError):  # noqa: PT011
            parse_hours(bad)


def seat(staff_id, role="staff", status="online", skills=(), load=0, idle=0.0):
    return Seat(staff_id, role, status, frozenset(skills), load, idle)


def test_the_seat_with_the_fewest_conversations_of_the_right_tier_gets_it():
    seats = [seat(1, load=2), seat(2, load=1), seat(3, role="expert"), seat(4, status="busy"), seat(5, status="away")]
    assert choose_seat("staff", GENERAL, seats, cap=5).staff_id == 2
    assert choose_seat("expert", GENERAL, seats, cap=5).staff_id == 3
    assert choose_seat("staff", GENERAL, [seat(1, load=5)], cap=5) is None  # the cap holds
    assert choose_seat("staff", GENERAL, [seat(1, load=1, idle=50), seat(2, load=1, idle=10)], 5).staff_id == 2


def test_skills_come_first_but_nobody_is_left_waiting_for_a_missing_skill():
    seats = [seat(1, skills={"发票"}, load=3), seat(2, skills={"增值税"}, load=0)]
    assert choose_seat("staff", "发票", seats, cap=5).staff_id == 1  # the skilled seat, though busier
    assert choose_seat("staff", "社保费", seats, cap=5).staff_id == 2  # nobody has it: the freest seat
    generalist = [seat(1, skills={"发票"}, load=0), seat(2, load=1)]
    assert choose_seat("staff", "增值税", generalist, cap=5).staff_id == 2  # no skills listed = all skills


def test_every_topic_has_exactly_one_skill():
    topics = set(load_topics())
    skills = load_skills()
    assert topics - {"imported-other"} <= set(skills) <= topics
    assert skill_of("invoice-red-letter") == "发票" and skill_of(None) == GENERAL and skill_of("nope") == GENERAL


def test_expected_wait_is_shared_by_the_seats_present():
    assert expected_wait_seconds(None, 2, 100) is None
    assert expected_wait_seconds(3, 2, 100) == 200


def test_no_wait_is_made_up_without_measured_handling_times_or_anyone_present():
    assert expected_wait_seconds(1, 1, None) is None  # nothing measured yet: no assumed 3 minutes
    assert expected_wait_seconds(1, 0, 100) is None  # nobody present: nobody can say when


@pytest.mark.parametrize("text, rate", [("5/15m", Rate(5, 900)), ("30/1m", Rate(30, 60)), ("3/d", Rate(3, 86400)),
                                        (" 20 / 2h ", Rate(20, 7200)), ("10/45s", Rate(10, 45))])
def test_rates_are_written_count_per_window(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["5", "0/1m", "5/0m", "5/15x", "-1/1m", "five/1m"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ValueError):  # noqa: PT011
        Rate.parse(text)


def test_waits_are_told_in_whole_units_rounded_up():
    assert [wait_text(s) for s in (0, 45, 61, 1800, 3601)] == ["1秒", "45秒", "2分钟", "30分钟", "2小时"]


@pytest.mark.parametrize("head, kind", [
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"), (b"\xff\xd8\xff\xe0", "image/jpeg"), (b"GIF89a..", "image/gif"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"), (b"%PDF-1.7", "application/pdf"),
    (b"<svg onload=alert(1)>", None), (b"MZ\x90\x00", None), (b"PK\x03\x04", None),
])
def test_file_types_are_recognised_from_their_bytes(head, kind):
    assert sniff(head) == kind


def test_an_envelope_joins_the_text_rasa_sent_it_with():
    from api.core.rasa import merge_envelopes

    raw = [{"text": "正在为您转接人工坐席", "buttons": [{"title": "好", "payload": "/affirm"}]},
           {"custom": {"kind": "handoff", "tier": "staff"}},
           {"text": "还有别的问题吗？"}, {"custom": {"kind": "smalltalk"}}, {"custom": {"kind": "extra"}}, "junk"]
    merged = merge_envelopes(raw)
    assert [(m.text, (m.custom or {}).get("kind")) for m in merged] == [
        ("正在为您转接人工坐席", "handoff"), ("还有别的问题吗？", "smalltalk"), ("", "extra")]
    assert merged[0].buttons == [{"title": "好", "payload": "/affirm"}]


def test_the_nlu_stamp_is_taken_out_of_the_envelopes_and_kept_for_the_stored_turn():
    from api.core.rasa import merge_envelopes
    from api.hub.bot import understood

    nlu = {"intent": "ask_tax_question", "confidence": 0.93}
    merged = merge_envelopes([{"text": "依据：……"}, {"custom": {"kind": "answer", "topic": "t", "nlu": nlu}},
                              {"text": "还有别的问题吗？"}, {"custom": {"kind": "smalltalk", "nlu": nlu}}])
    assert understood(merged) == ("ask_tax_question", 0.93)
    assert [m.custom for m in merged] == [{"kind": "answer", "topic": "t"}, {"kind": "smalltalk"}]
    assert understood(merge_envelopes([{"text": "好的"}, {"custom": {"kind": "smalltalk"}}])) == (None, None)
    assert understood(merge_envelopes([{"custom": {"kind": "answer", "nlu": "garbage"}}])) == (None, None)
