"""Partial indexes for the clocks (created by migration 0003).

On ``petitions``, one per clock, covering only the petitions whose step is not done yet — the open
few thousand, not the closed hundred thousand — keyed by the due date: the SLA sweep's candidate
queries and the console's overdue filter (``Petition.overdue``) read them instead of the table.
One more covers the long-term track that is still open (长期跟踪, a few hundred of a hundred thousand), which
the workbench counts on every tab change (migration 0015). On ``petition_events``, the sweep's own ledger entries
by petition: "was this clock already
marked?" is one probe into a small index, whatever the planner believes about fresh rows.
Declared here, next to the tables, so that the models and the migrations agree.
"""
from __future__ import annotations

from sqlalchemy import Index, and_

from api.petition.models import Petition, PetitionEvent

__all__ = ["RUNNING_CLOCK_INDEXES", "CLOCK_MARK_ACTIONS", "CLOCK_MARKS_INDEX", "LONG_TERM_OPEN_INDEX"]

CLOCK_MARK_ACTIONS = ("clock_due_soon", "clock_overdue")


def _running(name: str, due, done) -> Index:
    return Index(name, due, postgresql_where=done.is_(None), sqlite_where=done.is_(None))


RUNNING_CLOCK_INDEXES = (
    _running("ix_petitions_handover_running", Petition.handover_due, Petition.handed_over_at),
    _running("ix_petitions_handling_running", Petition.handling_due, Petition.resolved_at),
    _running("ix_petitions_feedback_running", Petition.feedback_due, Petition.fed_back_at),
)

CLOCK_MARKS_INDEX = Index("ix_petition_events_clock_marks", PetitionEvent.petition_id,
                          postgresql_where=PetitionEvent.action.in_(CLOCK_MARK_ACTIONS),
                          sqlite_where=PetitionEvent.action.in_(CLOCK_MARK_ACTIONS))

_LONG_TERM_OPEN = and_(Petition.long_term.is_(True), Petition.status != "closed")  # queries.queue_clause("long_term")
LONG_TERM_OPEN_INDEX = Index("ix_petitions_long_term_open", Petition.id, postgresql_where=_LONG_TERM_OPEN,
                             sqlite_where=_LONG_TERM_OPEN)
