"""Who sees personal data unmasked, for which purpose, and the audit row every unmasked view writes.

Personal data: a petitioner's name, USCC and contact phone and the phones, ID numbers and names inside free
text (demands, messages, transcripts); an enterprise's name and USCC. Masked forms: :mod:`api.privacy.masking`.

================================  =====================================================================
who                               sees unmasked (purpose)
================================  =====================================================================
staff, handler, supervisor,       the petitions their unit holds — accepting, service or a handling unit
director                          (``handling``: they must call the petitioner). The petitions these roles
                                  can see at all are exactly those (:func:`api.petition.access.visible_clause`),
                                  so every petition they are shown is unmasked.
a seat (staff or expert role)     a conversation it holds now (mode ``human``, assigned to it): ``serving``.
                                  Queued conversations, conversations held by a colleague, handed back or
                                  closed — its own ones too, from the moment it lets go — are masked, and
                                  only those of its own unit exist for it at all (404 otherwise). A seat
                                  that needs the petitioner's phone after closing registers the petition
                                  before it closes; the petition then carries the contact to the handling unit.
the same roles, an enterprise's   when they serve it now: a seat holding a conversation with that enterprise,
profile                           or a unit role whose unit holds one of its petitions (``serving`` /
                                  ``handling``).
operator, expert outside the      always masked.
cases above, any other role
admin                             masked, unless it asks with the switch ``unmasked=true`` (``admin_switch``).
                                  Anyone else asking for the switch where they would see masked data → 403.
================================  =====================================================================

Every response that returns unmasked personal data writes one :class:`~api.privacy.models.AuditEntry` in
the route's transaction (before the route commits; an export commits it before streaming): who, the
action, the subject, and in ``detail`` the purpose, the fields and the records shown (a list names its
records in one row per request, never one row per record). The live socket relay to the seat holding the
conversation is the service itself and is not audited per message: the assignment is recorded in the
conversation (``assigned_staff_id``, ``assigned_at``) and in its transcript.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.errors import Forbidden
from api.org.models import StaffAccount
from api.privacy.masking import Masker
from api.privacy.models import AuditEntry

if TYPE_CHECKING:
    from api.hub.models import Conversation

__all__ = ["CONTACT_ROLES", "SWITCH_ROLES", "PETITION_FIELDS", "CONVERSATION_FIELDS", "ENTERPRISE_FIELDS",
           "Decision", "MASKED", "SERVING", "Unmasked", "check_switch",
           "petition_view", "conversation_view", "enterprise_view", "audit", "audit_view"]

CONTACT_ROLES = ("staff", "handler", "supervisor", "director")
"""The people of a unit that holds a petition: they call the petitioner."""
SWITCH_ROLES = ("admin",)
"""May ask for an unmasked view of anything with ``unmasked=true`` (audited)."""
PETITION_FIELDS = ("taxpayer_name", "uscc", "contact_phone", "content", "resolution")
"""What a petition reveals when unmasked (what the audit row names)."""
CONVERSATION_FIELDS = ("enterprise_name", "uscc", "messages")
"""What a conversation reveals when unmasked."""
ENTERPRISE_FIELDS = ("name", "uscc")

Unmasked = Annotated[bool, Query(description="仅系统管理员：不脱敏查看（记入审计日志）")]


@dataclass(frozen=True)
class Decision:
    """Unmasked or not, and why (``handling``, ``serving``, ``admin_switch``; None when masked)."""
    purpose: str | None = None

    @property
    def unmasked(self) -> bool:
        return self.purpose is not None

    @property
    def masker(self) -> Masker:
        return Masker(not self.unmasked)


MASKED = Decision(None)
SERVING = Decision("serving")


def check_switch(staff: StaffAccount, switch: bool) -> Decision | None:
    """The admin's switch: its decision when asked by an admin, 403 when asked by anyone else, None when
    not asked."""
    if not switch:
        return None
    if staff.role not in SWITCH_ROLES:
        raise Forbidden("只有系统管理员可以查看未脱敏信息", code="unmask_forbidden")
    return Decision("admin_switch")


def petition_view(staff: StaffAccount, switch: bool = False) -> Decision:
    """For petitions ``staff`` may see (``access.visible_clause``): the unit roles see them unmasked, since
    they see only the ones their unit holds; everyone else masked, an admin unmasked on the switch."""
    if staff.role in CONTACT_ROLES:
        return Decision("handling")  # the switch adds nothing to what they already see
    return check_switch(staff, switch) or MASKED


def conversation_view(staff: StaffAccount, conversation: Conversation) -> Decision:
    """For a conversation of the seat's unit: unmasked only while ``staff`` holds it."""
    if conversation.mode == "human" and conversation.assigned_staff_id == staff.id:
        return SERVING
    return MASKED


def enterprise_view(staff: StaffAccount, uscc: str, *, session: Session, switch: bool = False) -> Decision:
    """For an enterprise's profile: unmasked for a seat holding a conversation with it now, or a unit role
    whose unit holds one of its petitions (never an outside department's); an admin on the switch; everyone
    else masked."""
    from api.hub.models import Conversation
    from api.petition.access import is_outside, visible_clause
    from api.petition.models import Petition

    held = session.execute(select(Conversation.id).where(
        Conversation.uscc == uscc, Conversation.mode == "human", Conversation.assigned_staff_id == staff.id)
        .limit(1)).first()
    if held is not None:
        return SERVING
    # an outside department (市场监管, 社保…) co-handles a petition, never reads the enterprise's tax profile
    if staff.role in CONTACT_ROLES and not is_outside(staff) and session.execute(select(Petition.id).where(
            Petition.uscc == uscc, visible_clause(staff)).limit(1)).first() is not None:
        return Decision("handling")
    return check_switch(staff, switch) or MASKED


def audit(staff: StaffAccount, action: str, subject: str, detail: dict[str, Any] | None, *, session: Session,
          now: datetime) -> AuditEntry:
    """One audit row, added and flushed in the caller's transaction (the route commits it)."""
    entry = AuditEntry(staff_id=staff.id, action=action[:40], subject=subject[:200], detail=detail, at=now)
    session.add(entry)
    session.flush()
    return entry


def audit_view(staff: StaffAccount, decision: Decision, action: str, subject: str, *, session: Session,
               now: datetime, fields: Iterable[str], shown: Iterable[object] = (), **detail: Any) -> AuditEntry | None:
    """The audit row of a response that returns unmasked data (none when ``decision`` masks): the purpose,
    the fields, the records ``shown`` (ids or tickets) and anything else worth naming (a filter, a format)."""
    if not decision.unmasked:
        return None
    return audit(staff, action, subject, {"purpose": decision.purpose, "fields": list(fields), "shown": list(shown),
                                          **detail}, session=session, now=now)
