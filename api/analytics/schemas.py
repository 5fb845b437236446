"""Answers of the dashboard's chart routes (docs/dashboard-api.md); conversation review and bot improvement declare
theirs in api.review.schemas and api.improvement.schemas.

The services build dicts (api.analytics.service); these models declare their shape for the
OpenAPI schema and filter each answer to it. Rates are fractions (0.25), null when there is nothing to divide by;
times are ISO text, days ``YYYY-MM-DD``. Free text was masked by the service as the caller's view requires.
"""
from __future__ import annotations

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
    unit_id: int | None = None


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
    containment_rate: float | None = None
    handoff_rate: float | None = None
    fallback_rate: float | None = None
    clarify_rate: float | None = None


class Day(DayFigures):
    day: str


class HandoffReason(BaseModel):
    reason: str
    label: str
    conversations: int
    share: float | None = None


class FallbackReason(BaseModel):
    reason: str
    label: str
    turns: int
    share: float | None = None


class Overview(ChartScope):
    as_of: str | None = None  # when the period was last aggregated
    days: list[Day]
    total: DayFigures
    handoff_reasons: list[HandoffReason]
    fallback_reasons: list[FallbackReason]


class IntentRow(BaseModel):
    intent: str
    turns: int
    unanswered: int
    unanswered_rate: float | None = None
    share: float | None = None


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
    share: float | None = None


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
    user_message_id: int | None = None
    conversation_id: int
    text: str | None = None
    kind: str | None = None  # fallback or clarify


class UnansweredGroup(BaseModel):
    group_id: str
    label: str
    terms: list[str]
    count: int
    fallbacks: int
    clarifies: int
    first_day: str
    last_day: str
    suggested_topic: SuggestedTopic | None = None
    suggested_entry: SuggestedEntry | None = None
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
    useful_rate: float | None = None


class FeedbackEntry(FeedbackTotal):
    entry_id: str
    title: str
    topic: str | None = None
    topic_title: str | None = None
    in_knowledge_base: bool


class Feedback(ChartScope):
    total: FeedbackTotal
    entries: list[FeedbackEntry]


class SeatFigures(BaseModel):
    conversations: int
    first_response_avg_seconds: float | None = None
    first_response_count: int
    handling_avg_seconds: float | None = None
    handling_count: int
    wait_avg_seconds: float | None = None
    wait_count: int
    ratings: int
    rating_avg: float | None = None
    satisfied_rate: float | None = None


class SeatRow(SeatFigures):
    staff_id: int
    name: str
    role: str | None = None
    unit_id: int | None = None
    unit: str | None = None


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
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
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
