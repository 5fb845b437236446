"""The reply envelope of every kind has the shape of the contract (DESIGN.md "Reply envelope"), and it is built in
one place: common/envelopes.py, used by the actions, the knowledge base, the hub and the demo data alike."""
import json
import re
from datetime import date
from pathlib import Path

import pytest

from common import envelopes
from common.botlabels import REPLY_KIND_LABELS

ROOT = Path(__file__).resolve().parents[2]
DESIGN = ROOT.parent / "shared" / "DESIGN.md"

# The table of DESIGN.md (kind → its extra fields), and the kinds this project added to it.
CONTRACT = {
    "answer": {"topic", "entry", "sources", "valid_until"},
    "clarify": {"options"},
    "fallback": {"reason"},
    "refuse": set(),
    "smalltalk": set(),
    "handoff": {"tier", "status", "position"},
    "form": {"form", "slot", "error"},
    "petition_created": {"ticket", "category", "received_at", "due_date"},
    "petition_status": {"ticket", "status", "due_date"},
    "reminder": {"reminder_id", "type", "topic"},
    "credit": {"level", "year", "deductions"},
    # the project's own kinds
    "form_cancelled": {"form"},
    "reminders": {"count"},
    "reminder_answer": {"reminder_id", "answer", "repairs"},
    "petition_notice": {"notice_id", "notice", "ticket", "repair_id"},
}

SOURCES = [{"title": "财政部 税务总局公告2023年第19号", "doc_no": "2023年第19号"}]
BUILT = {
    "answer": lambda: envelopes.answer(topic="vat-small-scale-exemption", entry="vat-exemption-threshold",
                                       title="小规模纳税人免征增值税标准", sources=SOURCES, valid_from=date(2023, 1, 1),
                                       valid_until=date(2027, 12, 31), current=True, review=False),
    "clarify": lambda: envelopes.clarify([{"topic": "a", "title": "甲"}, {"topic": "b", "title": "乙"}]),
    "fallback": lambda: envelopes.fallback("no_answer"),
    "refuse": envelopes.refuse,
    "smalltalk": envelopes.smalltalk,
    "handoff": lambda: envelopes.handoff("staff", "queued", 2),
    "form": lambda: envelopes.form("petition_form", "uscc", "统一社会信用代码校验位不对"),
    "form_cancelled": lambda: envelopes.form_cancelled("petition_form"),
    "petition_created": lambda: envelopes.petition_created("SQ-20261207-0001", "纳税服务类",
                                                           "2026-12-07T09:00:00+08:00", date(2026, 12, 14)),
    "petition_status": lambda: envelopes.petition_status("SQ-20261207-0001", "in_progress", "2026-12-14"),
    "reminder": lambda: envelopes.reminder(7, "policy", "vat-small-scale-exemption", rule="vat-small-scale-exemption",
                                           title="您可能符合小规模纳税人免征增值税", reasons=["季度销售额28万元"]),
    "reminders": lambda: envelopes.reminders(0),
    "reminder_answer": lambda: envelopes.reminder_answer(7, "claimed", [{"id": 3}]),
    "credit": lambda: envelopes.credit("B", 2025, 85, [{"code": "overdue_filing", "points": 5}]),
    "petition_notice": lambda: envelopes.petition_notice(11, "handed_over", "SQ-20261207-0001", None),
}


def test_every_kind_of_the_contract_has_a_builder_and_a_chinese_name():
    assert set(envelopes.KINDS) == set(CONTRACT) == set(BUILT)
    assert set(REPLY_KIND_LABELS) == set(envelopes.KINDS)


@pytest.mark.parametrize("kind", sorted(CONTRACT))
def test_the_envelope_of_each_kind_has_the_shape_of_the_contract(kind):
    envelope = BUILT[kind]()
    assert envelope["kind"] == kind
    assert CONTRACT[kind] <= set(envelope), f"{kind} lacks {CONTRACT[kind] - set(envelope)}"
    required, optional = envelopes.FIELDS[kind]
    assert set(required) <= set(envelope) <= {"kind", *required, *optional}
    assert json.loads(json.dumps(envelope, ensure_ascii=False)) == envelope  # plain JSON: what the widget reads


def test_dates_travel_as_iso_strings():
    answer = BUILT["answer"]()
    assert (answer["valid_from"], answer["valid_until"]) == ("2023-01-01", "2027-12-31")
    assert BUILT["petition_created"]()["due_date"] == "2026-12-14"
    assert envelopes.answer(topic="t", entry="e", title="标题", sources=[], valid_from=None, valid_until=None,
                            current=True, review=True)["valid_until"] is None


def test_a_handoff_says_only_a_tier_and_status_the_widget_knows_and_carries_the_honest_wait_it_was_given():
    with pytest.raises(ValueError, match="tier 'manager'"):
        envelopes.handoff("manager", "queued")
    with pytest.raises(ValueError, match="status 'maybe'"):
        envelopes.handoff("staff", "maybe")
    queued = envelopes.handoff("expert", "queued", 3, wait={"expected_wait_seconds": 240, "leave_message": True,
                                                            "status": "assigned", "notice": "正在为您转接"})
    assert queued == {"kind": "handoff", "tier": "expert", "status": "queued", "position": 3,
                      "expected_wait_seconds": 240, "leave_message": True}
    assert envelopes.handoff("staff", "offline") == {"kind": "handoff", "tier": "staff", "status": "offline",
                                                     "position": None}


def test_optional_fields_appear_only_when_they_apply():
    assert "not_ready" not in BUILT["reminder_answer"]()
    assert envelopes.reminder_answer(7, None, not_ready="correct_first")["not_ready"] == "correct_first"
    assert "section" not in BUILT["answer"]()
    filing = envelopes.answer(topic="t", entry="e", title="标题", sources=[], valid_from=None, valid_until=None,
                              current=True, review=False, section="filing_points")
    assert filing["section"] == "filing_points"


def test_the_contract_copied_here_is_the_one_of_design_md():
    if not DESIGN.exists():
        pytest.skip("../shared/DESIGN.md is not beside this checkout")
    text = DESIGN.read_text(encoding="utf-8").split("### Reply envelope", 1)[1].split("\n### ", 1)[0]
    table = {}
    for row in re.findall(r"^\| `([a-z_]+)` \| ([^|]*) \|", text, flags=re.M):
        table[row[0]] = set(re.findall(r"`([a-z_]+)`", row[1]))
    assert table and all(CONTRACT[kind] == fields for kind, fields in table.items())


def test_no_envelope_is_built_by_hand_anywhere_else():
    kinds = "|".join(envelopes.KINDS)
    literal = re.compile(rf"""["']kind["']\s*:\s*["']({kinds})["']""")
    builders = [p for folder in ("actions", "api", "bot", "common", "knowledge", "tools")
                for p in (ROOT / folder).rglob("*.py")]
    by_hand = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in builders if p != ROOT / "common" / "envelopes.py"
               for m in literal.finditer(p.read_text(encoding="utf-8"))]
    assert by_hand == []
