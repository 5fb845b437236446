"""Answers of the dashboard's chart routes (docs/dashboard-api.md); conversation review and bot improvement declare
theirs in api.review.schemas and api.improvement.schemas.

The services build dicts (api.analytics.service); these models declare their shape for the
OpenAPI schema and filter each answer to it. Rates are fractions (0.25), null when there is nothing to divide by;
times are ISO text, days ``YYYY-MM-DD``. Free text was masked by the service as the caller's view requires.
"""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel

from api.petition.schemas import DemandTheme, Figures, FiguresGroup
from api.reminder.schemas import Funnel

__all__ = ["OR_CSV", "Overview", "Intents", "Topics", "Unanswered", "Feedback", "Seats", "PetitionCharts", "Campaigns",
           "Dashboard"]


# -- charts --------------------------------------------------------------------------------------------------

class ChartScope(BaseModel):
    date_from: str
    date_to: str
    channel: str  # all, enterprise, visitor
    unit_id: Optional[int] = None


class DayFigures(BaseModel):
    conversations: int
    engaged: int
    messages: int
    user_messages: int
    bot_turns: int
    answered: int
    clarified: int
    fell_back: int
    handoff_turns: int
    handed_off: int
    petitions: int
    contained: int
    feedback_useful: int
    feedback_useless: int
    containment_rate: Optional[float] = None
    handoff_rate: Optional[float] = None
    fallback_rate: Optional[float] = None
    clarify_rate: Optional[float] = None


class Day(DayFigures):
    day: str


class HandoffReason(BaseModel):
    reason: str
    label: str
    conversations: int
    share: Optional[float] = None


class FallbackReason(BaseModel):
    reason: str
    label: str
    turns: int
    share: Optional[float] = None


class Overview(ChartScope):
    as_of: Optional[str] = None  # when the period was last aggregated
    days: list[Day]
    total: DayFigures
    handoff_reasons: list[HandoffReason]
    fallback_reasons: list[FallbackReason]


class IntentRow(BaseModel):
    intent: str
    turns: int
    unanswered: int
    unanswered_rate: Optional[float] = None
    share: Optional[float] = None


class Intents(ChartScope):
    total_turns: int
    intents: list[IntentRow]


class TopicRow(BaseModel):
    topic: str
    title: str
    answers: int
    clarify_offers: int
    useful: int
    useless: int
    share: Optional[float] = None


class Topics(ChartScope):
    total_answers: int
    topics: list[TopicRow]


class SuggestedTopic(BaseModel):
    topic: str
    title: str


class SuggestedEntry(BaseModel):
    entry_id: str
    title: str


class UnansweredExample(BaseModel):
    message_id: int
    user_message_id: Optional[int] = None
    conversation_id: int
    text: Optional[str] = None
    kind: Optional[str] = None  # fallback or clarify


class UnansweredGroup(BaseModel):
    group_id: str
    label: str
    terms: list[str]
    count: int
    fallbacks: int
    clarifies: int
    first_day: str
    last_day: str
    suggested_topic: Optional[SuggestedTopic] = None
    suggested_entry: Optional[SuggestedEntry] = None
    examples: list[UnansweredExample]


class Unanswered(ChartScope):
    kind: str  # all, fallback, clarify
    turns: int
    grouped_turns: int
    method: str
    groups: list[UnansweredGroup]


class FeedbackTotal(BaseModel):
    answers: int
    useful: int
    useless: int
    rated: int
    useful_rate: Optional[float] = None


class FeedbackEntry(FeedbackTotal):
    entry_id: str
    title: str
    topic: Optional[str] = None
    topic_title: Optional[str] = None
    in_knowledge_base: bool


class Feedback(ChartScope):
    total: FeedbackTotal
    entries: list[FeedbackEntry]


class SeatFigures(BaseModel):
    conversations: int
    first_response_avg_seconds: Optional[float] = None
    first_response_count: int
    handling_avg_seconds: Optional[float] = None
    handling_count: int
    wait_avg_seconds: Optional[float] = None
    wait_count: int
    ratings: int
    rating_avg: Optional[float] = None
    satisfied_rate: Optional[float] = None


class SeatRow(SeatFigures):
    staff_id: int
    name: str
    role: Optional[str] = None
    unit_id: Optional[int] = None
    unit: Optional[str] = None


class SeatsOverall(SeatFigures):
    rating_distribution: dict[str, int]  # "1" … "5"


class Seats(ChartScope):
    overall: SeatsOverall
    seats: list[SeatRow]


class PetitionDemands(BaseModel):
    texts: int
    themes: list[DemandTheme]


class PetitionCharts(BaseModel):
    date_from: str
    date_to: str
    as_of: str
    total: Figures
    by_category: list[FiguresGroup]
    by_channel: list[FiguresGroup]
    by_unit: list[FiguresGroup]
    common_demands: PetitionDemands


class CampaignRow(BaseModel):
    id: int
    name: str
    rule_id: str
    status: str
    created_at: Optional[str] = None
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    funnel: Funnel


class Campaigns(ChartScope):
    campaigns: list[CampaignRow]


class Dashboard(ChartScope):
    """Every chart in one answer, masked."""
    overview: Overview
    intents: Intents
    topics: Topics
    unanswered: Unanswered
    feedback: Feedback
    seats: Seats
    petitions: PetitionCharts
    campaigns: Campaigns


OR_CSV: dict = {200: {"content": {"text/csv": {}}, "description": "JSON；format=csv 时为 CSV 表格（UTF-8 带 BOM）"}}
"""``responses=`` of a route that answers its model as JSON, or a CSV table with ``format=csv``."""
