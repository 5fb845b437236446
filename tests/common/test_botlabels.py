"""Every intent the bot knows and every reply kind it sends has a Chinese name for the pages."""
import re
from pathlib import Path

import yaml

from common.botlabels import INTENT_LABELS, REPLY_KIND_LABELS
from common.envelopes import KINDS

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _domain_intents() -> set[str]:
    intents = set()
    for path in (ROOT / "bot" / "domain").glob("*.yml"):
        for intent in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("intents", []):
            intents.add(intent if isinstance(intent, str) else next(iter(intent)))
    return intents


def test_every_domain_intent_has_a_chinese_name_and_no_name_is_stale():
    intents = _domain_intents()
    assert len(intents) > 10
    assert sorted(intents - set(INTENT_LABELS)) == [], "add these intents to common/botlabels.py INTENT_LABELS"
    assert sorted(set(INTENT_LABELS) - intents) == [], "these labelled intents are no longer in bot/domain"
    assert all(CJK.search(label) for label in INTENT_LABELS.values())


def test_every_reply_kind_has_a_chinese_name():
    # every envelope is built by common/envelopes.py (tests/common/test_envelopes.py keeps it the only builder)
    assert sorted(set(KINDS) - set(REPLY_KIND_LABELS)) == []
    assert sorted(set(REPLY_KIND_LABELS) - set(KINDS)) == [], "these labelled kinds are no longer sent"
    assert all(CJK.search(label) for label in REPLY_KIND_LABELS.values())
