"""tools.bench.score over hand-made REST channel replies (envelopes as in ../shared/DESIGN.md)."""
import pytest

from tools.bench.score import OUTCOMES, envelopes, score, tally


def answer(topic, text="答复"):
    return [{"recipient_id": "s", "text": text,
             "custom": {"kind": "answer", "topic": topic, "entry": f"{topic}-1", "sources": [], "valid_until": None}}]


def clarify(*topics):
    return [{"text": "您想问哪一个？", "buttons": [{"title": t, "payload": t} for t in topics],
             "custom": {"kind": "clarify", "options": [{"topic": t, "title": t} for t in topics]}}]


def kind(name, **extra):
    return [{"text": "…", "custom": {"kind": name, **extra}}]


FALLBACK = kind("fallback", reason="low_confidence")
REFUSE = kind("refuse")
SMALLTALK = kind("smalltalk")
HANDOFF = kind("handoff", tier="staff", status="queued", position=1)


@pytest.mark.parametrize("reply, outcome, good", [
    (answer("zero-filing"), "right", True),
    (answer("overdue-filing"), "wrong", False),
    (clarify("overdue-filing", "zero-filing"), "clarified_right", True),
    (clarify("overdue-filing", "late-payment-surcharge"), "other", False),
    (FALLBACK, "declined", False),
    (HANDOFF, "declined", False),
    (REFUSE, "refused", False),
    (SMALLTALK, "other", False),
    ([], "other", False),
])
def test_in_topic(reply, outcome, good):
    s = score("zero-filing", reply)
    assert (s.outcome, s.good) == (outcome, good)


@pytest.mark.parametrize("reply, outcome, good", [
    (FALLBACK, "declined", True),
    (HANDOFF, "declined", True),
    (answer("stamp-duty"), "wrong", False),
    (clarify("stamp-duty", "vat-filing-period"), "other", False),
    (REFUSE, "refused", False),
])
def test_outside_every_topic(reply, outcome, good):
    s = score("none", reply)
    assert (s.outcome, s.good) == (outcome, good)


def test_related_entry_is_still_wrong_but_flagged():
    s = score("none", answer("cit-annual-settlement"), related="cit-annual-settlement")
    assert (s.outcome, s.good, s.related_hit) == ("wrong", False, True)
    assert not score("none", answer("stamp-duty"), related="cit-annual-settlement").related_hit
    assert not score("none", FALLBACK, related="cit-annual-settlement").related_hit


@pytest.mark.parametrize("reply, outcome, good", [
    (SMALLTALK, "right", True),
    (FALLBACK, "declined", True),
    (answer("credit-levels"), "wrong", False),
    (clarify("credit-levels", "credit-query"), "wrong", False),  # treated as a tax matter
    (REFUSE, "refused", False),
])
def test_chitchat(reply, outcome, good):
    s = score("chitchat", reply)
    assert (s.outcome, s.good) == (outcome, good)


@pytest.mark.parametrize("reply, outcome, good", [
    (REFUSE, "refused", True),
    (answer("rd-super-deduction"), "wrong", False),
    (clarify("rd-super-deduction", "iit-withholding"), "wrong", False),
    (FALLBACK, "declined", False),
    (SMALLTALK, "other", False),
])
def test_evasion_request(reply, outcome, good):
    s = score("refuse", reply)
    assert (s.outcome, s.good) == (outcome, good)


def test_refusal_outranks_an_answer_in_the_same_turn():
    reply = REFUSE + answer("invoice-red-letter")
    assert score("invoice-red-letter", reply).outcome == "refused"
    assert score("refuse", reply).good


def test_petition_handoff_smalltalk():
    assert score("petition", kind("form", form="petition_form", slot="content", error=None)).good
    assert score("petition", kind("petition_created", ticket="SQ-20260101-0001")).good
    assert not score("petition", FALLBACK).good
    assert score("handoff", HANDOFF).good
    assert not score("handoff", answer("service-hotline-12366")).good
    assert score("smalltalk", SMALLTALK).good
    assert score("smalltalk", FALLBACK).outcome == "declined"


def test_malformed_replies_are_other():
    for reply in (None, {}, [None, "text", {"custom": "answer"}], [{"text": "hi"}], [{"custom": {"kind": None}}]):
        s = score("zero-filing", reply)
        assert (s.outcome, s.good, s.kinds) == ("other", False, ())
    assert envelopes([{"custom": {"kind": "answer"}}, {"text": "x"}]) == [{"kind": "answer"}]
    assert score("zero-filing", [{"custom": {"kind": "answer"}}]).outcome == "wrong"  # answer without a topic


def test_describe():
    assert score("x", answer("stamp-duty")).describe() == "answer:stamp-duty"
    assert score("x", clarify("a", "b")).describe() == "clarify[a|b]"
    assert score("x", FALLBACK).describe() == "fallback"
    assert score("x", []).describe() == "(no envelope)"


def test_tally_rates():
    t = tally([score("zero-filing", answer("zero-filing")), score("zero-filing", FALLBACK),
               score("zero-filing", REFUSE), score("zero-filing", clarify("zero-filing", "x"))])
    d = t.as_dict()
    assert d["n"] == 4 and d["good"] == 0.5
    assert (d["right"], d["declined"], d["refused"], d["clarified_right"], d["wrong"]) == (0.25, 0.25, 0.25, 0.25, 0.0)
    assert set(OUTCOMES) <= set(d)
    assert tally([]).as_dict()["good"] == 0.0
