"""What to do with a message that is not a step of a form or a button: one decision for every route in.

Whatever the classifier called it (a tax question, out of scope, unsure, a request to break the law, a wish to
file a petition), the evidence decides, in this order:

1. nothing to read → ask for the question;
2. a request to evade tax or falsify records (common.safety: what is asked for, not which words occur) → refuse;
3. an explicit wish for a person → hand over; the enterprise's own credit, petitions or reminders → its record;
   a short "怎么享受 / 如何申报" right after a policy answer or reminder → that entry's filing points;
4. a demand for the authority to act (common.petitions) → the petition form;
5. the knowledge base (knowledge.search with its verifier): answer, offer the nearest topics, or decline;
6. only when the knowledge base has nothing and the classifier is very sure the message asks to break the law
   while the guard found no lawful reading, refuse after all: the classifier catches wordings the guard's
   patterns do not know.

The classifier's own judgement still steers two things: how sure it was that the message is about tax at all
(``strict``: then topics are offered only for tax vocabulary), and which fallback sentence fits.
"""
from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import TaxAction, today_in_china, user_text
from actions.conversation import refuse
from actions.credit import own_credit, own_reminders
from actions.filing_points import answer_filing_points, asks_how_to_claim, context_entry
from actions.handoff import requested_seat, start_handoff
from actions.knowledge_answer import answer_decision, answer_entry, fall_back, get_knowledge_base
from actions.petition import GENERIC_REQUEST, open_petition, petition_status, start_petition
from common.owndata import own_data_request
from common.petitions import looks_like_petition
from common.safety import assess
from common.textnorm import is_meaningless

__all__ = ["ActionAnswerQuestion", "ActionFallback", "ActionRefuse", "ActionPetitionStart", "respond", "mentions_tax"]

# Words of a wish to file something with the authority: with them (or a demand) file_petition opens the form.
PETITION_WORDS = re.compile(r"诉求|投诉|意见|建议|反映|举报|不满|申诉|留言|登记")
CONFIDENT_INTENT = 0.6  # below this the NLU doubts the message is a tax question
REFUSE_ON_INTENT = 0.85  # step 6: the classifier's "request_illegal" this sure, the guard silent, nothing to answer


def mentions_tax(text: str) -> bool:
    return get_knowledge_base().retriever.mentions_tax(text)


def _intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


async def respond(dispatcher: CollectingDispatcher, tracker: Tracker, *, strict: bool, reason: str) -> list[EventType]:
    """Steps 1–6 of the module docstring; ``reason`` names the fallback if nothing fits."""
    text = user_text(tracker)
    if is_meaningless(text):
        return await fall_back(dispatcher, tracker, "empty")
    verdict = assess(text)
    if verdict.is_request:
        return refuse(dispatcher)
    seat = requested_seat(text)  # an explicit request for a person is never answered by the bot
    if seat:
        return await start_handoff(dispatcher, tracker, seat, reason="user_request")
    own = own_data_request(text)
    if own == "credit":
        return await own_credit(dispatcher, tracker)
    if own == "petitions":
        return await petition_status(dispatcher, tracker)
    if own == "reminders":
        return await own_reminders(dispatcher, tracker)
    kb = get_knowledge_base()
    if asks_how_to_claim(text):  # "怎么享受" after a policy answer or reminder: that policy's filing points
        entry = context_entry(kb, tracker)
        if entry is not None:
            return answer_filing_points(dispatcher, kb, entry)
    if looks_like_petition(text):  # a complaint or demand to act on, not a question: register it
        return start_petition(dispatcher, tracker)
    decision = kb.decide(text, today_in_china(), strict=strict)
    intent, confidence = _intent(tracker)
    if (decision.kind != "answer" and intent == "request_illegal" and confidence >= REFUSE_ON_INTENT
            and verdict.kind == "none"):
        return refuse(dispatcher)
    if reason == "out_of_scope" and kb.retriever.mentions_tax(text):
        reason = "no_answer"  # a tax matter nobody wrote an entry for yet is not "outside tax"
    return await answer_decision(dispatcher, tracker, kb, decision, reason)


class ActionAnswerQuestion(TaxAction):
    """The intent says tax question: answer the chosen entry (a clarify button) or decide."""

    action_name = "action_answer_question"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        kb = get_knowledge_base()
        chosen = next((e["value"] for e in tracker.latest_message.get("entities", [])
                       if e.get("entity") == "entry_id"), None)
        entry = kb.get(str(chosen)) if chosen else None
        if entry is not None:
            return answer_entry(dispatcher, kb, entry)
        _, confidence = _intent(tracker)
        return await respond(dispatcher, tracker, strict=confidence < CONFIDENT_INTENT, reason="no_answer")


class ActionFallback(TaxAction):
    """NLU unsure, out of scope or a stray value: the evidence decides as for any question, only more strictly
    (nearest topics are offered only for tax vocabulary); the fallback says so when it is not a tax matter."""

    action_name = "action_fallback"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        intent, _ = _intent(tracker)
        return await respond(dispatcher, tracker, strict=True,
                             reason="out_of_scope" if intent == "out_of_scope" else "no_answer")


class ActionRefuse(TaxAction):
    """The classifier says "a request to break the law": refused when the evidence agrees (steps 2 and 6),
    otherwise treated as the lawful question it is ("零申报怎么弄", "虚开发票怎么处罚")."""

    action_name = "action_refuse"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return await respond(dispatcher, tracker, strict=False, reason="no_answer")


class ActionPetitionStart(TaxAction):
    """The classifier says "file a petition": open the form, unless the message is a plain question the
    knowledge base answers ("电子税务局登不上去" asks how to get in; nobody needs to act on it yet)."""

    action_name = "action_petition_start"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = user_text(tracker)
        wants_to_file = (not text or GENERIC_REQUEST.match(text) or looks_like_petition(text)
                         or PETITION_WORDS.search(text) or tracker.get_slot("petition_pending"))
        if wants_to_file:
            return open_petition(dispatcher, tracker)
        return await respond(dispatcher, tracker, strict=False, reason="no_answer") + [FollowupAction("action_listen")]
