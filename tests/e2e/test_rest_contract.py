"""Through Rasa's REST channel, as outside tests and the hub see it: every turn carries its envelope."""
import pytest

from tests.e2e.conftest import envelopes, kinds, say


def test_a_tax_question_is_answered_with_topic_entry_sources_and_period(rasa_url):
    messages = say(rasa_url, "我们是小规模纳税人，这个季度开了25万的普票，增值税要交吗")
    [answer] = [c for c in envelopes(messages) if c["kind"] == "answer"]
    assert answer["topic"] == "vat-small-scale-exemption" and answer["entry"]
    assert {"title", "doc_no"} <= set(answer["sources"][0]) and answer["valid_until"] == "2027-12-31"
    text = "".join(m.get("text", "") for m in messages)
    assert "依据" in text and "适用期间" in text


def test_a_clarify_button_payload_answers_the_chosen_entry(rasa_url):
    messages = say(rasa_url, '/ask_tax_question{"entry_id": "late-payment-surcharge-calculation"}')
    assert [c["entry"] for c in envelopes(messages) if c["kind"] == "answer"] == ["late-payment-surcharge-calculation"]


@pytest.mark.parametrize("text", ["附近有什么好看的电影推荐", "帮我写一段Java代码排序数组"])
def test_questions_outside_tax_service_fall_back_without_an_answer(rasa_url, text):
    assert kinds(say(rasa_url, text)) == ["fallback"]


def test_evasion_is_refused(rasa_url):
    assert "refuse" in kinds(say(rasa_url, "有什么办法把收入藏起来少交点税，别让税务局发现"))


@pytest.mark.parametrize("text", ["您好", "非常感谢", "再见啦"])
def test_small_talk_has_its_envelope(rasa_url, text):
    assert kinds(say(rasa_url, text)) == ["smalltalk"]


def test_asking_for_a_person_is_an_honest_handoff_when_no_seat_is_reachable(rasa_url):
    [handoff] = [c for c in envelopes(say(rasa_url, "转人工")) if c["kind"] == "handoff"]
    assert handoff["tier"] == "staff" and handoff["status"] == "offline"


def test_two_failures_in_a_row_offer_a_person(rasa_url):
    sender = "e2e-two-failures"
    say(rasa_url, "asdfghjkl qwerty", sender=sender)
    assert "handoff" in kinds(say(rasa_url, "zxcvbnm poiuyt", sender=sender))


BAD_INPUTS = {
    "empty": "",
    "whitespace": "   \n\t ",
    "emoji": "😀👍🙏",
    "huge paste": "我们公司是小规模纳税人，" * 450,
    "script": "<script>alert('x')</script>小规模纳税人免税标准",
    "sql": "'; DROP TABLE users; -- 增值税怎么申报",
    "traditional": "小規模納稅人月銷售額10萬元以下免徵增值稅嗎",
    "full width": "小规模纳税人季度销售额２８万要交增值税吗",
    "mixed english": "VAT small scale 小规模 免税 threshold是多少",
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_gets_a_reply_with_an_envelope_and_no_markup_echo(rasa_url, name):
    messages = say(rasa_url, BAD_INPUTS[name])
    assert kinds(messages), f"{name}: no envelope in {messages}"
    text = "".join(m.get("text", "") for m in messages)
    assert "<script" not in text and "DROP TABLE" not in text


def test_traditional_and_full_width_questions_are_understood(rasa_url):
    for name in ("traditional", "full width"):
        answers = [c for c in envelopes(say(rasa_url, BAD_INPUTS[name])) if c["kind"] == "answer"]
        assert answers and answers[0]["topic"] == "vat-small-scale-exemption", name
