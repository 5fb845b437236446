"""The custom NLU components as Rasa runs them: normalised text in, rule-based entities out."""
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import TaxEntityExtractor, TextNormalizer
from common.identifiers import make_uscc


def run_components(text):
    message = Message(data={TEXT: text})
    TextNormalizer().process([message])
    TaxEntityExtractor().process([message])
    return message


def test_traditional_full_width_and_markup_are_normalised_before_tokenising():
    message = run_components("<b>我們是小規模納稅人，季度銷售額２８萬</b>")
    assert message.get(TEXT) == "我们是小规模纳税人,季度销售额28万"


def test_entities_are_added_with_the_extractor_name():
    code = make_uscc(7)
    message = run_components(f"我司代码{code}，电话13912345678，被评了B级")
    found = {(e["entity"], e["value"]) for e in message.get(ENTITIES)}
    assert {("uscc", code), ("phone", "13912345678"), ("credit_level", "B")} <= found
    assert all(e["extractor"] == "TaxEntityExtractor" for e in message.get(ENTITIES))


def test_intent_payloads_are_left_alone():
    message = run_components('/ask_tax_question{"entry_id": "x"}')
    assert message.get(TEXT).startswith("/ask_tax_question") and not message.get(ENTITIES)
