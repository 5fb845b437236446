"""The bounded tracker stores (bot/tracker_store.py): a 200-turn conversation with a form in the middle and one
running at the end reloads only its last turns, and loses neither the form, nor a slot, nor what the dialogue
policies look at."""
from __future__ import annotations

import asyncio
import json
import threading
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
import redis
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME, REQUESTED_SLOT
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import (
    COMPACT_AFTER_TURNS,
    KEEP_TURNS,
    CompactInMemoryTrackerStore,
    CompactRedisTrackerStore,
    compact_events,
)
from tests.conftest import TEST_REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
FORM = "petition_form"
FORM_SLOTS = ["content", "category", "taxpayer_name", "uscc", "contact_phone", "confirm"]
MAX_HISTORY = 3  # config.yml: MemoizationPolicy


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


class Clock:
    """Event timestamps one second apart, as a live conversation has them."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


def user(clock: Clock, text: str, intent: str) -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 0.9}, timestamp=clock(),
                       parse_data={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [],
                                   "metadata": {"channel": "widget"}})


def question_turn(clock: Clock, n: int) -> list:
    """What Rasa stores for a tax question: the user message, the answering action, its replies, a slot."""
    return [user(clock, f"第{n}个问题：小规模纳税人季度销售额多少免征增值税", "ask_tax_question"),
            ActionExecuted("action_answer_question", timestamp=clock()),
            BotUttered(f"答复{n}", {"custom": {"kind": "answer"}}, timestamp=clock()),
            SlotSet("fallback_count", float(n % 2), timestamp=clock()),
            ActionExecuted(ACTION_LISTEN_NAME, timestamp=clock())]


def form_turns(clock: Clock, label: str, steps: int) -> list[list]:
    """The petition form opened, then ``steps`` of its slots answered (all six: it is submitted and ends)."""
    turns = [[user(clock, f"我要投诉{label}", "file_petition"),
              ActionExecuted("action_petition_start", timestamp=clock()),
              BotUttered("好的，我来帮您登记诉求", timestamp=clock()),
              ActionExecuted(FORM, timestamp=clock()), ActiveLoop(FORM, timestamp=clock()),
              SlotSet(REQUESTED_SLOT, FORM_SLOTS[0], timestamp=clock()),
              ActionExecuted(ACTION_LISTEN_NAME, timestamp=clock())]]
    for index, slot in enumerate(FORM_SLOTS[:steps]):
        events = [user(clock, f"{label}的{slot}", "inform"), ActionExecuted(FORM, timestamp=clock()),
                  SlotSet(slot, f"{label}-{slot}", timestamp=clock())]
        if index + 1 < len(FORM_SLOTS):
            events += [SlotSet(REQUESTED_SLOT, FORM_SLOTS[index + 1], timestamp=clock()),
                       BotUttered(f"请提供{FORM_SLOTS[index + 1]}", timestamp=clock())]
        else:
            events += [SlotSet(REQUESTED_SLOT, None, timestamp=clock()), ActiveLoop(None, timestamp=clock()),
                       ActionExecuted("action_petition_submit", timestamp=clock()),
                       BotUttered("已登记", timestamp=clock()), SlotSet("petition_pending", True, timestamp=clock())]
        events.append(ActionExecuted(ACTION_LISTEN_NAME, timestamp=clock()))
        turns.append(events)
    return turns


def conversation() -> list[list]:
    """Turns of a 216-message conversation: 100 questions, a whole form, 100 questions, a form half answered."""
    clock = Clock()
    turns = [question_turn(clock, n) for n in range(100)]
    turns += form_turns(clock, "排队太久", steps=6)
    turns += [question_turn(clock, n) for n in range(100, 200)]
    turns += form_turns(clock, "态度差", steps=3)
    return turns


def replayed(sender: str, events: list, domain: Domain) -> DialogueStateTracker:
    """A tracker recreated from stored events, as a tracker store's retrieve does (a form's happy path
    replays without its intermediate user messages: Rasa's own behaviour)."""
    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.recreate_from_dialogue(Dialogue(sender, list(events)))
    return tracker


def session_start(timestamp: float) -> list:
    return [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=timestamp), SessionStarted(timestamp=timestamp),
            ActionExecuted(ACTION_LISTEN_NAME, timestamp=timestamp)]


@pytest.fixture
def redis_store(domain):
    if not TEST_REDIS_URL:
        pytest.skip("TEST_REDIS_URL is empty: no Redis server for this run")
    url = urlparse(TEST_REDIS_URL)
    prefix = f"test{uuid.uuid4().hex[:10]}"
    store = CompactRedisTrackerStore(domain, host=url.hostname, port=url.port or 6379,
                                     db=int(url.path.strip("/") or 0), key_prefix=prefix, record_exp=600)
    yield store
    for key in store.red.keys(store.key_prefix + "*"):
        store.red.delete(key)


@pytest.fixture(params=["memory", "redis"])
def store(request, domain):
    if request.param == "memory":
        return CompactInMemoryTrackerStore(domain)
    return request.getfixturevalue("redis_store")


def stored_events(store, sender: str) -> list[dict]:
    raw = store.store[sender] if isinstance(store, CompactInMemoryTrackerStore) else store.red.get(store.key_prefix + sender)
    return json.loads(raw)["events"]


def test_a_long_conversation_reloads_only_its_last_turns_and_keeps_forms_and_slots(store, domain):
    """Turn by turn as Rasa does it (retrieve, add the turn's events, save), next to a full reference tracker:
    after every turn the store gives back the same slots, form, requested slot, latest message and the same
    dialogue states the policies look at, while what it holds stays bounded."""
    sender = "long-conversation"
    everything = session_start(1_799_999_999.0)
    turns = conversation()
    most_events = 0
    for number, turn in enumerate(turns, start=1):
        tracker = asyncio.run(store.retrieve(sender))
        if tracker is None:
            tracker = DialogueStateTracker.from_events(sender, session_start(1_799_999_999.0), domain.slots)
        for event in turn:
            tracker.update(event)
        everything += turn
        asyncio.run(store.save(tracker))
        full = replayed(sender, everything, domain)  # what Rasa's own stores give back: every event replayed

        back = asyncio.run(store.retrieve(sender))
        assert back.current_slot_values() == full.current_slot_values(), number
        assert back.active_loop_name == full.active_loop_name, number
        assert back.get_slot(REQUESTED_SLOT) == full.get_slot(REQUESTED_SLOT), number
        assert back.latest_message.text == full.latest_message.text
        assert back.latest_action_name == full.latest_action_name == ACTION_LISTEN_NAME
        assert back.past_states(domain)[-MAX_HISTORY - 1:] == full.past_states(domain)[-MAX_HISTORY - 1:], number
        users = sum(isinstance(e, UserUttered) for e in back.events)
        assert users <= max(COMPACT_AFTER_TURNS, len(FORM_SLOTS) + KEEP_TURNS), number
        most_events = max(most_events, len(stored_events(store, sender)))

    assert len(turns) >= 200 and sum(isinstance(e, UserUttered) for e in everything) == len(turns)
    assert most_events < len(full.events) / 5  # bounded: a few turns' worth, not the whole conversation
    # the form at the end runs on: its start and every answer so far are kept, the next slot is asked for
    back = asyncio.run(store.retrieve(sender))
    assert back.active_loop_name == FORM and back.get_slot(REQUESTED_SLOT) == "uscc"
    assert [back.get_slot(s) for s in FORM_SLOTS[:3]] == ["态度差-content", "态度差-category", "态度差-taxpayer_name"]
    assert back.get_slot("petition_pending") is True  # set by the form in the middle, 100 turns ago
    assert any(isinstance(e, ActiveLoop) and e.name == FORM for e in back.events)


def test_the_cut_is_never_inside_a_form(domain):
    """A session long enough to compact but with a form running is kept whole; once the form has ended, the
    kept tail starts where the form was opened, never between its steps."""
    clock = Clock()
    events = session_start(clock())
    for turn in [question_turn(clock, n) for n in range(COMPACT_AFTER_TURNS)]:
        events += turn
    form = form_turns(clock, "a", steps=6)
    for turn in form[:4]:  # opened, three slots answered
        events += turn
    tracker = DialogueStateTracker.from_events("s", events, domain.slots)
    assert tracker.active_loop_name == FORM
    assert compact_events(events, tracker.slots, keep_turns=2, compact_after_turns=10) == events

    for turn in form[4:] + [question_turn(clock, n) for n in range(2)]:  # the form ends, two questions follow
        events += turn
    tracker = replayed("s", events, domain)
    kept = compact_events(events, tracker.slots, keep_turns=4, compact_after_turns=10)
    users = [e for e in kept if isinstance(e, UserUttered)]
    assert users[0].text == "我要投诉a" and len(users) == 9  # not "a的uscc", four turns back, inside the form
    back = replayed("s", kept, domain)
    assert back.current_slot_values() == tracker.current_slot_values()
    assert back.active_loop_name is None
    assert back.past_states(domain)[-MAX_HISTORY - 1:] == tracker.past_states(domain)[-MAX_HISTORY - 1:]


def test_only_the_latest_session_is_kept(store, domain):
    """An expired session (action_session_start again) leaves only the new one in the store."""
    clock = Clock()
    events = session_start(clock()) + question_turn(clock, 1) + question_turn(clock, 2)
    events += session_start(clock()) + question_turn(clock, 3)
    tracker = DialogueStateTracker.from_events("sessions", events, domain.slots)
    asyncio.run(store.save(tracker))
    kept = stored_events(store, "sessions")
    assert [e["event"] for e in kept].count("session_started") == 1
    assert [e.get("text") for e in kept if e["event"] == "user"] == ["第3个问题：小规模纳税人季度销售额多少免征增值税"]
    back = asyncio.run(store.retrieve("sessions"))
    assert back.latest_message.text.startswith("第3个问题")


def test_a_short_conversation_is_stored_as_is(store, domain):
    clock = Clock()
    events = session_start(clock())
    for n in range(COMPACT_AFTER_TURNS):
        events += question_turn(clock, n)
    tracker = DialogueStateTracker.from_events("short", events, domain.slots)
    asyncio.run(store.save(tracker))
    assert len(stored_events(store, "short")) == len(events)
    assert [e.as_dict() for e in asyncio.run(store.retrieve("short")).events] == [e.as_dict() for e in events]


@pytest.fixture
def private_redis():
    """A redis-server of this test's own (appendonly, so a restart keeps the data), to stop and start."""
    from tools.bench.stack import PrivateRedis

    server = PrivateRedis()
    server.start()
    yield server
    server.remove()


def test_a_read_while_redis_restarts_waits_for_it_and_keeps_the_form(private_redis, domain):
    """Without the retries the read fails on the broken connection, and Rasa would go on with an empty tracker."""
    store = CompactRedisTrackerStore(domain, host="127.0.0.1", port=private_redis.port, db=0, key_prefix="r",
                                     record_exp=600)
    clock = Clock()
    events = [*session_start(clock()), UserUttered("我要投诉", timestamp=clock()), ActiveLoop(FORM, timestamp=clock()),
              SlotSet(REQUESTED_SLOT, "content", timestamp=clock()), ActionExecuted(ACTION_LISTEN_NAME, timestamp=clock())]
    asyncio.run(store.save(DialogueStateTracker.from_events("restart", events, domain.slots)))
    private_redis.kill()
    restarter = threading.Timer(0.5, private_redis.start)
    restarter.start()
    try:
        back = asyncio.run(store.retrieve("restart"))
    finally:
        restarter.join()
    assert back is not None
    assert back.active_loop_name == FORM and back.get_slot(REQUESTED_SLOT) == "content"


def test_when_redis_stays_away_the_turn_fails_instead_of_starting_afresh(domain):
    """Rasa's FailSafeTrackerStore would hand the turn a new, empty tracker (and overwrite the stored one later);
    after ``install`` the agent keeps our store unwrapped, so the failure reaches the turn."""
    from rasa.core.agent import Agent

    from bot.tracker_store import install
    from tools.bench.stack import free_port

    store = CompactRedisTrackerStore(domain, host="127.0.0.1", port=free_port(), db=0, key_prefix="gone")
    store.retry_delays = (0.01, 0.02)
    install()
    install()  # idempotent
    assert Agent._create_tracker_store(store, domain) is store
    with pytest.raises(redis.ConnectionError):
        asyncio.run(store.get_or_create_tracker("nobody-home"))
    assert type(Agent._create_tracker_store(CompactInMemoryTrackerStore(domain), domain)).__name__ == \
        "CompactInMemoryTrackerStore"
    other = Agent._create_tracker_store(None, domain)  # Rasa's own stores keep Rasa's wrapper
    assert type(other).__name__ == "FailSafeTrackerStore"
