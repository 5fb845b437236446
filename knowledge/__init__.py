"""The knowledge package: cited tax-knowledge entries, their loader, index and search.

Public surface:
- `load_knowledge_base()` builds a ready `KnowledgeBase` from `knowledge/content/` (and
  `knowledge/imported/`), validating every entry and failing loudly on a bad one.
- `KnowledgeBase.decide(text)` picks an answer, a clarification or nothing for a question.
- `KnowledgeBase.render(entry, today)` formats an answer with its sources and period.
"""
from knowledge.base import KnowledgeBase, load_knowledge_base
from knowledge.errors import KnowledgeError, KnowledgeValidationError
from knowledge.models import Entry, Source, Topic
from knowledge.search import Decision, Thresholds

__all__ = [
    "Decision",
    "Entry",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeValidationError",
    "Source",
    "Thresholds",
    "Topic",
    "load_knowledge_base",
]
