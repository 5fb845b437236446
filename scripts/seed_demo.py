#!/usr/bin/env python
"""Demo data for `make run` in development: two tax-staff seats and one expert in the unit that serves
the chat (BOT_INTAKE_UNIT_ID, or the unit named BOT_INTAKE_UNIT_NAME, 在线导办服务中心), an operator (yunying1), so a new
user can play every side at once, and — in demo mode — 2,000 generated enterprises (api.enterprise.demo;
the showcase enterprise first) and 90 days of their conversations up to today, handled by those seats and
aggregated, so the operator dashboard has something to show (api.analytics.demo). Existing accounts, demo
enterprises and demo conversations are left as they are. Refuses outside development.

    DEMO_PASSWORD (default demo-2026) is the password of every demo seat.
    DEMO_ENTERPRISES (default 2000) and DEMO_CONVERSATIONS (default 9000; 0: none) set the demo volumes.
"""
from __future__ import annotations

import os
import sys


from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from api.analytics.demo import DEMO_CONVERSATIONS, seed_demo_conversations  # noqa: E402
from api.auth.security import hash_password  # noqa: E402
from api.database import make_engine, make_session_factory  # noqa: E402
from api.enterprise.demo import SHOWCASE_USCC, seed_demo  # noqa: E402
from api.org.models import StaffAccount, Unit  # noqa: E402
from api.org.service import create_staff  # noqa: E402
from api.petition.internal import intake_unit  # noqa: E402
from api.settings import get_settings  # noqa: E402

SEATS = (("ganbu1", "王芳", "staff", "增值税,发票,综合"), ("ganbu2", "李明", "staff", ""),
         ("zhuanjia1", "赵敏", "expert", ""), ("yunying1", "周运营", "operator", ""))
# A person's name only: the role is the seat's badge (税务干部 / 税务专家), shown once beside it.
OLD_NAMES = {"zhuanjia1": "赵敏（专家）"}  # what earlier demo databases hold, corrected when met


def ensure_seats(session: Session, unit: Unit, password: str) -> list[str]:
    """Create the demo accounts that are missing; returns the usernames created."""
    created = []
    for username, name, role, skills in SEATS:
        existing = session.execute(select(StaffAccount).where(StaffAccount.username == username)).scalar_one_or_none()
        if existing is not None:
            if OLD_NAMES.get(username) == existing.display_name:
                existing.display_name = name
            continue
        staff = create_staff(session=session, username=username, display_name=name, role=role, unit_id=unit.id,
                             password_hash=hash_password(password))
        staff.skills = skills or None
        created.append(username)
    return created


def seed_conversations(session: Session, unit: Unit) -> dict:
    """The demo conversations, handled by the demo seats; the operator tags a few in review."""
    accounts = session.execute(select(StaffAccount).where(
        StaffAccount.username.in_([username for username, *_ in SEATS]))).scalars().all()
    seats = [a for a in accounts if a.role in ("staff", "expert")]
    operator = next((a for a in accounts if a.role == "operator"), None)
    count = int(os.environ.get("DEMO_CONVERSATIONS", str(DEMO_CONVERSATIONS)))
    if count < 1:
        return {"skipped": "DEMO_CONVERSATIONS=0"}
    return seed_demo_conversations(session, unit_id=unit.id, seats=seats, conversations=count,
                                   operator_id=operator.id if operator else None)


def report(unit: Unit, created: list[str], password: str, enterprises: dict | None, conversations: dict | None) -> None:
    if enterprises and not enterprises.get("skipped"):
        print(f"[demo   ] {enterprises.get('created', 0)} demo enterprises; showcase {SHOWCASE_USCC} (open /demo)")
    if conversations and not conversations.get("skipped"):
        print(f"[demo   ] {conversations['conversations']:,} demo conversations over the last {conversations['days']} "
              f"days ({conversations['messages']:,} messages, {conversations['petitions']} petitions, "
              f"{conversations['campaigns']} campaigns sent: {conversations['reminders']:,} reminders), dashboard aggregated "
              f"({conversations['seconds'] + conversations['aggregation_seconds']:.0f} s; open /staff/analytics as yunying1)")
    names = "、".join(f"{u}" for u, *_ in SEATS)
    print(f"[demo   ] seats of {unit.name}: {names} (password: {password})"
          + (f"; created {', '.join(created)}" if created else ""))


def main() -> int:
    settings = get_settings()
    if settings.app_env != "development":
        print("seed_demo: demo accounts are only created in development", file=sys.stderr)
        return 2
    password = os.environ.get("DEMO_PASSWORD", "demo-2026")
    session = make_session_factory(make_engine(settings.database_url))()
    enterprises = conversations = None
    try:
        unit = intake_unit(session=session, settings=settings)
        created = ensure_seats(session, unit, password)
        if settings.demo_mode:
            enterprises = seed_demo(session, n=int(os.environ.get("DEMO_ENTERPRISES", "2000")))
            conversations = seed_conversations(session, unit)
        session.commit()
    finally:
        session.close()
    report(unit, created, password, enterprises, conversations)
    return 0


if __name__ == "__main__":
    sys.exit(main())
