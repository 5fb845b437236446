"""Seat presence in Redis, shared by every instance: online / busy / away, kept alive while a console is open.

``hub:presence:<staff id>`` holds the seat's status, role, unit, the units it serves and skills and expires after
``SEAT_GRACE_SECONDS`` (10) unless renewed: the instance that holds the seat's console socket renews it every
few seconds (api.hub.console), so a killed instance loses its seats within that time. ``hub:conns:<staff id>``
(a sorted set: connection id → expiry) counts the seat's open consoles on every instance; when the last one
closes the seat is marked ``leaving`` for ``SEAT_RECONNECT_SECONDS`` (a reload or a short drop comes back in
time) and is given no new work meanwhile; then its key is gone and it is offline. ``hub:seats:<unit id>`` lists
the seats serving a unit that were present — an expert is listed in every unit it serves (api.hub.units) — and
members whose key has expired are pruned when read. A seat whose key
has expired is offline: its conversations go back to the queue (api.hub.scheduled).
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterable

import redis

from api.hub.routing import Seat
from api.org.models import StaffAccount

__all__ = ["STATUSES", "STATUS_LABELS", "set_presence", "heartbeat", "clear_presence", "get_presence",
           "present_seats", "units_of", "mark_given_work", "connect", "renew_connection", "disconnect", "connected",
           "mark_leaving", "set_status"]

STATUSES = ("online", "busy", "away")
STATUS_LABELS = {"online": "在线", "busy": "忙碌", "away": "离开", "leaving": "连接中断", "offline": "离线"}
"""Every state a seat is shown in: the three it can set, ``leaving`` (its console just closed: a few seconds'
grace to reconnect) and ``offline`` (no live connection)."""


def _key(staff_id: int) -> str:
    return f"hub:presence:{staff_id}"


def _unit_key(unit_id: int) -> str:
    return f"hub:seats:{unit_id}"


def _conns_key(staff_id: int) -> str:
    return f"hub:conns:{staff_id}"


def connect(client: redis.Redis, staff_id: int, connection_id: str, *, ttl_seconds: float) -> None:
    """Count one open console of the seat (on this instance) for ``ttl_seconds`` unless renewed."""
    pipe = client.pipeline()
    pipe.zadd(_conns_key(staff_id), {connection_id: time.time() + ttl_seconds})
    pipe.expire(_conns_key(staff_id), int(ttl_seconds) + 60)
    pipe.execute()


def renew_connection(client: redis.Redis, staff_id: int, connection_id: str, *, ttl_seconds: float) -> bool:
    """Keep the console counted and the seat's presence alive; False when the presence had expired."""
    connect(client, staff_id, connection_id, ttl_seconds=ttl_seconds)
    record = get_presence(client, staff_id)
    if record is None or record.get("leaving"):
        return False
    return heartbeat(client, staff_id, grace_seconds=int(ttl_seconds))


def connected(client: redis.Redis, staff_id: int) -> int:
    """Open consoles of the seat on every instance (a killed instance's count out after its ttl)."""
    key = _conns_key(staff_id)
    client.zremrangebyscore(key, "-inf", time.time())
    return int(client.zcard(key))


def disconnect(client: redis.Redis, staff_id: int, connection_id: str) -> int:
    """One console closed; the number still open."""
    client.zrem(_conns_key(staff_id), connection_id)
    return connected(client, staff_id)


def mark_leaving(client: redis.Redis, staff_id: int, *, reconnect_seconds: float) -> bool:
    """The seat's last console closed: present for ``reconnect_seconds`` more, with no new work; False if it
    was not present."""
    record = get_presence(client, staff_id)
    if record is None:
        return False
    record["leaving"] = True
    client.set(_key(staff_id), json.dumps(record, ensure_ascii=False), px=max(1, int(reconnect_seconds * 1000)))
    if connected(client, staff_id):  # a console opened meanwhile (a reload racing the old page's close): it stays
        record.pop("leaving")
        client.set(_key(staff_id), json.dumps(record, ensure_ascii=False), px=max(1, int(reconnect_seconds * 1000)))
        return False
    return True


def set_status(client: redis.Redis, staff_id: int, status: str) -> dict | None:
    """Change a present seat's status (online / busy / away), keeping its expiry; None if it is not present."""
    if status not in STATUSES:
        raise ValueError(status)
    record = get_presence(client, staff_id)
    if record is None or record.get("leaving"):
        return None
    record["status"] = status
    client.set(_key(staff_id), json.dumps(record, ensure_ascii=False), keepttl=True)
    return record


def set_presence(client: redis.Redis, staff: StaffAccount, status: str, *, grace_seconds: int,
                 units: Iterable[int] | None = None) -> dict:
    """Mark the seat present in every unit it serves (``units``; its own unit when not given)."""
    if status not in STATUSES:
        raise ValueError(status)
    old = get_presence(client, staff.id) or {}
    served = sorted(set(units or ()) | {staff.unit_id})
    record = {"staff_id": staff.id, "status": status, "role": staff.role, "unit_id": staff.unit_id,
              "units": served, "name": staff.display_name,
              "skills": [s for s in (staff.skills or "").split(",") if s.strip()],
              "idle_since": old.get("idle_since", time.time())}
    pipe = client.pipeline()
    pipe.set(_key(staff.id), json.dumps(record, ensure_ascii=False), ex=grace_seconds)
    for unit_id in served:
        pipe.sadd(_unit_key(unit_id), staff.id)
    for unit_id in set(old.get("units") or ()) - set(served):  # it no longer serves them (its unit moved)
        pipe.srem(_unit_key(unit_id), staff.id)
    pipe.execute()
    return record


def units_of(record: dict | None, staff: StaffAccount) -> list[int]:
    """The units a present seat serves, as its presence says (its own unit when it says nothing)."""
    return list((record or {}).get("units") or [staff.unit_id])


def heartbeat(client: redis.Redis, staff_id: int, *, grace_seconds: int) -> bool:
    """Renew the seat's presence; False when it had already expired (the seat must announce itself again)."""
    return bool(client.expire(_key(staff_id), grace_seconds))


def clear_presence(client: redis.Redis, staff: StaffAccount) -> None:
    record = get_presence(client, staff.id)
    client.delete(_key(staff.id))
    for unit_id in units_of(record, staff):
        client.srem(_unit_key(unit_id), staff.id)


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
    """The seats serving a unit whose presence has not expired (any status), with their loads."""
    ids = sorted(int(i) for i in client.smembers(_unit_key(unit_id)))
    if not ids:
        return []
    raws = client.mget([_key(i) for i in ids])
    gone = [i for i, raw in zip(ids, raws) if raw is None]  # noqa: B905
    if gone:
        client.srem(_unit_key(unit_id), *gone)
    loads = loads or {}
    seats = []
    for raw in raws:
        if raw:
            record = json.loads(raw)
            status = "leaving" if record.get("leaving") else record["status"]
            seats.append(Seat(staff_id=record["staff_id"], role=record["role"], status=status,
                              skills=frozenset(record.get("skills") or ()), load=loads.get(record["staff_id"], 0),
                              idle_since=record.get("idle_since", 0.0)))
    return seats
