"""Demo conversations: weeks of made-up but realistic chat traffic, so that the operator dashboard (/dashboard) and
the conversation review have something to show in a demo (``make run``) and something heavy to be measured on
(tools/bench_analytics.py, 1,000,000 messages). No real person or enterprise is in it.

A day of traffic: questions answered from the real knowledge base (rendered and cited as the bot does),
clarifications, fallbacks on questions the knowledge base does not cover, small talk, 有用/没用 on answers,
handoffs to the unit's seats (now and then an expert) with a wait, a short exchange and a rating, and petitions
filed in the chat. Around it: petitions received through the other channels, reminder campaigns and review tags.
Traffic grows over the span, is lighter at weekends and on holidays and heavier in the filing period (1st–15th),
and follows the hours of an office day. Conversations start two hours before ``now`` at the latest (they are
over by then); petitions have progressed as far as ``now``.

* :func:`seed_conversations` writes a :class:`TrafficPlan` — the bench describes its own four-unit world;
* :func:`seed_demo_conversations` is the demo of ``make run``: the unit that serves the chat and its seats,
  conversations of the generated demo enterprises (:mod:`tools.demo.enterprises`) and of visitors, then the daily
  aggregation of every day seeded. It does nothing when demo conversations exist (``rasa_sender`` ``demo-…``).

Both flush and never commit; the scripts commit. Rows go in with PostgreSQL's COPY, or batched executemany
INSERTs on SQLite (the bulk writer of :mod:`tools.demo.enterprises`). The same plan, seed and ``now`` give the same
data.
"""
from __future__ import annotations

import random
import secrets
import time as clock
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from api.analytics.aggregate import aggregate_day
from api.core.time import aware_now, china_date, due_after
from api.enterprise.models import Enterprise
from api.enterprise.showcase import SHOWCASE_USCC
from api.hub.models import Conversation, Message
from api.hub.schemas import seat_label, seat_name
from api.hub.service import BOT_NAME, SYSTEM_NAME
from api.org.models import StaffAccount
from api.petition.constants import FEEDBACK_DAYS, HANDLING_DAYS, HANDOVER_DAYS
from api.petition.models import Petition, PetitionTicketCounter
from api.petition.tickets import format_ticket
from api.reminder.campaigns import send_in
from api.reminder.models import Campaign
from api.review.models import ReviewTag
from common import envelopes
from common.petitions import CHANNELS, suggest_category
from common.workdays import CHINA_TZ, is_working_day, known_years
from tools.demo.enterprises import bulk_insert  # one bulk writer for every demo table: COPY or executemany

__all__ = ["DAYS", "DEFAULT_SEED", "DEMO_SENDER", "DEMO_CONVERSATIONS", "MESSAGES_PER_CONVERSATION", "Seat",
           "ServiceUnit", "TrafficPlan", "seed_conversations", "seed_demo_conversations", "demo_conversations_exist",
           "demo_enterprises"]

DAYS = 90
DEFAULT_SEED = 20261123
DEMO_SENDER = "demo-"  # Rasa sender ids of demo conversations: demo-<conversation id>-<random>, never guessable
DEMO_CONVERSATIONS = 9_000  # seeds in well under a minute on SQLite
MESSAGES_PER_CONVERSATION = 10
PETITIONS_PER_CONVERSATION = 0.06  # those filed in the chat (2 %) and the others, through the other channels
DEMO_CAMPAIGNS = 8
BATCH = 2_000  # conversations generated and written at a time: memory stays flat at a million messages
END_MARGIN = timedelta(hours=2)  # a conversation starts this long before now at the latest, so it is over by now

# -- what people say -----------------------------------------------------------------------------------------

KIND_SHARES = (("answered", 0.50), ("clarified", 0.62), ("fell_back", 0.74), ("handed_off", 0.85),
               ("petition", 0.87), ("other", 1.0))  # cumulative: half answered, 11 % to a person, 2 % petitions
UNCOVERED_SUBJECTS = ("社保卡丢了", "公积金提取", "营业执照地址变更", "商标注册", "银行对公账户开户", "外汇收款登记",
                      "个人养老金账户", "房产过户", "车辆年检", "营业执照年报", "食品经营许可证", "出口退税备案",
                      "海关报关", "劳动合同备案", "员工工伤认定", "医保报销", "专利申请费用", "招投标资质",
                      "银行贷款贴息", "残疾人就业保障金减免申请", "工商注销", "法人变更", "股权转让登记", "税控盘退费",
                      "电子营业执照下载")
UNCOVERED_ASKS = ("怎么办", "如何办理", "去哪里办", "需要什么材料", "多久能办好", "网上能办吗")
VAGUE = ("发票怎么弄", "怎么申报", "退税", "信用等级", "税率是多少", "能不能免税", "怎么交税", "补贴怎么领")
SMALLTALK = (("你好", "greet", "您好！我是办税助手，请问有什么可以帮您？"), ("谢谢", "thank", "不客气，祝您办税顺利！"),
             ("在吗", "greet", "在的，请说。"), ("好的明白了", "affirm", "好的，还有其他问题随时问我。"))
DEMANDS = ("数电发票开具时提示授信额度不足，无法继续开票，希望尽快调整开票额度。",
           "电子税务局登录后页面一直加载，无法进行增值税申报。", "留抵退税申请提交已经多日，仍未收到退税款，请核实进度。",
           "小规模纳税人减免增值税政策在电子税务局无法勾选，申报时提示错误。", "社保费缴费基数调整太突然，希望提前通知企业。",
           "申请信用修复后信用等级迟迟没有恢复，已补正逾期申报。", "红字信息确认单无法确认，对方企业称未收到，影响发票冲红。",
           "12366热线长时间占线，打了多次都没有接通。", "办税服务厅排队时间过长，等候两小时才办理。",
           "智能助手回答不了社保卡补办的问题，希望增加相关内容。", "税务检查时工作人员没有出示证件，态度强硬。",
           "对逾期申报的罚款决定有异议，希望了解申请行政复议的途径。")
RESOLUTIONS = ("已核实情况并处理完毕，已电话告知企业。", "已协调相关部门解决，企业表示认可。",
               "已向企业解释政策口径并指导操作，问题已解决。", "已转相关系统运维部门修复，企业确认可以正常办理。")
FALLBACK_TEXT = ("抱歉，这个问题我暂时没有把握准确回答。\n您可以：\n1. 换个说法再问我一次；\n2. 回复“转人工”由税务人员为您解答；"
                 "\n3. 拨打12366纳税缴费服务热线；\n4. 回复“我要提诉求”登记您的诉求或意见。")
CLARIFY_TEXT = "您的问题可能涉及以下几个方面，请选择最接近的一项（也可以补充说明具体情况）："
SEAT_SAYS = ("您好，请问具体是什么问题？", "已为您查询，请稍候。", "这个需要到办税服务厅办理，请携带营业执照和经办人身份证。",
             "好的，还有其他问题吗？", "您可以在电子税务局“我要办税”里办理，我把路径发给您。")
USER_TELLS_SEAT = ("我们是小规模纳税人，上个月刚登记。", "好的，谢谢。", "需要带什么材料？", "明白了，我试一下。")
HANDOFF_REASONS = (("user_request", 50), ("bot_failed", 30), ("bot_failed_twice", 10), ("topic", 10))
RATINGS = ((5, 60), (4, 25), (3, 8), (2, 4), (1, 3))
WALK_IN_CHANNELS = tuple((c, w) for c, w in zip(CHANNELS, (35, 20, 10, 0, 5)) if w)  # the chat's own are the others  # noqa: B905
CAMPAIGN_RULES = (("cit-small-low-profit", "小型微利企业所得税优惠"), ("vat-small-scale-exemption", "小规模纳税人免征增值税"),
                  ("risk-overdue-filing", "逾期申报风险"), ("credit-correct-deductions", "纳税信用扣分纠正"),
                  ("six-taxes-two-fees", "“六税两费”减征"), ("risk-invoice-sales-mismatch", "开票与申报收入差异风险"),
                  ("iit-individual-business-halving", "个体工商户个人所得税减半"),
                  ("credit-repair-application", "纳税信用修复申请"))  # one rule each: every campaign has an audience
REVIEW_TAG = "错答"
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 10, 6, 8, 12, 12, 10, 8, 6, 5, 4, 3, 2, 1)  # Shanghai hours

Turn = tuple  # (sender, text, custom, intent, confidence, feedback): one line of the bot part
TICKET_PENDING: dict = {}  # the custom of the chat petition's last turn, written once its ticket is taken


# -- what to generate ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Seat:
    id: int
    name: str
    role: str = "staff"  # staff | expert

    @property
    def label(self) -> str:
        """How the hub announces the seat: 税务干部 王芳 (api.hub.schemas.seat_label, one wording)."""
        return seat_label(self.role, self.name)


@dataclass(frozen=True)
class ServiceUnit:
    """A unit that serves the chat, with the seats that take its handoffs (experts take one in ten, if any)."""
    id: int
    staff: tuple[Seat, ...]
    experts: tuple[Seat, ...] = ()

    @classmethod
    def of(cls, unit_id: int, accounts: Sequence[StaffAccount]) -> ServiceUnit:
        """From staff accounts (or rows with their ``id``, ``display_name`` and ``role``)."""
        seats = [Seat(a.id, seat_name(a.display_name), a.role) for a in accounts]
        experts = tuple(s for s in seats if s.role == "expert")
        return cls(unit_id, tuple(s for s in seats if s not in experts), experts)


@dataclass(frozen=True)
class TrafficPlan:
    """What to generate: how much, over which days, in which units, for which enterprises."""
    conversations: int
    messages: int  # in all: conversations get more question/answer pairs until this is reached
    today: date  # the last day (Shanghai)
    units: tuple[ServiceUnit, ...]
    enterprises: tuple[tuple[str, str], ...]  # (USCC, name) of the enterprises that chat logged in
    days: int = DAYS
    now: datetime | None = None  # when the data are made (see END_MARGIN); default: the end of ``today``
    enterprise_share: float = 0.4  # the others are visitors
    petitions: int = 0  # in all: those filed in the chat, then walk-ins through the other channels up to this
    campaigns: int = 0
    operator_id: int | None = None  # who created the campaigns and tags conversations in review (none: no tags)
    tag_every: int = 400  # one conversation in this many carries a review tag
    sender_prefix: str = DEMO_SENDER  # marks generated conversations: Rasa sender ids are <prefix><id>
    seed: int = DEFAULT_SEED

    def __post_init__(self) -> None:
        if self.conversations < 1 or self.days < 1:
            raise ValueError("a plan needs at least one conversation and one day")
        if not self.units or any(not unit.staff for unit in self.units):
            raise ValueError("every unit needs at least one staff seat to hand conversations to")
        if not self.enterprises:
            raise ValueError("a plan needs enterprises: they chat logged in, and file petitions")
        if self.now is not None and self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=self.days - 1)

    @property
    def end(self) -> datetime:
        return self.now or _at(self.today + timedelta(days=1), 0)


def _at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A Shanghai wall-clock time as an aware moment."""
    return datetime.combine(day, time(hour, minute, second), CHINA_TZ)


T = TypeVar("T")


def _weighted(rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


# -- when ------------------------------------------------------------------------------------------------------

class _Calendar:
    """When things happen: each day's share of the traffic and the hours of the day, up to ``latest`` (the last
    moment a conversation may start: END_MARGIN before the end, so that it is over by then)."""

    def __init__(self, plan: TrafficPlan, rng: random.Random) -> None:
        self.rng = rng
        self.latest = (plan.end - END_MARGIN).astimezone(CHINA_TZ)
        self.days = [plan.first_day + timedelta(days=i) for i in range(plan.days)]
        self.hours = {day: self._open_hours(day) for day in self.days}
        self.weights = [self._busyness(i, day) for i, day in enumerate(self.days)]
        if not any(self.weights):
            raise ValueError("no time left for conversations in the span")

    def _open_hours(self, day: date) -> list[int]:
        """Hour weights of ``day``; on the day of ``latest`` only the hours over before it."""
        if day > self.latest.date():
            return [0] * 24
        if day < self.latest.date():
            return list(HOUR_WEIGHTS)
        return [w if hour < self.latest.hour else 0 for hour, w in enumerate(HOUR_WEIGHTS)]

    def _busyness(self, index: int, day: date) -> float:
        growth = 0.7 + 0.3 * index / max(1, len(self.days) - 1)  # the service is catching on
        working = is_working_day(day) if day.year in known_years() else day.weekday() < 5
        filing = 1.25 if day.day <= 15 else 1.0  # the monthly filing period
        return growth * (1.0 if working else 0.3) * filing * sum(self.hours[day]) / sum(HOUR_WEIGHTS)

    def moments(self, count: int) -> list[datetime]:
        """``count`` moments spread over the span by busyness and hour, in order."""
        days = self.rng.choices(self.days, weights=self.weights, k=count)
        return sorted(self.moment(day) for day in days)

    def moment(self, day: date) -> datetime:
        hour = self.rng.choices(range(24), weights=self.hours[day])[0]
        return _at(day, hour, self.rng.randint(0, 59), self.rng.randint(0, 59))


# -- what is said ----------------------------------------------------------------------------------------------

class _Talk:
    """The bot part's turns, built from the knowledge base (answers rendered and cited as the bot does on
    ``today``) and the vocabulary above."""

    def __init__(self, rng: random.Random, today: date) -> None:
        from knowledge.base import get_knowledge_base  # loads and indexes the knowledge base: only when needed

        kb = get_knowledge_base()
        self.rng = rng
        entries = [e for e in kb.entries.values() if e.questions]
        # One rendered text and envelope per entry, shared by every message that answers with it.
        self.answers = [(e.questions, kb.render(e, today), kb.envelope(e, today)) for e in entries]
        first_of_topic: dict = {}
        for entry in entries:
            first_of_topic.setdefault(entry.topic, entry)
        self.options = [{"topic": e.topic, "title": e.title, "entry": e.id} for e in first_of_topic.values()]

    def ask(self) -> list[Turn]:
        questions, answer, envelope = self.rng.choice(self.answers)
        question = self.rng.choice(questions)
        if self.rng.random() < 0.03:  # people paste their phone number: the dashboard must mask it
            question = f"{question}，我电话1{self.rng.randint(3, 9)}{self.rng.randint(100000000, 999999999)}"
        feedback = self.rng.choices((None, "useful", "useless"), weights=(86, 11, 3))[0]
        return [("user", question, None, None, None, None),
                ("bot", answer, envelope, "ask_tax_question", round(self.rng.uniform(0.7, 0.99), 3), feedback)]

    def fallback(self) -> list[Turn]:
        # A few subjects come up far more often than the rest: the unanswered chart has leaders.
        subjects = UNCOVERED_SUBJECTS[:int(len(UNCOVERED_SUBJECTS) * self.rng.random()) + 1]
        question = f"{self.rng.choice(subjects)}{self.rng.choice(UNCOVERED_ASKS)}"
        reason = self.rng.choices(("no_answer", "out_of_scope"), weights=(8, 2))[0]
        return [("user", question, None, None, None, None),
                ("bot", FALLBACK_TEXT, envelopes.fallback(reason), "ask_tax_question",
                 round(self.rng.uniform(0.3, 0.6), 3), None)]

    def clarify(self) -> list[Turn]:
        options = self.rng.sample(self.options, 2)
        return [("user", self.rng.choice(VAGUE), None, None, None, None),
                ("bot", CLARIFY_TEXT, envelopes.clarify(options), "ask_tax_question",
                 round(self.rng.uniform(0.5, 0.8), 3), None)]

    def smalltalk(self) -> list[Turn]:
        said, intent, reply = self.rng.choice(SMALLTALK)
        return [("user", said, None, None, None, None), ("bot", reply, envelopes.smalltalk(), intent, 0.99, None)]

    def filler(self) -> list[Turn]:
        return self.ask() if self.rng.random() < 0.85 else self.smalltalk()

    @staticmethod
    def request_person() -> list[Turn]:
        return [("user", "转人工", None, None, None, None),
                ("bot", "正在为您转接人工服务，请稍候。", envelopes.handoff("staff", "queued", 1), "request_human", 0.99,
                 None)]

    @staticmethod
    def petition(demand: str) -> list[Turn]:
        """The petition form, short; its last turn is written once the ticket is taken (:class:`_PetitionDesk`)."""
        return [("user", "我要投诉", None, None, None, None),
                ("bot", "请说明您的诉求内容。", envelopes.form("petition_form", "content"), "file_petition", 0.97, None),
                ("user", demand, None, None, None, None),
                ("bot", "", TICKET_PENDING, "inform", 0.9, None)]


@dataclass
class _Planned:
    """One conversation before it is written: when, how it goes, how long it is."""
    start: datetime
    kind: str
    core: list[Turn]
    seat_lines: int = 0  # the human part: the seat's joining line, then the seat and the enterprise by turns
    fillers: int = 0  # question/answer pairs before the core
    demand: str | None = None

    @property
    def length(self) -> int:
        return len(self.core) + 2 * self.fillers + self.seat_lines


def _plan_one(start: datetime, talk: _Talk, rng: random.Random) -> _Planned:
    draw = rng.random()
    kind = next(kind for kind, upto in KIND_SHARES if draw < upto)
    if kind == "answered":
        return _Planned(start, kind, talk.ask())
    if kind == "clarified":
        return _Planned(start, kind, talk.clarify() + talk.ask())
    if kind == "fell_back":
        again = talk.fallback() if rng.random() < 0.3 else []
        then_answered = talk.ask() if rng.random() < 0.4 else []
        return _Planned(start, kind, talk.fallback() + again + then_answered)
    if kind == "handed_off":
        failed_first = talk.fallback() if rng.random() < 0.6 else []
        return _Planned(start, kind, failed_first + talk.request_person(), seat_lines=rng.randint(3, 6))
    if kind == "petition":
        demand = rng.choice(DEMANDS)
        return _Planned(start, kind, talk.petition(demand), demand=demand)
    return _Planned(start, kind, talk.smalltalk())


def _plan_conversations(plan: TrafficPlan, talk: _Talk, calendar: _Calendar, rng: random.Random) -> list[_Planned]:
    """Every conversation's core in time order, then question/answer pairs spread over them until the message
    total is reached (one last unanswered 好的 when it is odd)."""
    planned = [_plan_one(start, talk, rng) for start in calendar.moments(plan.conversations)]
    remaining = plan.messages - sum(p.length for p in planned)
    talkative = [p for p in planned if p.kind != "other"] or planned
    while remaining >= 2:
        rng.choice(talkative).fillers += 1
        remaining -= 2
    if remaining == 1:
        planned[-1].core = planned[-1].core + [("user", "好的", None, None, None, None)]  # noqa: RUF005
    return planned


# -- petitions ---------------------------------------------------------------------------------------------------

class _PetitionDesk:
    """Registers petitions in the order they arrive: the chat's as their conversations reach the form, walk-ins
    (hotline, website …) as the clock passes them. Tickets continue each day's counter (``counters``: day → last
    number already given), so they never collide with petitions filed for real."""

    def __init__(self, plan: TrafficPlan, rng: random.Random, walk_ins: list[datetime], counters: dict[date, int]):
        self.plan, self.rng, self.now = plan, rng, plan.end
        self.walk_ins = deque(walk_ins)
        self.counters = dict(counters)
        self.rows: list[dict] = []

    def file_from_chat(self, received: datetime, unit_id: int, taxpayer: str, uscc: str | None, demand: str,
                       sender: str) -> dict:
        self.receive_walk_ins(until=received)
        return self._register(received, "智能助手", unit_id, taxpayer, uscc, demand, sender)

    def receive_walk_ins(self, until: datetime | None = None) -> None:
        while self.walk_ins and (until is None or self.walk_ins[0] <= until):
            received = self.walk_ins.popleft()
            uscc, name = self.rng.choice(self.plan.enterprises)
            self._register(received, _weighted(self.rng, WALK_IN_CHANNELS), self.rng.choice(self.plan.units).id,
                           name, uscc, self.rng.choice(DEMANDS), None)

    def _ticket(self, day: date) -> str:
        self.counters[day] = self.counters.get(day, 0) + 1
        return format_ticket(day, self.counters[day])

    def _register(self, received: datetime, channel: str, unit_id: int, taxpayer: str, uscc: str | None,
                  demand: str, sender: str | None) -> dict:
        rng = self.rng
        row = {"ticket": self._ticket(china_date(received)), "taxpayer_name": taxpayer, "uscc": uscc,
               "contact_phone": f"13{rng.randint(100000000, 999999999)}", "content": demand,
               "category": suggest_category(demand), "channel": channel, "received_at": received,
               "accepting_unit_id": unit_id, "service_unit_id": unit_id, "handling_unit_id": unit_id,
               "sender_id": sender, "handover_due": due_after(received, HANDOVER_DAYS),
               "handling_due": due_after(received, HANDOVER_DAYS + HANDLING_DAYS)}
        row.update(self._progress(received))
        self.rows.append(row)
        return row

    def _progress(self, received: datetime) -> dict:
        """How far it has got by now: one in ten runs late, one in ten is still open."""
        rng, now = self.rng, self.now
        late = rng.random() < 0.1
        handed = received + timedelta(hours=rng.randint(1, 60 if late else 30))
        resolved = received + timedelta(days=rng.randint(1, 14 if late else 7))
        fed = resolved + timedelta(hours=rng.randint(1, 20))
        progress: dict[str, Any] = {"status": "registered", "handed_over_at": None, "resolved_at": None, "fed_back_at": None,
                    "feedback_due": None, "resolution": None}
        if handed >= now:
            return progress
        progress.update(status="in_progress", handed_over_at=handed)
        if resolved >= now or rng.random() >= 0.9:
            return progress
        progress.update(status="resolved", resolved_at=resolved, feedback_due=due_after(resolved, FEEDBACK_DAYS),
                        resolution=rng.choice(RESOLUTIONS))
        if fed < now:
            progress.update(status="fed_back", fed_back_at=fed)
        return progress


def _ticket_counters(session: Session, first: date, last: date) -> dict[date, int]:
    return dict(session.execute(select(PetitionTicketCounter.day, PetitionTicketCounter.last).where(
        PetitionTicketCounter.day >= first, PetitionTicketCounter.day <= last)).tuples().all())


def _save_ticket_counters(session: Session, before: dict[date, int], after: dict[date, int]) -> None:
    """The counters moved on past the tickets handed out, so the next real petition takes the next number."""
    for day, last in after.items():
        if day not in before:
            session.add(PetitionTicketCounter(day=day, last=last))
        elif last != before[day]:
            session.execute(update(PetitionTicketCounter).where(PetitionTicketCounter.day == day).values(last=last))


# -- rows ------------------------------------------------------------------------------------------------------

def _reserve_ids(session: Session, model, count: int) -> int:
    """The first of ``count`` consecutive ids, so that messages name their conversation without reading it back.
    PostgreSQL: taken from the table's sequence while a lock keeps other writers out until the transaction ends.
    SQLite numbers a new row max(id) + 1 and has one writer at a time: the block starts above the largest id."""
    if session.get_bind().dialect.name != "postgresql":
        return (session.execute(select(func.max(model.id))).scalar() or 0) + 1
    table = model.__tablename__
    sequence = f"pg_get_serial_sequence('{table}', 'id')"
    session.execute(sql(f"LOCK TABLE {table} IN EXCLUSIVE MODE"))
    first = int(session.execute(sql(f"SELECT nextval({sequence})")).scalar_one())
    session.execute(sql(f"SELECT setval({sequence}, :last)"), {"last": first + max(count, 1) - 1})
    return first


@dataclass
class _Written:
    """What one conversation became."""
    conversation: dict
    messages: list[dict] = field(default_factory=list)


class _Scribe:
    """Writes planned conversations as the hub would have stored them: who talks, when each line is sent, the
    human part and the rating, the petition registered from the chat."""

    def __init__(self, plan: TrafficPlan, talk: _Talk, desk: _PetitionDesk, rng: random.Random,
                 first_message_id: int) -> None:
        self.plan, self.talk, self.desk, self.rng = plan, talk, desk, rng
        self.mid = first_message_id  # the id of the next message

    def write(self, planned: _Planned, cid: int) -> _Written:
        rng, plan = self.rng, self.plan
        unit = rng.choice(plan.units)
        uscc, name = rng.choice(plan.enterprises) if rng.random() < plan.enterprise_share else (None, None)
        written = _Written({
            "id": cid, "identity": f"e:{uscc}" if uscc else f"v:{rng.getrandbits(48):012x}",
            "rasa_sender": f"{plan.sender_prefix}{cid}-{secrets.token_hex(8)}", "uscc": uscc, "enterprise_name": name, "unit_id": unit.id,
            "mode": "bot", "tier": None, "reason": None, "assigned_staff_id": None, "created_at": planned.start,
            "last_message_at": planned.start, "queued_at": None, "assigned_at": None, "first_response_at": None,
            "closed_at": None, "had_human": False, "rating": None, "rated_at": None, "petition_ticket": None,
            "seat_read_id": 0})
        moment = self._bot_part(planned, written)
        if planned.kind == "handed_off":
            moment = self._human_part(planned, written, unit, moment)
        conversation = written.conversation
        conversation["last_message_at"] = max(moment, conversation["rated_at"] or moment)
        return written

    def _line(self, written: _Written, sender: str, text: str, moment: datetime, *, mode: str = "bot",
              custom: dict | None = None, intent: str | None = None, confidence: float | None = None,
              feedback: str | None = None, feedback_at: datetime | None = None, seat: Seat | None = None) -> None:
        """One message, named as the hub names senders."""
        name = seat.name if seat else {"user": written.conversation["enterprise_name"] or "访客", "bot": BOT_NAME,
                                       "system": SYSTEM_NAME}[sender]
        written.messages.append({
            "id": self.mid, "conversation_id": written.conversation["id"], "sender": sender,
            "sender_staff_id": seat.id if seat else None, "sender_name": name, "mode": mode, "text": text,
            "custom": custom, "kind": custom.get("kind") if custom else None, "intent": intent,
            "confidence": confidence, "internal": False, "feedback": feedback, "feedback_at": feedback_at,
            "created_at": moment})
        self.mid += 1

    def _bot_part(self, planned: _Planned, written: _Written) -> datetime:
        turns = [turn for _ in range(planned.fillers) for turn in self.talk.filler()] + planned.core
        moment = planned.start
        for sender, text, custom, intent, confidence, feedback in turns:
            moment += timedelta(seconds=self.rng.randint(5, 90))
            if custom is TICKET_PENDING:
                text, custom = self._register_petition(planned, written, moment)
            feedback_at = moment + timedelta(seconds=self.rng.randint(5, 60)) if feedback else None
            self._line(written, sender, text, moment, custom=custom, intent=intent, confidence=confidence,
                       feedback=feedback, feedback_at=feedback_at)
        return moment

    def _register_petition(self, planned: _Planned, written: _Written, moment: datetime) -> tuple[str, dict]:
        conversation = written.conversation
        taxpayer = conversation["enterprise_name"] or self.rng.choice(self.plan.enterprises)[1]
        row = self.desk.file_from_chat(moment, conversation["unit_id"], taxpayer, conversation["uscc"],
                                       planned.demand, conversation["rasa_sender"])  # type: ignore[arg-type]  # a petition plan has one
        conversation["petition_ticket"] = row["ticket"]
        due = row["handling_due"]
        text = (f"您的诉求已登记，受理编号：{row['ticket']}（类别：{row['category']}）。"
                + (f"我们将在{due:%Y年%m月%d日}前办结并通过您留的电话反馈。" if due else "")
                + "您可随时发送受理编号查询办理进度。")
        envelope = envelopes.petition_created(row["ticket"], row["category"], moment.isoformat(), due)
        return text, envelope

    def _human_part(self, planned: _Planned, written: _Written, unit: ServiceUnit, moment: datetime) -> datetime:
        """Queued, taken by a seat, a few lines by turns, closed; rated seven times in ten."""
        rng, conversation = self.rng, written.conversation
        expert = bool(unit.experts) and rng.random() < 0.1
        seat = rng.choice(unit.experts if expert else unit.staff)
        conversation.update(queued_at=moment, reason=_weighted(rng, HANDOFF_REASONS), mode="closed", had_human=True,
                            tier="expert" if expert else "staff", assigned_staff_id=seat.id)
        moment += timedelta(seconds=int(rng.expovariate(1 / 90)) + 5)
        conversation["assigned_at"] = moment
        self._line(written, "system", f"{seat.label}已接入，正在为您服务。", moment, mode="human")
        for line in range(planned.seat_lines - 1):
            moment += timedelta(seconds=int(rng.expovariate(1 / 60)) + 10)
            if line % 2:
                self._line(written, "user", rng.choice(USER_TELLS_SEAT), moment, mode="human")
                continue
            if conversation["first_response_at"] is None:
                conversation["first_response_at"] = moment
            self._line(written, seat.role, rng.choice(SEAT_SAYS), moment, mode="human", seat=seat)
        moment += timedelta(seconds=rng.randint(30, 600))
        conversation.update(closed_at=moment, seat_read_id=self.mid - 1)
        if rng.random() < 0.7:
            rated = moment + timedelta(seconds=rng.randint(5, 120))
            conversation.update(rating=_weighted(rng, RATINGS), rated_at=rated)
        return moment


def _campaign_rows(plan: TrafficPlan) -> list[dict]:
    """Reminder campaigns scheduled every ten days within the span, the last two days ago (09:00). They are written
    as scheduled: their figures come only from sending them (:func:`_send_campaigns`), never made up."""
    rows = []
    for i in range(plan.campaigns):
        created = _at(plan.today, 9) - timedelta(days=10 * i + 2)
        if created.date() < plan.first_day:
            break
        rule_id, title = CAMPAIGN_RULES[i % len(CAMPAIGN_RULES)]
        rows.append({"name": f"{title}提醒（{created:%m月%d日}）", "rule_id": rule_id, "status": "scheduled",
                     "repeat": "none", "created_by_staff_id": plan.operator_id, "created_at": created,
                     "scheduled_at": created, "cursor": 0, "evaluated": 0, "targeted": 0, "skipped": 0})
    return rows


def _send_campaigns(session: Session, rows: list[dict]) -> int:
    """Send the demo campaigns of ``rows``, oldest first, as the sender would have at their time: the rules evaluated
    over every enterprise, reminders created for those they find (quiet periods between campaigns respected).
    Flushes, never commits. Returns the reminders created."""
    created = 0
    campaigns = session.execute(select(Campaign).where(
        Campaign.status == "scheduled", Campaign.created_at.in_([row["created_at"] for row in rows]),
        Campaign.name.in_([row["name"] for row in rows])).order_by(Campaign.scheduled_at, Campaign.id)).scalars().all()
    for campaign in campaigns:
        when = campaign.scheduled_at or campaign.created_at  # the rows above schedule it at its creation
        created += send_in(session, campaign, now=when, commit=session.flush)["created"]
        campaign.finished_at = (campaign.started_at or when) + timedelta(minutes=15)
    session.flush()
    return created


def _review_tag(plan: TrafficPlan, conversation: dict, rng: random.Random) -> dict:
    """An operator went over the conversation a little later and tagged it."""
    looked = conversation["last_message_at"] + timedelta(hours=rng.randint(1, 48))
    return {"conversation_id": conversation["id"], "tag": REVIEW_TAG, "created_by_staff_id": plan.operator_id,
            "created_at": min(looked, plan.end)}


def _batches(items: list, size: int) -> Iterator[tuple[int, list]]:
    for start in range(0, len(items), size):
        yield start, items[start:start + size]


def _write_conversations(session: Session, plan: TrafficPlan, planned: list[_Planned], scribe: _Scribe,
                         first_id: int, rng: random.Random) -> tuple[Counter, list[dict]]:
    """The conversations and their messages, a batch at a time; returns the messages by kind and the review tags
    (written once the conversations are)."""
    kinds: Counter = Counter()
    tags = []
    for offset, batch in _batches(planned, BATCH):
        conversations, messages = [], []
        for index, one in enumerate(batch, start=offset):
            written = scribe.write(one, first_id + index)
            conversations.append(written.conversation)
            messages += written.messages
            if plan.operator_id and index % plan.tag_every == plan.tag_every // 2:
                tags.append(_review_tag(plan, written.conversation, rng))
        kinds.update(m["kind"] or m["sender"] for m in messages)
        bulk_insert(session, Conversation, conversations)
        bulk_insert(session, Message, messages)
    return kinds, tags


def seed_conversations(session: Session, plan: TrafficPlan) -> dict:
    """Generate and write ``plan``: conversations with their messages, petitions, campaigns, review tags.
    Flushes, never commits. Returns the counts (``kinds``: messages by envelope kind, or sender)."""
    started = clock.perf_counter()
    rng = random.Random(plan.seed)
    calendar = _Calendar(plan, rng)
    talk = _Talk(rng, plan.today)
    planned = _plan_conversations(plan, talk, calendar, rng)
    walk_ins = calendar.moments(max(0, plan.petitions - sum(p.kind == "petition" for p in planned)))
    counters = _ticket_counters(session, plan.first_day, plan.today)
    desk = _PetitionDesk(plan, rng, walk_ins, counters)
    first_id = _reserve_ids(session, Conversation, len(planned))
    scribe = _Scribe(plan, talk, desk, rng, _reserve_ids(session, Message, sum(p.length for p in planned)))
    kinds, tags = _write_conversations(session, plan, planned, scribe, first_id, rng)
    desk.receive_walk_ins()  # the rest of them, after the last conversation
    bulk_insert(session, Petition, desk.rows)
    _save_ticket_counters(session, counters, desk.counters)
    campaigns = _campaign_rows(plan)
    bulk_insert(session, Campaign, campaigns)
    bulk_insert(session, ReviewTag, tags)
    session.flush()
    return {"conversations": len(planned), "messages": sum(kinds.values()), "petitions": len(desk.rows),
            "campaigns": len(campaigns), "tags": len(tags), "kinds": dict(kinds),
            "first_day": plan.first_day.isoformat(), "last_day": plan.today.isoformat(),
            "seconds": round(clock.perf_counter() - started, 2)}


# -- the demo of `make run` ------------------------------------------------------------------------------------

def demo_conversations_exist(session: Session) -> bool:
    return session.execute(select(Conversation.id).where(Conversation.rasa_sender.like(f"{DEMO_SENDER}%"))
                           .limit(1)).first() is not None


def demo_enterprises(session: Session) -> tuple[tuple[str, str], ...]:
    """(USCC, name) of the generated demo enterprises but the showcase, whose chat stays empty for the /demo
    walk-through (an open conversation of its own would be continued there)."""
    return tuple(tuple(row) for row in session.execute(
        select(Enterprise.uscc, Enterprise.name).where(Enterprise.demo.is_(True), Enterprise.uscc != SHOWCASE_USCC)
        .order_by(Enterprise.id)))


def seed_demo_conversations(session: Session, *, unit_id: int, seats: Sequence[StaffAccount],
                            operator_id: int | None = None, conversations: int = DEMO_CONVERSATIONS, days: int = DAYS,
                            now: datetime | None = None, seed: int = DEFAULT_SEED) -> dict:
    """``conversations`` demo conversations over the ``days`` days up to now in ``unit_id``, handed to ``seats``
    (staff and expert accounts), of the demo enterprises and of visitors, with their petitions, campaigns and
    tags; then every one of those days aggregated for the dashboard. Skipped (``skipped``: why) when demo
    conversations exist or no demo enterprise does. Flushes, never commits."""
    if demo_conversations_exist(session):
        return {"skipped": "demo conversations exist"}
    enterprises = demo_enterprises(session)
    if not enterprises:
        return {"skipped": "no demo enterprises"}
    now = aware_now(now)
    plan = TrafficPlan(conversations, conversations * MESSAGES_PER_CONVERSATION, china_date(now),
                       (ServiceUnit.of(unit_id, seats),), enterprises, days=days, now=now,
                       petitions=round(conversations * PETITIONS_PER_CONVERSATION), campaigns=DEMO_CAMPAIGNS,
                       operator_id=operator_id, seed=seed)
    result = seed_conversations(session, plan)
    result["reminders"] = _send_campaigns(session, _campaign_rows(plan))
    started = clock.perf_counter()
    for offset in range(days):
        aggregate_day(session, plan.first_day + timedelta(days=offset), now=now)
    return {**result, "skipped": None, "days": days,
            "aggregation_seconds": round(clock.perf_counter() - started, 2)}
