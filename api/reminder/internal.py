"""/api/internal/reminders/answer: the enterprise answered a reminder in the chat (``ServiceCaller`` only).

The enterprise is the one of the bot grant (api.auth.grants) — never a USCC typed in the chat. The
answer is the intent Rasa recognised (a button carries the reminder's id; words find the latest open
reminder the answer fits). The reply tells the action what to say: an acknowledgement, the knowledge
topic to explain (怎么享受 / 怎么修复), that a person should take over (需要帮助), or the repair case.
"""
from __future__ import annotations

from fastapi import APIRouter

from api.auth.deps import ServiceCaller
from api.auth.grants import grant_identity
from api.core.database import SessionDep
from api.core.errors import Conflict
from api.core.runtime import SettingsDep
from api.core.time import aware_now
from api.org.service import serving_unit
from api.reminder import service
from api.reminder.delivery import envelope
from api.reminder.schemas import AnswerRequest, AnswerResult, OpenReminders, OwnRemindersQuery, repair_wire

__all__ = ["router"]

router = APIRouter(prefix="/api/internal/reminders", tags=["internal"])

ACKS = {
    "claimed": "好的，已记录您已享受该优惠。如有变化可随时咨询。",
    "not_applicable": "好的，已记录该优惠不适用于贵企业，后续不再就此提醒。",
    "corrected": "感谢您及时处理，已记录为已自查更正/已纠正。",
    "explained": "已记录您说明的原因，主管税务机关会结合情况核实。",
    "how": "以下是办理指引：",
    "help": "好的，正在为您转接人工坐席。",
}


@router.post("/open", response_model=OpenReminders, summary="登录企业尚未回复的提醒（风险在前）")
def open_reminders(body: OwnRemindersQuery, caller: ServiceCaller, session: SessionDep, settings: SettingsDep) -> dict:
    uscc = grant_identity(body, settings, login_required="请先登录电子税务局后再查看本企业的提醒").uscc
    items = service.open_for(uscc, session=session)
    return {"reminders": [{**envelope(r), "message": r.message, "buttons": service.buttons_for(r)} for r in items]}


@router.post("/answer", response_model=AnswerResult, summary="记录企业对提醒的回复")
def answer(body: AnswerRequest, caller: ServiceCaller, session: SessionDep, settings: SettingsDep) -> dict:
    uscc = grant_identity(body, settings, login_required="请先登录电子税务局后再回复提醒").uscc
    reminder = service.find_for_answer(uscc, body.answer, body.reminder_id, session=session)
    code = service.answer_for_intent(body.answer, reminder.type)
    if code is None:
        raise Conflict("该提醒不支持这个回复", code="answer_does_not_fit")
    explanation = body.explanation or (body.text if code == "explained" else None)
    now = aware_now()
    service.record_answer(reminder, code, explanation, session=session, now=now)
    result = {"reminder_id": reminder.id, "type": reminder.type, "answer": code, "topic": None, "handoff": False,
              "repairs": [], "text": ACKS.get(code, "已为您记录。")}
    if code == "how":
        result["topic"] = reminder.topic
    elif code == "help":
        result["handoff"] = True
    elif code == "apply":
        # decided by the unit whose seats serve the enterprise's chat (属地, as its petitions)
        unit = serving_unit(uscc, session=session, settings=settings)
        applications = service.apply_repair(reminder, session=session, now=now, unit_id=unit.id)
        result["repairs"] = [repair_wire(a) for a in applications]
        due = applications[0].due_date
        result["text"] = (f"已受理您的信用修复申请（共{len(applications)}项），"
                          + (f"将在{due:%Y年%m月%d日}前（5个工作日内）办结，" if due else "将在5个工作日内办结，")
                          + "结果会通过消息告知您。")
    session.commit()
    return result
