"""Petitions (诉求和意见) in the chat: the registration form, submitting it via the API, and status.

The form asks for the demand, a category (suggested from the text; the user may change it), the
taxpayer's name, the USCC (optional, check digit verified), a contact phone, and a confirmation.
Every question carries a `form` envelope; a refused value comes back with its `error`. The user
can cancel at any point ("取消"). A petition is only reported as registered once the API has
stored it; if the API is away the answers are kept and the user can resubmit with one message.
"""
from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterable
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api_client import ApiClient, ApiRejected, ApiUnavailable, call_or_explain
from actions.base import TaxAction, enterprise_fields, login_problem, reply, user_text
from common import envelopes
from common.identifiers import is_valid_uscc, normalize_phone, normalize_uscc
from common.petitions import CATEGORIES, TICKET, match_category, suggest_category

__all__ = ["start_petition", "open_petition", "petition_status", "GENERIC_REQUEST", "ValidatePetitionForm",
           "ActionPetitionSubmit", "ActionPetitionStatus", "ASK_ACTIONS", "FORM_SLOTS"]

FORM = "petition_form"
FORM_SLOTS = ("content", "category", "taxpayer_name", "uscc", "contact_phone", "confirm")
NO_USCC = "未提供"
CANCEL = re.compile(r"^(取消|不提了|算了|不用了|退出|不要了|先不了|不办了|结束)")
YES = re.compile(r"^(是|对|好|确认|提交|可以|没问题|行|嗯|ok|yes)", re.I)
NO = re.compile(r"^(不|否|错|不对|有误|修改|no)", re.I)
SKIP = re.compile(r"^(无|没有|不知道|跳过|不提供|略|没)")
GENERIC_REQUEST = re.compile(r"^(我)?(要|想)?(投诉|反映|提|登记|提交|留言|建议|提个|说)(一下|一个|个)?"
                             r"(诉求|意见|建议|问题|情况)?[。！!]*$")
MIN_CONTENT, MAX_CONTENT = 6, 2000

QUESTIONS = {
    "content": "请详细描述您的诉求或意见（发生了什么、涉及的税务机关或事项、希望如何处理）。",
    "category": "根据您的描述，建议归为“{suggested}”。请点选类别（第一个为建议类别），或回复“是”同意建议：{choices}。",
    "taxpayer_name": "请提供纳税人名称（企业全称或个体工商户名称）。",
    "uscc": "请提供统一社会信用代码（18位）；如不便提供，请回复“无”。",
    "contact_phone": "请留一个联系电话（手机或座机），办理结果会通过它反馈给您。",
    "confirm": "请确认以下信息：\n诉求：{content}\n类别：{category}\n纳税人：{taxpayer_name}\n"
               "统一社会信用代码：{uscc}\n联系电话：{contact_phone}\n"
               "无误请点“确认提交”，需要修改请点“修改”，放弃请点“取消”（也可以直接回复这几个字）。",
}
CHOICES = "、".join(f"{i}.{c}" for i, c in enumerate(CATEGORIES, start=1))
CONFIRM_BUTTONS = ("确认提交", "修改", "取消")


def _buttons(titles: Iterable[str]) -> list[dict[str, Any]]:
    """Quick replies that send their own words: the form reads them exactly as if they were typed."""
    return [{"title": title, "payload": title} for title in titles]


def slot_buttons(slot: str, suggested: str | None) -> list[dict[str, Any]]:
    """The choices of a slot that has a fixed set (the category, suggested one first; the confirmation)."""
    if slot == "category":
        first = suggested if suggested in CATEGORIES else None
        return _buttons(([first] if first else []) + [c for c in CATEGORIES if c != first])
    if slot == "confirm":
        return _buttons(CONFIRM_BUTTONS)
    return []


def _slots(tracker: Tracker) -> dict[str, Any]:
    return {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}


def open_petition(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Events that open the form; a demand already told in the message becomes the content."""
    if tracker.get_slot("petition_pending"):  # a submission the API could not take: try again
        return [SlotSet("confirm", True)]
    text = user_text(tracker)
    events: list[EventType] = [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("form_error", None)]
    if len(text) >= 15 and not GENERIC_REQUEST.match(text):
        events += [SlotSet("content", text[:MAX_CONTENT]), SlotSet("suggested_category", suggest_category(text))]
    dispatcher.utter_message(text="好的，我来帮您登记诉求，共几个问题，随时回复“取消”可以退出。")
    return events


def start_petition(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """From another action: open the form and run it next (a demand the NLU did not recognise as one)."""
    return [*open_petition(dispatcher, tracker), FollowupAction(FORM)]


class ActionAskPetitionSlot(TaxAction):
    """Asks for one slot with the `form` envelope, reporting why the previous answer was refused."""

    screens_requests = False  # carries the form on; the enterprise's own account is no request to the bot

    slot = ""

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        values = {k: (v if v is not None else "") for k, v in _slots(tracker).items()}
        suggested = tracker.get_slot("suggested_category") or "其他"
        text = QUESTIONS[self.slot].format(suggested=suggested, choices=CHOICES, **values)
        error = tracker.get_slot("form_error")
        if error:
            text = f"{error}\n{text}"
        reply(dispatcher, text, envelopes.form(FORM, self.slot, error),
              slot_buttons(self.slot, suggested))
        return [SlotSet("form_error", None)]


ASK_ACTIONS = []
for _slot in FORM_SLOTS:
    _cls = type(f"ActionAsk{_slot.title().replace('_', '')}", (ActionAskPetitionSlot,),
                {"slot": _slot, "action_name": f"action_ask_{_slot}", "__doc__": f"Asks for `{_slot}`."})
    globals()[_cls.__name__] = _cls
    ASK_ACTIONS.append(_cls)


def _refuse(slot: str, why: str) -> dict[str, Any]:
    return {slot: None, "form_error": why}


class ValidatePetitionForm(FormValidationAction):
    """Checks each answer; a cancel phrase ends the form with nothing registered."""

    def name(self) -> str:
        return "validate_petition_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        return [] if tracker.get_slot("petition_cancelled") else list(domain_slots)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("requested_slot") and CANCEL.match(user_text(tracker)):
            return [SlotSet("petition_cancelled", True), SlotSet("requested_slot", None)]
        return await super().run(dispatcher, tracker, domain)

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("requested_slot"):
            # The form is opening: the slots the start action cleared (or took from the demand) are no answers.
            # Validated, the cleared ones were refused and the first question came with a stray error.
            return []
        return await super().get_validation_events(dispatcher, tracker, domain)

    def validate_content(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        text = user_text(tracker) if tracker.get_slot("requested_slot") == "content" else str(value or "")
        if len(text) < MIN_CONTENT:
            return _refuse("content", "内容太短了，请具体说明遇到的问题和您的诉求。")
        return {"content": text[:MAX_CONTENT], "suggested_category": suggest_category(text)}

    def validate_category(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> dict[str, Any]:
        text = user_text(tracker)
        chosen = match_category(text)
        if chosen is None and YES.match(text):
            chosen = tracker.get_slot("suggested_category") or "其他"
        if chosen is None:
            return _refuse("category", f"没有识别出类别，请从以下类别中选择：{CHOICES}。")
        return {"category": chosen}

    def validate_taxpayer_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        name = user_text(tracker).strip("。，, ")
        if not 2 <= len(name) <= 100:
            return _refuse("taxpayer_name", "纳税人名称应为2到100个字，请重新输入。")
        return {"taxpayer_name": name}

    def validate_uscc(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: DomainDict) -> dict[str, Any]:
        text = user_text(tracker)
        if SKIP.match(text):
            return {"uscc": NO_USCC}
        code = normalize_uscc(text)
        if not is_valid_uscc(code):
            return _refuse("uscc", "这个统一社会信用代码校验未通过（应为18位，且最后一位校验码正确），"
                                   "请核对后重新输入，或回复“无”跳过。")
        return {"uscc": code}

    def validate_contact_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        phone = normalize_phone(user_text(tracker))
        if not phone:
            return _refuse("contact_phone", "电话号码格式不正确，请输入11位手机号或带区号的座机号（如010-62345678）。")
        return {"contact_phone": phone}

    def validate_confirm(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        text = user_text(tracker)
        if NO.match(text):  # start over from the content, keeping nothing half-changed
            return dict.fromkeys(FORM_SLOTS) | {"form_error": "好的，我们重新填写。"}
        if YES.match(text):
            return {"confirm": True}
        return _refuse("confirm", "请回复“确认提交”、“修改”或“取消”。")


def idempotency_key(sender_id: str, content: str) -> str:
    """Same conversation and same demand → same key, so a repeated submission returns the same ticket."""
    return hashlib.sha256(f"{sender_id}\n{content.strip()}".encode()).hexdigest()[:32]


SUBMIT_RETRY_DELAYS = (0.5, 1.5)
"""Waits before registering again when the API could not be reached or failed (an instance restarting): the
idempotency key makes a repeat return the first registration, never a second petition."""


async def _register(body: dict[str, Any]) -> Any:
    for delay in (*SUBMIT_RETRY_DELAYS, None):
        try:
            return await ApiClient().request("POST", "/api/internal/petitions", json=body)
        except ApiUnavailable:
            if delay is None:
                raise
            await asyncio.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


class ActionPetitionSubmit(TaxAction):
    """Registers the confirmed petition through the API; reports only what the API acknowledged."""

    screens_requests = False  # the answer to "确认提交" closes the form

    action_name = "action_petition_submit"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        clear = [SlotSet(slot, None) for slot in FORM_SLOTS] + [
            SlotSet("petition_cancelled", None), SlotSet("petition_pending", None), SlotSet("suggested_category", None)]
        if tracker.get_slot("petition_cancelled") or not tracker.get_slot("confirm"):
            reply(dispatcher, "已取消，本次诉求没有登记。如需帮助随时告诉我。", envelopes.form_cancelled(FORM))
            return clear
        slots = _slots(tracker)
        body = {
            "content": slots["content"], "category": slots["category"], "taxpayer_name": slots["taxpayer_name"],
            "uscc": None if slots["uscc"] in (None, NO_USCC) else slots["uscc"],
            "contact_phone": slots["contact_phone"],
            **enterprise_fields(tracker), "idempotency_key": idempotency_key(tracker.sender_id, slots["content"] or ""),
        }
        try:
            created = await _register(body)
        except ApiRejected as exc:
            reply(dispatcher, f"抱歉，诉求未能登记：{exc.message}", envelopes.fallback("petition_rejected"))
            return clear
        except ApiUnavailable:
            reply(dispatcher, "抱歉，登记系统暂时无法连接，您的诉求还没有登记成功。您填写的内容已为您保留，"
                              "稍后回复“我要提诉求”即可直接重新提交；紧急情况请拨打12366。",
                  envelopes.fallback("petition_unavailable"))
            return [SlotSet("petition_pending", True)]
        text = (f"您的诉求已登记，受理编号：{created['ticket']}（类别：{created['category']}）。"
                f"我们将在{created['due_date']}前办结并通过您留的电话反馈。"
                "您可随时发送受理编号查询办理进度。")
        reply(dispatcher, text, envelopes.petition_created(created["ticket"], created["category"],
                                                           created["received_at"], created["due_date"]))
        return clear


async def petition_status(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The logged-in enterprise's latest petitions, or one ticket with the phone it was filed with."""
    identity = enterprise_fields(tracker)
    text = user_text(tracker)
    ticket = TICKET.search(text.upper())
    phones = [e["value"] for e in tracker.latest_message.get("entities", []) if e.get("entity") == "phone"]
    if not identity["enterprise_grant"] and not (ticket and phones):
        reply(dispatcher, (login_problem(tracker) or "为保护您的信息，请登录后查询。")
              + "也可以同时提供受理编号和登记时留的联系电话，例如：SQ-20261123-0001 13912345678。",
              envelopes.fallback("login_required"))
        return []
    result = await call_or_explain(
        dispatcher, "POST", "/api/internal/petitions/status",
        {**identity, "ticket": ticket.group(0) if ticket else None,
         "contact_phone": phones[0] if phones else None, "text": text},
        rejected_reason="petition_not_found", rejected_text="没有找到您的诉求记录。",
        unavailable_text="抱歉，诉求查询服务暂时无法使用，请稍后再试或拨打12366。")
    if result is None:
        return []
    for item in result.get("petitions", []):
        reply(dispatcher, item["text"], envelopes.petition_status(item["ticket"], item["status"], item.get("due_date")))
    if not result.get("petitions"):
        reply(dispatcher, "没有找到您的诉求记录。", envelopes.fallback("petition_not_found"))
    return []


class ActionPetitionStatus(TaxAction):
    """A petition's status is personal: the logged-in enterprise's own, or a ticket with its phone number."""

    action_name = "action_petition_status"

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return await petition_status(dispatcher, tracker)
