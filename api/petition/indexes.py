"""Partial indexes for the clocks (created by migration 0003).

On ``petitions``, one per clock, covering only the petitions whose step is not done yet — the open
few thousand, not the closed hundred thousand — keyed by the due date: the SLA sweep's candidate
queries and the console's overdue filter (``Petition.overdue``) read them instead of the table.
On ``petition_events``, the sweep's own ledger entries by petition: "was this clock already
marked?" is one probe into a small index, whatever the planner believes about fresh rows.
Declared here, next to the tables, so that the models and the migrations agree.
"""
from __future__ import annotations

from sqlalchemy import Index

from api.petition.models import Petition, PetitionEvent

__all__ = ["RUNNING_CLOCK_INDEXES", "CLOCK_MARK_ACTIONS", "CLOCK_MARKS_INDEX"]

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
