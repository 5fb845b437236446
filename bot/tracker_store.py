"""Tracker stores that keep what Rasa reloads per turn bounded, however long the conversation (issue 17).

Rasa 3.6 replays every stored event of a conversation on each turn (its Redis store even deserialises the
stored tracker a second time on save, to merge earlier sessions back in), and the action server is sent all of
them; a 200-turn conversation answered 3.5 times slower than a new one. The hub keeps the full transcript in
PostgreSQL, so Rasa need keep only what decides the next turns:

* only the latest Rasa session (from the last ``action_session_start``; ``session_config`` in
  bot/domain/core.yml ends one after two idle hours, carrying no slot over);
* once that session holds more than ``compact_after_turns`` user messages, only the events of the last
  ``keep_turns`` user messages, after a compact restart prefix that recreates the rest of the state: a session
  start, one ``SlotSet`` per slot whose value is not its initial one (the final values, so replaying prefix and
  tail yields exactly the slots of the full tracker) and an ``action_listen``.

The cut is made only at a user message that no form was running through, so an active form, its
``requested_slot`` and the filled slots survive whole; the dialogue policies look back at most three turns
(``max_history`` in config.yml) and the actions at most 30 events (``actions/filing_points.py``), both far
inside what is kept. The hand-off state is not Rasa's: the hub holds a handed-off conversation and does not
send its messages to Rasa (api/hub).

When Redis is briefly away (a restart, a dropped connection) the Redis store retries for about 2.5 s; when it
stays away the turn fails instead of going on without its tracker (``install``): Rasa would otherwise start the
conversation afresh, forget a half-filled form and overwrite the stored tracker once Redis is back. The REST
channel then answers nothing, and the hub asks the message again later (api/hub/answering.py).

Configured by ``type: bot.tracker_store.CompactRedisTrackerStore`` (bot/endpoints.redis.yml) or
``bot.tracker_store.CompactInMemoryTrackerStore`` (bot/endpoints.yml); ``keep_turns`` and
``compact_after_turns`` may be set there too.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import redis
from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions

__all__ = ["KEEP_TURNS", "COMPACT_AFTER_TURNS", "REDIS_RETRY_DELAYS", "latest_session", "compact_events",
           "CompactTrackerMixin", "CompactRedisTrackerStore", "CompactInMemoryTrackerStore", "install"]

KEEP_TURNS = 8  # user messages kept when a session is compacted
COMPACT_AFTER_TURNS = 20  # user messages a stored session may hold before it is compacted
# Pauses between tries of a Redis call that found no server: 2.55 s in all, longer than a restart of Redis takes
# here (about 1 s), far shorter than the hub's wait for Rasa (RASA_TIMEOUT_SECONDS).
REDIS_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.0)
_T = TypeVar("_T")


def _is_session_start(event: Event) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME


def latest_session(events: Sequence[Event]) -> list[Event]:
    """The events from the last ``action_session_start`` on (all of them when there is none)."""
    for index in range(len(events) - 1, -1, -1):
        if _is_session_start(events[index]):
            return list(events[index:])
    return list(events)


def _cut_points(events: Sequence[Event]) -> tuple[list[int], str | None]:
    """Indices of user messages right after an ``action_listen`` with no form running, and the loop active at
    the end of ``events``."""
    points: list[int] = []
    loop: str | None = None
    for index, event in enumerate(events):
        if isinstance(event, ActiveLoop):
            loop = event.name
        elif isinstance(event, Restarted):
            loop = None
        elif (isinstance(event, UserUttered) and loop is None and index > 0
              and isinstance(events[index - 1], ActionExecuted)
              and events[index - 1].action_name == ACTION_LISTEN_NAME):
            points.append(index)
    return points, loop


def compact_events(events: Sequence[Event], slots: Mapping[str, Slot], *, keep_turns: int = KEEP_TURNS,
                   compact_after_turns: int = COMPACT_AFTER_TURNS) -> list[Event]:
    """The events to store for a tracker with these ``events`` and final ``slots`` (see the module docstring).

    The result replays to the same slots, active loop and latest message as ``events`` do."""
    session = latest_session(events)
    user_turns = sum(isinstance(event, UserUttered) for event in session)
    if user_turns <= compact_after_turns:
        return session
    points, loop_at_end = _cut_points(session)
    if loop_at_end is not None:  # a form is running: keep it whole; it is compacted once it ends
        return session
    users_from = {index: user_turns - position for position, index in enumerate(
        i for i, event in enumerate(session) if isinstance(event, UserUttered))}
    eligible = [index for index in points if users_from[index] >= keep_turns]
    if not eligible or eligible[-1] == 0:
        return session
    cut = eligible[-1]
    stamp = session[cut].timestamp
    prefix: list[Event] = [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=stamp), SessionStarted(timestamp=stamp)]
    prefix += [SlotSet(name, slot.value, timestamp=stamp) for name, slot in slots.items()
               if slot.value != slot.initial_value]
    prefix.append(ActionExecuted(ACTION_LISTEN_NAME, timestamp=stamp))
    return prefix + list(session[cut:])


def _count_session_starts(events: Iterable[Event]) -> int:
    return sum(_is_session_start(event) for event in events)


class CompactTrackerMixin:
    """What both stores share: serialise the compacted events, and read back without replaying twice."""

    keep_turns: int = KEEP_TURNS
    compact_after_turns: int = COMPACT_AFTER_TURNS

    def _configure(self, keep_turns: Any, compact_after_turns: Any) -> None:
        self.keep_turns = int(keep_turns) if keep_turns is not None else KEEP_TURNS
        self.compact_after_turns = int(compact_after_turns) if compact_after_turns is not None else COMPACT_AFTER_TURNS
        if not 1 <= self.keep_turns <= self.compact_after_turns:
            raise ValueError("tracker store: need 1 <= keep_turns <= compact_after_turns")

    def serialise_compact(self, tracker: DialogueStateTracker) -> str:
        events = compact_events(list(tracker.events), tracker.slots, keep_turns=self.keep_turns,
                                compact_after_turns=self.compact_after_turns)
        return json.dumps(Dialogue(tracker.sender_id, events).as_dict())  # as Rasa's own stores write it

    def tracker_from_stored(self, sender_id: str, stored: str | bytes,
                            fetch_all_sessions: bool) -> DialogueStateTracker | None:
        """The stored tracker; its latest session unless ``fetch_all_sessions`` (what this store writes holds
        one session only, older stored trackers may hold several)."""
        tracker: DialogueStateTracker | None = self.deserialise_tracker(sender_id, stored)  # type: ignore[attr-defined]
        if tracker is None or fetch_all_sessions or _count_session_starts(tracker.events) <= 1:
            return tracker
        return get_trackers_for_conversation_sessions(tracker)[-1]


class CompactRedisTrackerStore(CompactTrackerMixin, RedisTrackerStore):
    """Rasa's Redis tracker store (same keys, expiry, SSL options) storing the bounded tracker. It does not merge
    the stored tracker's earlier sessions back in on save, as Rasa's does: they are dropped."""

    def __init__(self, *args: Any, keep_turns: Any = None, compact_after_turns: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._configure(keep_turns, compact_after_turns)

    retry_delays: Sequence[float] = REDIS_RETRY_DELAYS

    async def _with_retries(self, call: Callable[[], _T]) -> _T:
        """``call()``, tried again after each pause of ``retry_delays`` while Redis cannot be reached; the last
        error is raised."""
        for delay in self.retry_delays:
            try:
                return call()
            except (redis.ConnectionError, redis.TimeoutError):
                await asyncio.sleep(delay)  # redis-py dropped the broken connection: the next try opens a new one
        return call()

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        await self.stream_events(tracker)
        serialised = self.serialise_compact(tracker)
        await self._with_retries(lambda: self.red.set(self.key_prefix + tracker.sender_id, serialised,
                                                      ex=timeout or self.record_exp))

    async def _retrieve(self, sender_id: str, fetch_all_sessions: bool) -> DialogueStateTracker | None:
        stored = await self._with_retries(lambda: self.red.get(self.key_prefix + sender_id))
        return None if stored is None else self.tracker_from_stored(sender_id, stored, fetch_all_sessions)

    async def keys(self) -> Iterable[str]:
        return await self._with_retries(lambda: self.red.keys(self.key_prefix + "*"))  # as Rasa's: prefixed keys


class CompactInMemoryTrackerStore(CompactTrackerMixin, InMemoryTrackerStore):
    """Rasa's in-memory tracker store (one process, the embedded default) storing the bounded tracker."""

    def __init__(self, *args: Any, keep_turns: Any = None, compact_after_turns: Any = None, **kwargs: Any) -> None:
        kwargs.pop("host", None)  # Rasa passes the endpoint's url, which a store in memory has none of
        super().__init__(*args, **kwargs)
        self._configure(keep_turns, compact_after_turns)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        self.store[tracker.sender_id] = self.serialise_compact(tracker)

    async def _retrieve(self, sender_id: str, fetch_all_sessions: bool) -> DialogueStateTracker | None:
        stored = self.store.get(sender_id)
        return None if stored is None else self.tracker_from_stored(sender_id, stored, fetch_all_sessions)


def install() -> None:
    """Leave this module's stores out of Rasa's ``FailSafeTrackerStore`` (idempotent; ``python -m bot.serve``).

    Rasa's agent wraps every tracker store in it: a failed read is answered with no tracker, so the turn runs on a
    new, empty one, and a failed save goes to memory. For a conversation half way through a form that means the
    form is forgotten, and the empty tracker overwrites the stored one once Redis is back. Unwrapped, the
    failure fails the turn; nothing is saved, and the hub asks the message again."""
    from rasa.core.agent import Agent

    wrapped = Agent.__dict__["_create_tracker_store"]
    if getattr(wrapped.__func__, "leaves_compact_stores_unwrapped", False):
        return
    original = wrapped.__func__

    def create_tracker_store(store: Any, domain: Any) -> Any:
        if isinstance(store, CompactTrackerMixin):
            store.domain = domain  # type: ignore[attr-defined]  # the mixin is always with a TrackerStore
            return store
        return original(store, domain)

    create_tracker_store.leaves_compact_stores_unwrapped = True  # type: ignore[attr-defined]
    Agent._create_tracker_store = staticmethod(create_tracker_store)
