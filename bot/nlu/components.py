"""Custom Rasa NLU components: text normalisation before jieba, and rule-based tax entities."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.entity_rules import EntityExtractor
from common.textnorm import normalize_text

CHINA = ZoneInfo("Asia/Shanghai")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class TextNormalizer(GraphComponent):
    """Rewrites the message text so training and inference see the same simplified, half-width text."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TextNormalizer:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._normalize(message)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalize(message)
        return messages

    @staticmethod
    def _normalize(message: Message) -> None:
        text = message.get(TEXT)
        if isinstance(text, str) and text and not text.startswith("/"):
            message.set(TEXT, normalize_text(text) or text.strip())


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class TaxEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds USCC, phone, amount, date/period, tax type and credit level entities found by rules."""

    def __init__(self, extractor: EntityExtractor | None = None):
        self._extractor = extractor or EntityExtractor()

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TaxEntityExtractor:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        today = dt.datetime.now(CHINA).date()
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text or text.startswith("/"):
                continue
            found = [
                {"entity": e["entity"], "value": e["value"], "start": e["start"], "end": e["end"],
                 "confidence": 1.0, "extractor": self.__class__.__name__}
                for e in self._extractor.extract(text, today)
            ]
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
