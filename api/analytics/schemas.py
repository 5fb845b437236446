"""Answers of the dashboard routes (docs/dashboard-api.md): the charts, conversation review and improvements.

The services build dicts (api.analytics.charts, .review, .improvements); these models declare their shape for the
OpenAPI schema and filter each answer to it. Rates are fractions (0.25), null when there is nothing to divide by;
times are ISO text, days ``YYYY-MM-DD``. Free text was masked by the service as the caller's view requires.
"""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel

from api.hub.schemas import Button
from api.petition.schemas import DemandTheme, Figures, FiguresGroup
from api.reminder.schemas import Funnel

__all__ = ["OR_CSV", "Overview", "Intents", "Topics", "Unanswered", "Feedback", "Seats", "PetitionCharts", "Campaigns",
           "Dashboard", "ConversationPage", "Transcript", "ConversationTags", "TagCounts", "MarkOut", "MarkPage",
           "AuditPage", "ImprovementOut", "ImprovementPage", "ImprovementOptions", "EntryChoice", "Attention"]


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


# -- conversation review -------------------------------------------------------------------------------------

class ConversationItem(BaseModel):
    id: int
    day: Optional[str] = None
    created_at: Optional[str] = None
    last_message_at: Optional[str] = None
    channel: str
    unit_id: int
    enterprise_name: Optional[str] = None
    uscc: Optional[str] = None
    mode: str
    outcome: Optional[str] = None
    outcome_label: Optional[str] = None
    intents: list[str]
    topics: list[str]
    user_messages: Optional[int] = None
    bot_turns: Optional[int] = None
    fell_back: Optional[int] = None
    rating: Optional[int] = None
    had_human: bool
    petition_ticket: Optional[str] = None
    tags: list[str]
    first_question: Optional[str] = None


class ConversationPage(BaseModel):
    page: int
    page_size: int
    total: int
    total_capped: bool  # more than the count stops at
    has_more: bool
    masked: bool
    items: list[ConversationItem]


class Person(BaseModel):
    staff_id: int
    name: Optional[str] = None


class MarkOut(BaseModel):
    """A bot reply marked wrong, with what the reviewer says was right."""
    id: int
    message_id: int
    conversation_id: int
    text: Optional[str] = None
    user_text: Optional[str] = None
    kind: Optional[str] = None
    intent: Optional[str] = None
    confidence: Optional[float] = None
    correct_intent: Optional[str] = None
    correct_entry_id: Optional[str] = None
    correct_topic: Optional[str] = None
    note: Optional[str] = None
    marked_by: Person
    created_at: Optional[str] = None
    updated_at: Optional[str] = None
    improvement_ids: list[int]


class MarkPage(BaseModel):
    page: int
    page_size: int
    total: int
    items: list[MarkOut]


class TranscriptFile(BaseModel):
    filename: Optional[str] = None
    content_type: str
    size: int


class TranscriptMessage(BaseModel):
    id: int
    sender: str
    sender_name: Optional[str] = None
    text: Optional[str] = None
    created_at: Optional[str] = None
    mode: Optional[str] = None
    kind: Optional[str] = None
    intent: Optional[str] = None
    confidence: Optional[float] = None
    envelope: Optional[dict[str, Any]] = None  # the reply envelope (docs/hub.md), masked as the text
    buttons: Optional[list[Button]] = None
    feedback: Optional[str] = None
    internal: bool
    attachment: Optional[TranscriptFile] = None
    mark: Optional[MarkOut] = None


class TranscriptConversation(ConversationItem):
    summary: Optional[str] = None
    rating_comment: Optional[str] = None
    seat: Optional[Person] = None
    queued_at: Optional[str] = None
    assigned_at: Optional[str] = None
    first_response_at: Optional[str] = None
    closed_at: Optional[str] = None
    reason: Optional[str] = None
    reason_label: Optional[str] = None
    tier: Optional[str] = None


class Transcript(BaseModel):
    masked: bool
    conversation: TranscriptConversation
    messages: list[TranscriptMessage]


class ConversationTags(BaseModel):
    conversation_id: int
    tags: list[str]


class TagCount(BaseModel):
    tag: str
    conversations: int


class TagCounts(BaseModel):
    tags: list[TagCount]


class AuditRow(BaseModel):
    id: int
    staff_id: int
    staff_name: Optional[str] = None
    action: str
    subject: str
    detail: Optional[dict[str, Any]] = None  # purpose, path and query of the unmasked view
    at: Optional[str] = None


class AuditPage(BaseModel):
    page: int
    page_size: int
    total: int
    items: list[AuditRow]


# -- improvements --------------------------------------------------------------------------------------------

class ImprovementOut(BaseModel):
    id: int
    kind: str  # nlu_example, question_variant, new_entry
    status: str  # draft, approved, rejected
    payload: dict[str, Any]  # what the kind adds: the utterance and intent, the question and entry, or the entry
    source_message_id: Optional[int] = None
    source_mark_id: Optional[int] = None
    source_group: Optional[str] = None
    note: Optional[str] = None
    created_by: Optional[Person] = None
    created_at: Optional[str] = None
    approved_by: Optional[Person] = None
    approved_at: Optional[str] = None
    rejected_by: Optional[Person] = None
    rejected_at: Optional[str] = None
    decision_note: Optional[str] = None
    applied_file: Optional[str] = None
    retrain: str  # the command that puts approved improvements into the bot


class ImprovementPage(BaseModel):
    page: int
    page_size: int
    total: int
    items: list[ImprovementOut]


class TopicChoice(BaseModel):
    id: str
    title: str


class ImprovementOptions(BaseModel):
    intents: list[str]
    topics: list[TopicChoice]
    retrain: str


class EntryChoice(BaseModel):
    entry_id: str
    title: str
    topic: str
    topic_title: Optional[str] = None
    questions: list[str]


class AttentionEntry(BaseModel):
    entry_id: str
    topic: str
    topic_title: Optional[str] = None
    title: str
    file: str
    valid_from: Optional[str] = None
    valid_until: Optional[str] = None
    review: bool
    reasons: list[str]  # expired, review


class Attention(BaseModel):
    today: str
    entries: list[AttentionEntry]


OR_CSV: dict = {200: {"content": {"text/csv": {}}, "description": "JSON；format=csv 时为 CSV 表格（UTF-8 带 BOM）"}}
"""``responses=`` of a route that answers its model as JSON, or a CSV table with ``format=csv``."""
