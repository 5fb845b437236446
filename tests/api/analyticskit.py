"""A hand-made day of conversations for the analytics tests, written straight into the hub's tables.

DAY (a Wednesday, Asia/Shanghai) holds five conversations of one unit; the numbers every test expects
are worked out by hand below (EXPECTED), from the definitions in docs/dashboard-api.md.

* c1 enterprise (成都小微商贸有限公司): a question with the enterprise's name, USCC and phone → an answer
  marked 有用; the next day "谢谢" → small talk (a turn of the next day, but the conversation's own).
* c2 visitor: two questions about 社保卡 → two fallbacks, 转人工 → handoff; a seat (clerk) answers and closes;
  rated 5 (queued 10:05, assigned 10:06, first answer 10:07, closed 10:20).
* c3 visitor: 发票开错了 → clarify, then an answer marked 没用 → contained (clarified).
* c4 enterprise (another one): 我要投诉 → petition_created, ticket set.
* c5 visitor at 00:30 (16:30 UTC the day before): 你好 → small talk (engaged, nothing answered: other).
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from api.hub.models import Conversation, Message
from common.identifiers import make_uscc
from common.workdays import CHINA_TZ

DAY = date(2026, 10, 14)
NEXT = DAY + timedelta(days=1)
USCC = make_uscc(4242)
OTHER_USCC = make_uscc(4343)
NAME = "成都小微商贸有限公司"
PHONE = "13800138000"
C1_QUESTION = f"我们是{NAME}，信用代码{USCC}，电话{PHONE}，小规模纳税人季度销售额28万要交增值税吗"

ANSWER_VAT = {"kind": "answer", "topic": "vat-small-scale-exemption", "entry": "vat-small-scale-exemption-threshold",
              "title": "小规模纳税人免征增值税", "sources": [], "current": True, "review": True}
ANSWER_RED = {"kind": "answer", "topic": "invoice-red-letter", "entry": "invoice-red-letter-confirmation",
              "title": "红字发票", "sources": [], "current": True, "review": False}
CLARIFY = {"kind": "clarify", "options": [
    {"topic": "invoice-red-letter", "title": "红字发票", "entry": "invoice-red-letter-confirmation"},
    {"topic": "invoice-digital", "title": "数电发票", "entry": "invoice-digital-issuing-channels"}]}
FALLBACK = {"kind": "fallback", "reason": "no_answer"}

EXPECTED = {  # DAY, all channels
    "conversations": 5, "engaged": 5, "contained": 2, "handed_off": 1, "petitions": 1,
    "messages": 17, "user_messages": 8, "bot_turns": 8, "answered": 2, "clarified": 1, "fell_back": 2,
    "handoff_turns": 1, "feedback_useful": 1, "feedback_useless": 1,
}
EXPECTED_ENTERPRISE = {"conversations": 2, "engaged": 2, "contained": 1, "handed_off": 0, "petitions": 1,
                       "messages": 4, "user_messages": 2, "bot_turns": 2, "answered": 1}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ).astimezone(timezone.utc)


@dataclass
class Day:
    c1: Conversation
    c2: Conversation
    c3: Conversation
    c4: Conversation
    c5: Conversation
    c2_fallbacks: list[Message]
    c1_answer: Message
    c1_question: Message


def _conversation(session, unit_id: int, identity: str, created: datetime, **extra) -> Conversation:
    conv = Conversation(identity=identity, rasa_sender=f"analytics-{identity}-{created.timestamp()}", unit_id=unit_id,
                        mode=extra.pop("mode", "bot"), created_at=created, last_message_at=created, had_human=False,
                        seat_read_id=0, **extra)
    session.add(conv)
    session.flush()
    return conv


def _say(session, conv: Conversation, sender: str, text: str, when: datetime, *, custom=None, intent=None,
         confidence=None, feedback=None, staff=None, mode=None) -> Message:
    message = Message(conversation_id=conv.id, sender=sender, sender_name={"user": conv.enterprise_name or "访客",
                                                                           "bot": "智能助手"}.get(sender, "系统消息"),
                      sender_staff_id=staff.id if staff else None, mode=mode or "bot", text=text, custom=custom,
                      kind=(custom or {}).get("kind"), intent=intent, confidence=confidence, internal=False,
                      feedback=feedback, feedback_at=when + timedelta(minutes=1) if feedback else None, created_at=when)
    if staff is not None:
        message.sender_name = staff.display_name
    session.add(message)
    conv.last_message_at = max(conv.last_message_at, when)
    session.flush()
    return message


def build_day(session, unit_id: int, seat, tag: str = "") -> Day:
    """The five conversations of DAY in ``unit_id``; ``seat`` is the staff account that serves c2."""
    c1 = _conversation(session, unit_id, f"e:{USCC}{tag}", at(DAY, 9, 0), uscc=USCC, enterprise_name=NAME)
    q1 = _say(session, c1, "user", C1_QUESTION, at(DAY, 9, 0))
    a1 = _say(session, c1, "bot", "按季申报的，季度销售额30万元以下免征增值税……", at(DAY, 9, 1), custom=ANSWER_VAT,
              intent="ask_tax_question", confidence=0.93, feedback="useful")
    _say(session, c1, "user", "谢谢", at(NEXT, 9, 0))
    _say(session, c1, "bot", "不客气", at(NEXT, 9, 1), custom={"kind": "smalltalk"}, intent="thank", confidence=0.99)

    c2 = _conversation(session, unit_id, f"v:analytics-c2{tag}", at(DAY, 10, 0))
    _say(session, c2, "user", "社保卡丢了怎么补办", at(DAY, 10, 0))
    f1 = _say(session, c2, "bot", "抱歉，这个问题我暂时没有把握准确回答。", at(DAY, 10, 1), custom=FALLBACK,
              intent="ask_tax_question", confidence=0.41)
    _say(session, c2, "user", f"社保卡丢了如何补办 电话{PHONE}", at(DAY, 10, 2))
    f2 = _say(session, c2, "bot", "抱歉，这个问题我暂时没有把握准确回答。", at(DAY, 10, 3), custom=FALLBACK,
              intent="ask_tax_question", confidence=0.38)
    _say(session, c2, "user", "转人工", at(DAY, 10, 4))
    _say(session, c2, "bot", "正在为您转接人工服务", at(DAY, 10, 5), custom={"kind": "handoff", "tier": "staff",
                                                                        "status": "queued", "position": 1},
         intent="request_human", confidence=0.99)
    _say(session, c2, "system", "税务干部已接入", at(DAY, 10, 6), mode="human")
    _say(session, c2, "staff", "您好，社保卡补办请到社保经办机构。", at(DAY, 10, 7), staff=seat, mode="human")
    c2.queued_at, c2.assigned_at, c2.first_response_at, c2.closed_at = (at(DAY, 10, 5), at(DAY, 10, 6),
                                                                       at(DAY, 10, 7), at(DAY, 10, 20))
    c2.mode, c2.tier, c2.reason, c2.had_human, c2.assigned_staff_id = "closed", "staff", "bot_failed", True, seat.id
    c2.rating, c2.rated_at = 5, at(DAY, 10, 21)

    c3 = _conversation(session, unit_id, f"v:analytics-c3{tag}", at(DAY, 11, 0))
    _say(session, c3, "user", "发票开错了怎么办", at(DAY, 11, 0))
    _say(session, c3, "bot", "您想了解哪一项？", at(DAY, 11, 1), custom=CLARIFY, intent="ask_tax_question",
         confidence=0.77)
    _say(session, c3, "user", "红字发票", at(DAY, 11, 2))
    _say(session, c3, "bot", "开具红字发票……", at(DAY, 11, 3), custom=ANSWER_RED, intent="ask_tax_question",
         confidence=0.88, feedback="useless")

    c4 = _conversation(session, unit_id, f"e:{OTHER_USCC}{tag}", at(DAY, 14, 0), uscc=OTHER_USCC,
                       enterprise_name="成都另一家商贸有限公司", petition_ticket="SQ-20261014-0001")
    _say(session, c4, "user", "我要投诉", at(DAY, 14, 0))
    _say(session, c4, "bot", "已登记您的诉求", at(DAY, 14, 5), custom={"kind": "petition_created",
                                                                "ticket": "SQ-20261014-0001"},
         intent="file_petition", confidence=0.95)

    c5 = _conversation(session, unit_id, f"v:analytics-c5{tag}", at(DAY, 0, 30))  # 16:30 UTC the day before
    _say(session, c5, "user", "你好", at(DAY, 0, 30))
    _say(session, c5, "bot", "您好！", at(DAY, 0, 31), custom={"kind": "smalltalk"}, intent="greet", confidence=0.99)
    session.commit()
    return Day(c1, c2, c3, c4, c5, [f1, f2], a1, q1)


class Trainer:
    """Stands in for `rasa train` and Rasa's PUT /model: records what it was asked, makes a model file."""

    def __init__(self, fail: bool = False) -> None:
        self.fail, self.trained, self.loaded = fail, [], []

    def train(self, knowledge, data, models, *, now, rasa=None):
        from api.improvement.training import TrainedModel

        if self.fail:
            raise subprocess.CalledProcessError(1, "rasa train")
        name = f"retrain-{now:%Y%m%d-%H%M%S}"
        models.mkdir(parents=True, exist_ok=True)
        (models / "current.tar.gz").write_bytes(b"model")
        self.trained.append((knowledge, data))
        return TrainedModel(name, models / "current.tar.gz")

    def load(self, rasa_url, model, secret):
        self.loaded.append(model)
        return True
