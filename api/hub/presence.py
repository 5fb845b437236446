"""Seat presence in Redis, shared by every instance: online / busy / away, kept alive by heartbeats.

``hub:presence:<staff id>`` holds the seat's status, role, unit and skills and expires after the
grace period unless a heartbeat renews it; ``hub:seats:<unit id>`` lists the seats of a unit that
were present (members whose key has expired are pruned when read). A seat whose key has expired
is offline: its conversations go back to the queue (api.hub.scheduled).
"""
from __future__ import annotations

import json
import time

import redis

from api.hub.routing import Seat
from api.org.models import StaffAccount

__all__ = ["STATUSES", "STATUS_LABELS", "set_presence", "heartbeat", "clear_presence", "get_presence",
           "present_seats", "mark_given_work"]

STATUSES = ("online", "busy", "away")
STATUS_LABELS = {"online": "在线", "busy": "忙碌", "away": "离开", "offline": "离线"}
"""Every state a seat is shown in: the three it can set, and ``offline`` (no live connection)."""


def _key(staff_id: int) -> str:
    return f"hub:presence:{staff_id}"


def _unit_key(unit_id: int) -> str:
    return f"hub:seats:{unit_id}"


def set_presence(client: redis.Redis, staff: StaffAccount, status: str, *, grace_seconds: int) -> dict:
    if status not in STATUSES:
        raise ValueError(status)
    old = get_presence(client, staff.id) or {}
    record = {"staff_id": staff.id, "status": status, "role": staff.role, "unit_id": staff.unit_id,
              "name": staff.display_name, "skills": [s for s in (staff.skills or "").split(",") if s.strip()],
              "idle_since": old.get("idle_since", time.time())}
    pipe = client.pipeline()
    pipe.set(_key(staff.id), json.dumps(record, ensure_ascii=False), ex=grace_seconds)
    pipe.sadd(_unit_key(staff.unit_id), staff.id)
    pipe.execute()
    return record


def heartbeat(client: redis.Redis, staff_id: int, *, grace_seconds: int) -> bool:
    """Renew the seat's presence; False when it had already expired (the seat must announce itself again)."""
    return bool(client.expire(_key(staff_id), grace_seconds))


def clear_presence(client: redis.Redis, staff: StaffAccount) -> None:
    client.delete(_key(staff.id))
    client.srem(_unit_key(staff.unit_id), staff.id)


def get_presence(client: redis.Redis, staff_id: int) -> dict | None:
    raw = client.get(_key(staff_id))
    return json.loads(raw) if raw else None


def mark_given_work(client: redis.Redis, staff_id: int) -> None:
    """Remember when the seat last got a conversation, to share work fairly between equal seats."""
    record = get_presence(client, staff_id)
    if record is not None:
        record["idle_since"] = time.time()
        client.set(_key(staff_id), json.dumps(record, ensure_ascii=False), keepttl=True)


def present_seats(client: redis.Redis, unit_id: int, loads: dict[int, int] | None = None) -> list[Seat]:
    """The seats of a unit whose presence has not expired (any status), with their loads."""
    ids = sorted(int(i) for i in client.smembers(_unit_key(unit_id)))
    if not ids:
        return []
    raws = client.mget([_key(i) for i in ids])
    gone = [i for i, raw in zip(ids, raws) if raw is None]
    if gone:
        client.srem(_unit_key(unit_id), *gone)
    loads = loads or {}
    seats = []
    for raw in raws:
        if raw:
            record = json.loads(raw)
            seats.append(Seat(staff_id=record["staff_id"], role=record["role"], status=record["status"],
                              skills=frozenset(record.get("skills") or ()), load=loads.get(record["staff_id"], 0),
                              idle_since=record.get("idle_since", 0.0)))
    return seats
