"""Every intent the bot knows and every reply kind it sends has a Chinese name for the pages."""
import re
from pathlib import Path

import yaml

from common.botlabels import INTENT_LABELS, REPLY_KIND_LABELS

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


def test_every_reply_kind_the_actions_and_the_hub_send_has_a_chinese_name():
    # where envelopes are built: the actions, the knowledge base's answer card, the hub's reminder delivery
    senders = [*(ROOT / "actions").rglob("*.py"), ROOT / "knowledge" / "base.py",
               ROOT / "api" / "reminder" / "delivery.py"]
    sent = set()
    for path in senders:
        sent |= set(re.findall(r"""["']kind["']\s*:\s*["']([a-z_]+)["']""", path.read_text(encoding="utf-8")))
    assert sent >= {"answer", "clarify", "handoff", "petition_created", "reminder"}
    assert sorted(sent - set(REPLY_KIND_LABELS)) == []
    assert all(CJK.search(label) for label in REPLY_KIND_LABELS.values())
