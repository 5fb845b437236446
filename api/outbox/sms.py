"""Sending text messages: the sender interface, the development sender, and the outbox drain.

A sender gets the phone, the text and a reference (the outbox row's id, so a gateway can drop a repeat
after a crash between its answer and our commit) and says what became of it: `recorded` (the development
sender wrote it to a file: nothing left this machine) or `accepted` (a gateway took it). No status here
means "delivered": a delivery receipt, when a gateway gives one, is the gateway's to report.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.outbox.models import SmsMessage
from api.settings import Settings

__all__ = ["SendResult", "SmsError", "SmsSender", "RecordingSmsSender", "sender_from_settings", "drain", "RETRY_AFTER"]

log = logging.getLogger(__name__)

RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
"""Waits before the 2nd … 5th attempt; after the last, the message is marked failed for staff to see."""


@dataclass(frozen=True)
class SendResult:
    status: str  # "recorded" or "accepted"
    provider_ref: str | None = None


class SmsError(Exception):
    """The sender could not take the message now (network, gateway refusal); the outbox retries."""


class SmsSender(Protocol):
    def send(self, *, phone: str, text: str, reference: str) -> SendResult: ...


class RecordingSmsSender:
    """Development: appends one JSON line per message to a file (default var/sms-outbox.jsonl)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, *, phone: str, text: str, reference: str) -> SendResult:
        line = json.dumps({"reference": reference, "phone": phone, "text": text}, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        return SendResult(status="recorded", provider_ref=f"file:{reference}")


def sender_from_settings(settings: Settings) -> SmsSender | None:
    """The configured sender; None (`SMS_SENDER=none`) keeps every message pending, visibly."""
    if settings.sms_sender == "recording":
        return RecordingSmsSender(Path(settings.sms_record_path))
    return None


def drain(session: Session, sender: SmsSender, *, now: datetime, limit: int = 100,
          after_each: Callable[[], None] | None = None) -> int:
    """Hand the due messages to ``sender``; how many it took. The caller holds the outbox lock and commits;
    ``after_each`` (the scheduled job's commit) runs after every message's outcome, so a process killed
    mid-batch sends again at most the one message in flight (its reference lets a gateway drop the repeat)."""
    due = session.execute(select(SmsMessage).where(SmsMessage.status == "pending", SmsMessage.next_attempt_at <= now)
                          .order_by(SmsMessage.id).limit(limit)).scalars().all()
    taken = 0
    for message in due:
        message.attempts += 1
        message.updated_at = now
        try:
            result = sender.send(phone=message.phone, text=message.text, reference=str(message.id))
        except SmsError as error:
            message.last_error = str(error)[:300]
            if message.attempts > len(RETRY_AFTER):
                message.status = "failed"
            else:
                message.next_attempt_at = now + RETRY_AFTER[message.attempts - 1]
            log.warning("SMS %s not taken (attempt %s): %s", message.id, message.attempts, error)
        else:
            message.status, message.provider_ref, message.last_error = result.status, result.provider_ref, None
            taken += 1
        if after_each is not None:
            after_each()
    return taken
