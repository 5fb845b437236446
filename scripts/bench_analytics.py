#!/usr/bin/env python
"""Operator dashboard figures at 1 000 000 messages in 100 000 conversations on PostgreSQL: the daily
aggregation job, the dashboard load (every chart route for a 30-day range) and the conversation search.

Works in its own database ``bench_analytics`` on the server of DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/test; only the server is used, never that database), created if absent
and migrated with Alembic. Seeds once with COPY (``--reseed`` starts again): 90 days up to ``--today`` of
conversations in four units — knowledge questions and cited answers, clarifications, fallbacks on questions
the knowledge base does not cover, handoffs to seats with ratings, petitions, small talk, 有用/没用 — with
realistic shares, plus petitions, campaigns and review tags. Then:

1. aggregates every day (``aggregate_day``, one transaction a day) and times it;
2. loads the dashboard — all eight chart routes, JSON, for a 30-day range — 20 times through the real app
   (FastAPI in process, real PostgreSQL and Redis) and reports p50/p95 of the whole load and per route;
3. runs 20 varied conversation searches (text, enterprise, intent, topic, outcome, rating, tag, combinations)
   and reports p50/p95.

    .venv/bin/python scripts/bench_analytics.py [--reseed] [--conversations 100000] [--messages 1000000]

Targets: dashboard ≤ 500 ms, search ≤ 200 ms (p95). Printed and written to var/bench/analytics.json.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
import time
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APP_ENV", "development")

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from api.analytics.aggregate import aggregate_day  # noqa: E402
from api.database import make_engine, make_session_factory  # noqa: E402
from common.identifiers import make_uscc  # noqa: E402
from common.petitions import CATEGORIES, CHANNELS  # noqa: E402
from common.workdays import CHINA_TZ, CalendarUnknownYear, add_working_days  # noqa: E402
from knowledge.base import get_knowledge_base  # noqa: E402

BENCH_DB = "bench_analytics"
OUT = ROOT / "var" / "bench"
DAYS = 90
CHARTS = ("overview", "intents", "topics", "unanswered", "feedback", "seats", "petitions", "campaigns")

UNCOVERED_SUBJECTS = ["社保卡丢了", "公积金提取", "营业执照地址变更", "商标注册", "银行对公账户开户", "外汇收款登记",
                      "个人养老金账户", "房产过户", "车辆年检", "营业执照年报", "食品经营许可证", "出口退税备案",
                      "海关报关", "劳动合同备案", "员工工伤认定", "医保报销", "专利申请费用", "招投标资质",
                      "银行贷款贴息", "残疾人就业保障金减免申请", "工商注销", "法人变更", "股权转让登记", "税控盘退费",
                      "电子营业执照下载"]
UNCOVERED_ASKS = ["怎么办", "如何办理", "去哪里办", "需要什么材料", "多久能办好", "网上能办吗"]
VAGUE = ["发票怎么弄", "怎么申报", "退税", "信用等级", "税率是多少", "能不能免税", "怎么交税", "补贴怎么领"]
SMALLTALK = [("你好", "greet", "您好！我是办税助手，请问有什么可以帮您？"), ("谢谢", "thank", "不客气，祝您办税顺利！"),
             ("在吗", "greet", "在的，请说。"), ("好的明白了", "affirm", "好的，还有其他问题随时问我。")]
DEMANDS = ["数电发票开具时提示授信额度不足，无法继续开票，希望尽快调整开票额度。",
           "电子税务局登录后页面一直加载，无法进行增值税申报。", "留抵退税申请提交已经多日，仍未收到退税款，请核实进度。",
           "小规模纳税人减免增值税政策在电子税务局无法勾选，申报时提示错误。", "社保费缴费基数调整太突然，希望提前通知企业。",
           "申请信用修复后信用等级迟迟没有恢复，已补正逾期申报。", "红字信息确认单无法确认，对方企业称未收到，影响发票冲红。",
           "12366热线长时间占线，打了多次都没有接通。", "办税服务厅排队时间过长，等候两小时才办理。",
           "智能助手回答不了社保卡补办的问题，希望增加相关内容。"]
SEARCHES = [
    {"q": "社保卡"}, {"q": "发票"}, {"q": "退税"}, {"q": "红字"}, {"q": "营业执照"}, {"enterprise": "USCC"},
    {"enterprise": "商贸"}, {"intent": "request_human"}, {"intent": "file_petition"}, {"topic": "TOPIC"},
    {"outcome": "handed_off"}, {"outcome": "fell_back"}, {"rating": 1}, {"rating_max": 2, "outcome": "handed_off"},
    {"tag": "错答"}, {"q": "转人工", "outcome": "handed_off"}, {"q": "小规模", "channel": "enterprise"},
    {"q": "完全不存在的词语组合"}, {"q": "发票", "days": 7}, {"outcome": "clarified", "intent": "ask_tax_question"},
]


def bench_url(base: str) -> str:
    return str(make_url(base).set(database=BENCH_DB))


def ensure_database(base: str) -> str:
    engine = make_engine(base).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": BENCH_DB}).first():
            conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
            print(f"created database {BENCH_DB}")
    engine.dispose()
    url = bench_url(base)
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "api" / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    return url


# -- seeding -------------------------------------------------------------------------------------

class Seeder:
    def __init__(self, conversations: int, messages: int, today: date, seed: int = 20261123) -> None:
        self.rng = random.Random(seed)
        self.n_conv, self.n_msg, self.today = conversations, messages, today
        kb = get_knowledge_base()
        self.entries = [e for e in kb.entries.values() if e.questions]
        self.topic_entries: dict[str, list] = {}
        for e in self.entries:
            self.topic_entries.setdefault(e.topic, []).append(e)
        self.enterprises = [(make_uscc(100_000 + i),
                             f"{self.rng.choice(['成都', '绵阳', '德阳', '宜宾'])}{self.rng.choice('甲乙丙丁戊己庚辛壬癸')}"
                             f"{i}{self.rng.choice(['商贸', '科技', '餐饮', '建材', '物流'])}有限公司") for i in range(20_000)]

    def when(self, day: date) -> datetime:
        hour = self.rng.choices(range(24), weights=[1, 1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 10, 6, 8, 12, 12, 10, 8, 6, 5, 4, 3, 2, 1])[0]
        local = datetime.combine(day, dtime(hour, self.rng.randint(0, 59), self.rng.randint(0, 59)), CHINA_TZ)
        return local.astimezone(timezone.utc)

    def ask(self):
        entry = self.rng.choice(self.entries)
        question = self.rng.choice(entry.questions)
        if self.rng.random() < 0.03:
            question = f"{question}，我电话1{self.rng.randint(3, 9)}{self.rng.randint(100000000, 999999999)}"
        envelope = {"kind": "answer", "topic": entry.topic, "entry": entry.id, "title": entry.title,
                    "sources": [s.as_envelope() for s in entry.sources], "current": True, "review": entry.review}
        feedback = self.rng.choices([None, "useful", "useless"], weights=[86, 11, 3])[0]
        return [("user", question, None, None, None, None), ("bot", entry.answer, envelope, "ask_tax_question",
                                                               round(self.rng.uniform(0.7, 0.99), 3), feedback)]

    def fallback(self):
        subject = self.rng.choice(UNCOVERED_SUBJECTS[:int(len(UNCOVERED_SUBJECTS) * self.rng.random()) + 1])
        question = f"{subject}{self.rng.choice(UNCOVERED_ASKS)}"
        return [("user", question, None, None, None, None),
                ("bot", "抱歉，这个问题我暂时没有把握准确回答。您可以换个说法、转人工或拨打12366。",
                 {"kind": "fallback", "reason": self.rng.choices(["no_answer", "out_of_scope"], weights=[8, 2])[0]},
                 "ask_tax_question", round(self.rng.uniform(0.3, 0.6), 3), None)]

    def clarify(self):
        topics = self.rng.sample(list(self.topic_entries), 2)
        options = [{"topic": t, "title": self.topic_entries[t][0].title, "entry": self.topic_entries[t][0].id}
                   for t in topics]
        return [("user", self.rng.choice(VAGUE), None, None, None, None),
                ("bot", "您想了解的是哪一项？", {"kind": "clarify", "options": options}, "ask_tax_question",
                 round(self.rng.uniform(0.5, 0.8), 3), None)]

    def smalltalk(self):
        user, intent, reply = self.rng.choice(SMALLTALK)
        return [("user", user, None, None, None, None), ("bot", reply, {"kind": "smalltalk"}, intent, 0.99, None)]

    def seed(self, engine) -> dict:
        rng = self.rng
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE improvements, review_audit_log, review_marks, review_tags, analytics_search, "
                              "analytics_conversations, "
                              "analytics_unanswered, analytics_daily_seats, analytics_daily_keys, analytics_daily, "
                              "analytics_days, conversation_messages, conversation_attachments, conversations, "
                              "reminders, campaigns, notifications, petition_events, petition_handlers, "
                              "petition_extensions, petitions, petition_ticket_counters, staff_accounts, units "
                              "RESTART IDENTITY CASCADE"))
            conn.execute(text("INSERT INTO units (id, name, level, kind, parent_id) VALUES (1, '省税务局', 'province', "
                              "'tax_unit', NULL)"))
            for c, city in enumerate(("成都", "绵阳", "德阳", "宜宾")):
                conn.execute(text("INSERT INTO units (id, name, level, kind, parent_id) VALUES (:i, :n, 'city', 'tax_unit', 1),"
                                  " (:j, :m, 'city', 'service_department', :i)"),
                             {"i": 2 + 2 * c, "n": f"{city}市税务局", "j": 3 + 2 * c, "m": f"{city}市纳税服务科"})
            conn.execute(text("SELECT setval('units_id_seq', 9)"))
            staff = [("operator", "运营人员", "operator", 1), ("admin", "管理员", "admin", 1)]
            for unit in (3, 5, 7, 9):
                staff += [(f"seat{unit}-{i}", f"坐席{unit}-{i}", "staff", unit) for i in range(4)]
                staff.append((f"expert{unit}", f"专家{unit}", "expert", unit))
            conn.execute(text("INSERT INTO staff_accounts (username, display_name, role, unit_id, active) "
                              "VALUES (:u, :d, :r, :unit, true)"),
                         [dict(u=u, d=d, r=r, unit=unit) for u, d, r, unit in staff])
        seats = {unit: [3 + i + 5 * k for i in range(4)] for k, unit in enumerate((3, 5, 7, 9))}  # ids 3.. in order
        experts = {unit: 7 + 5 * k for k, unit in enumerate((3, 5, 7, 9))}

        # 1. every conversation's core turns, then filler question/answer pairs up to the message total
        plans = []
        for cid in range(1, self.n_conv + 1):
            r = rng.random()
            core, extra = [], {}
            if r < 0.50:
                kind = "answered"
                core = self.ask()
            elif r < 0.62:
                kind = "clarified"
                core = self.clarify() + self.ask()
            elif r < 0.74:
                kind = "fell_back"
                core = self.fallback() + (self.fallback() if rng.random() < 0.3 else []) + \
                    (self.ask() if rng.random() < 0.4 else [])
            elif r < 0.85:
                kind = "handed_off"
                core = (self.fallback() if rng.random() < 0.6 else []) + [
                    ("user", "转人工", None, None, None, None),
                    ("bot", "正在为您转接人工服务，请稍候。", {"kind": "handoff", "tier": "staff", "status": "queued",
                                                      "position": 1}, "request_human", 0.99, None)]
            elif r < 0.87:
                kind = "petition"
                core = [("user", "我要投诉", None, None, None, None),
                        ("bot", "请说明您的诉求内容。", {"kind": "form", "form": "petition_form"}, "file_petition", 0.97,
                         None),
                        ("user", rng.choice(DEMANDS), None, None, None, None),
                        ("bot", "已登记您的诉求。", {"kind": "petition_created"}, "inform", 0.9, None)]
            else:
                kind = "other"
                core = self.smalltalk()
            plans.append([cid, kind, core, 0, rng.randint(3, 6) if kind == "handed_off" else 0])
        extra_seat = sum(p[4] for p in plans)  # a system line and the seat's answers
        remaining = self.n_msg - sum(len(p[2]) for p in plans) - extra_seat
        filler_targets = [p for p in plans if p[1] not in ("other",)]
        while remaining >= 2:
            rng.choice(filler_targets)[3] += 1
            remaining -= 2
        if remaining == 1:  # an odd total: one conversation ends with a last word nobody answered
            plans[-1][2] = plans[-1][2] + [("user", "好的", None, None, None, None)]

        # 2. rows
        conv_buf, msg_buf = io.StringIO(), io.StringIO()
        cw, mw = csv.writer(conv_buf), csv.writer(msg_buf)
        first_day = self.today - timedelta(days=DAYS - 1)
        mid = 0
        stats = {"conversations": 0, "messages": 0, "kinds": {}}
        tickets = 0
        for cid, kind, core, fillers, lines in plans:
            day = first_day + timedelta(days=min(DAYS - 1, int(rng.triangular(0, DAYS, DAYS * 0.6))))
            start = self.when(day)
            unit = rng.choice((3, 5, 7, 9))
            enterprise = rng.random() < 0.4
            uscc, name = rng.choice(self.enterprises) if enterprise else (None, None)
            identity = f"e:{uscc}" if enterprise else f"v:{rng.getrandbits(48):012x}"
            turns = []
            for _ in range(fillers):
                turns += self.ask() if rng.random() < 0.85 else self.smalltalk()
            turns += core
            moment = start
            conv = dict(queued_at=None, assigned_at=None, first_response_at=None, closed_at=None, had_human=False,
                        rating=None, rated_at=None, reason=None, tier=None, assigned_staff_id=None, mode="bot",
                        petition_ticket=None, summary=None)
            for sender, body, custom, intent, confidence, feedback in turns:
                moment += timedelta(seconds=rng.randint(5, 90))
                mid += 1
                feedback_at = (moment + timedelta(seconds=rng.randint(5, 60))).isoformat() if feedback else ""
                mw.writerow([mid, cid, sender, "", name or "访客" if sender == "user" else "智能助手", "bot", body,
                             json.dumps(custom, ensure_ascii=False) if custom else "", (custom or {}).get("kind") or "",
                             intent or "", confidence if confidence is not None else "", "false", feedback or "",
                             feedback_at, moment.isoformat()])
                stats["kinds"][(custom or {}).get("kind") or sender] = stats["kinds"].get((custom or {}).get("kind") or sender, 0) + 1
            if kind == "handed_off":
                expert = rng.random() < 0.1
                seat = experts[unit] if expert else rng.choice(seats[unit])
                conv.update(queued_at=moment, reason=rng.choices(["user_request", "bot_failed", "bot_failed_twice", "topic"],
                                                                 weights=[50, 30, 10, 10])[0],
                            tier="expert" if expert else "staff", mode="closed", had_human=True,
                            assigned_staff_id=seat)
                moment += timedelta(seconds=int(rng.expovariate(1 / 90)) + 5)
                conv["assigned_at"] = moment
                mid += 1
                mw.writerow([mid, cid, "system", "", "系统消息", "human", "税务干部已接入，正在为您服务。", "", "", "", "",
                             "false", "", "", moment.isoformat()])
                for i in range(lines - 1):
                    moment += timedelta(seconds=int(rng.expovariate(1 / 60)) + 10)
                    if i == 0:
                        conv["first_response_at"] = moment
                    mid += 1
                    mw.writerow([mid, cid, "expert" if expert else "staff", seat, f"坐席{seat}", "human",
                                 rng.choice(["您好，请问具体是什么问题？", "这个需要到办税服务厅办理。", "已为您查询，请稍候。",
                                             "好的，还有其他问题吗？"]), "", "", "", "", "false", "", "",
                                 moment.isoformat()])
                moment += timedelta(seconds=rng.randint(30, 600))
                conv["closed_at"] = moment
                if rng.random() < 0.7:
                    conv["rating"] = rng.choices([5, 4, 3, 2, 1], weights=[60, 25, 8, 4, 3])[0]
                    conv["rated_at"] = moment + timedelta(seconds=rng.randint(5, 120))
            if kind == "petition":
                tickets += 1
                conv["petition_ticket"] = f"SQ-{day:%Y%m%d}-{tickets % 10000:04d}"
            last = max(moment, conv["rated_at"] or moment)
            stamp = lambda t: t.isoformat() if t else ""  # noqa: E731
            cw.writerow([cid, identity, f"bench{cid}", uscc or "", name or "", unit, conv["mode"], conv["tier"] or "",
                         conv["reason"] or "", conv["assigned_staff_id"] or "", start.isoformat(), last.isoformat(),
                         stamp(conv["queued_at"]), stamp(conv["assigned_at"]), stamp(conv["first_response_at"]),
                         stamp(conv["closed_at"]), "true" if conv["had_human"] else "false", conv["rating"] or "",
                         stamp(conv["rated_at"]), conv["petition_ticket"] or "", 0])
            stats["conversations"] += 1
        stats["messages"] = mid
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            conv_buf.seek(0)
            cur.copy_expert("COPY conversations (id, identity, rasa_sender, uscc, enterprise_name, unit_id, mode, tier, "
                            "reason, assigned_staff_id, created_at, last_message_at, queued_at, assigned_at, "
                            "first_response_at, closed_at, had_human, rating, rated_at, petition_ticket, seat_read_id) "
                            "FROM STDIN WITH (FORMAT csv)", conv_buf)
            msg_buf.seek(0)
            cur.copy_expert("COPY conversation_messages (id, conversation_id, sender, sender_staff_id, sender_name, mode, "
                            "text, custom, kind, intent, confidence, internal, feedback, feedback_at, created_at) "
                            "FROM STDIN WITH (FORMAT csv)", msg_buf)
            cur.execute("SELECT setval('conversations_id_seq', %s)", (self.n_conv,))
            cur.execute("SELECT setval('conversation_messages_id_seq', %s)", (mid,))
            raw.commit()
        finally:
            raw.close()
        self.seed_petitions(engine, first_day)
        with engine.begin() as conn:
            now = datetime.combine(self.today, dtime(9), CHINA_TZ).astimezone(timezone.utc)
            for i in range(8):
                created = now - timedelta(days=10 * i + 2)
                conn.execute(text("INSERT INTO campaigns (name, rule_id, status, repeat, created_at, started_at, "
                                  "finished_at, cursor, evaluated, targeted, skipped) VALUES (:n, :r, 'sent', 'none', :c, "
                                  ":c, :c, 0, :e, 0, 0)"),
                             {"n": f"提醒活动{i + 1}", "r": "policy-small-low-profit", "c": created, "e": 20_000})
        return stats

    def seed_petitions(self, engine, first_day: date, count: int = 6000) -> None:
        rng = self.rng
        buf = io.StringIO()
        w = csv.writer(buf)
        now = datetime.combine(self.today, dtime(9), CHINA_TZ).astimezone(timezone.utc)
        counters: dict[date, int] = {}

        def due(day: date, n: int):
            try:
                return add_working_days(day, n)
            except CalendarUnknownYear:
                return day + timedelta(days=n + 2)

        for pid in range(1, count + 1):
            day = first_day + timedelta(days=rng.randrange(DAYS))
            received = self.when(day)
            if received > now:
                received = now - timedelta(hours=1)
                day = received.astimezone(CHINA_TZ).date()
            counters[day] = counters.get(day, 0) + 1
            handover_due, handling_due = due(day, 1), due(day, 6)
            feedback_due = due(handling_due, 1)
            late = rng.random() < 0.1
            handed = received + timedelta(hours=rng.randint(1, 30 if not late else 60))
            resolved = received + timedelta(days=rng.randint(1, 7 if not late else 14))
            fed = resolved + timedelta(hours=rng.randint(1, 20))
            done = resolved < now and rng.random() < 0.9
            unit = rng.choice((3, 5, 7, 9))
            w.writerow([pid, f"SQ-{day:%Y%m%d}-{counters[day]:04d}", rng.choice(self.enterprises)[1], "",
                        f"13{rng.randint(100000000, 999999999)}", rng.choice(DEMANDS), rng.choice(CATEGORIES),
                        rng.choices(CHANNELS, weights=(35, 20, 10, 30, 5))[0], received.isoformat(), unit,
                        "fed_back" if done else "in_progress", unit, unit, handover_due.isoformat(),
                        handling_due.isoformat(), feedback_due.isoformat(), handed.isoformat(),
                        resolved.isoformat() if done else "", fed.isoformat() if done and fed < now else ""])
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            buf.seek(0)
            cur.copy_expert("COPY petitions (id, ticket, taxpayer_name, uscc, contact_phone, content, category, channel, "
                            "received_at, accepting_unit_id, status, service_unit_id, handling_unit_id, handover_due, "
                            "handling_due, feedback_due, handed_over_at, resolved_at, fed_back_at) "
                            "FROM STDIN WITH (FORMAT csv)", buf)
            cur.execute("SELECT setval('petitions_id_seq', %s)", (count,))
            raw.commit()
        finally:
            raw.close()


# -- measuring ----------------------------------------------------------------------------------

class ApiServer:
    """The real app under uvicorn on a free loopback port, in a thread of this process."""

    def __init__(self, settings) -> None:
        import socket

        import uvicorn

        from api.main import create_app

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port,
                                                    log_level="warning", access_log=False))

    def __enter__(self) -> str:
        import threading

        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API did not start (see the log above)")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def summary(values) -> dict:
    return {"p50_ms": round(pct(values, 50), 1), "p95_ms": round(pct(values, 95), 1), "max_ms": round(max(values), 1)}


def aggregate_all(factory, today: date) -> dict:
    per_day = []
    started = time.perf_counter()
    for i in range(DAYS, -1, -1):
        with factory() as session:
            result = aggregate_day(session, today - timedelta(days=i))
            session.commit()
        per_day.append(result["seconds"])
    total = time.perf_counter() - started
    return {"days": len(per_day), "total_s": round(total, 1), "per_day_avg_s": round(sum(per_day) / len(per_day), 3),
            "per_day_max_s": round(max(per_day), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-aggregation", action="store_true",
                        help="measure on the daily tables as they are (after a full run)")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    if not base.startswith("postgresql"):
        sys.exit("bench_analytics needs PostgreSQL (DATABASE_URL=postgresql://...)")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    url = ensure_database(base)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    report: dict = {"database": BENCH_DB, "today": args.today.isoformat()}
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM conversation_messages")).scalar_one()
    if args.reseed or have < args.messages * 0.99:
        print(f"seeding {args.conversations} conversations, {args.messages} messages ...", flush=True)
        started = time.perf_counter()
        report["seed"] = Seeder(args.conversations, args.messages, args.today).seed(engine)
        report["seed"]["seconds"] = round(time.perf_counter() - started, 1)
        print(f"seeded in {report['seed']['seconds']} s", flush=True)
    with engine.begin() as conn:  # review tags (one conversation in 400), kept apart: migrations may drop them
        if not conn.execute(text("SELECT count(*) FROM review_tags")).scalar_one():
            conn.execute(text("INSERT INTO review_tags (conversation_id, tag, created_by_staff_id, created_at) "
                              "SELECT id, '错答', 1, created_at FROM conversations WHERE id % 400 = 7"))
        conn.execute(text("ANALYZE"))
    with engine.connect() as conn:
        report["rows"] = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                          for t in ("conversations", "conversation_messages", "petitions", "campaigns")}
    previous = json.loads((OUT / "analytics.json").read_text(encoding="utf-8")) if (OUT / "analytics.json").exists() else {}
    if args.skip_aggregation and previous.get("aggregation"):
        report["aggregation"] = {**previous["aggregation"], "from_previous_run": True}
    else:
        print("aggregating every day ...", flush=True)
        report["aggregation"] = aggregate_all(factory, args.today)
    with make_engine(url).execution_options(isolation_level="AUTOCOMMIT").connect() as conn:  # as autovacuum would
        conn.execute(text("VACUUM ANALYZE analytics_conversations, analytics_search, analytics_unanswered, "
                          "analytics_daily, analytics_daily_keys, analytics_daily_seats, analytics_days"))
    print(json.dumps(report["aggregation"]), flush=True)

    from concurrent.futures import ThreadPoolExecutor
    from datetime import timedelta as td

    import httpx
    from sqlalchemy import select

    from api.auth.security import create_staff_token
    from api.org.models import StaffAccount
    from api.settings import Settings

    settings = Settings(database_url=url, redis_url=redis_url, sla_sweep_enabled=False, hub_sweep_enabled=False,
                        campaign_sweep_enabled=False, analytics_sweep_enabled=False)
    with factory() as session:
        operator = session.execute(select(StaffAccount).where(StaffAccount.role == "operator")).scalars().first()
        uscc = session.execute(text("SELECT uscc FROM conversations WHERE uscc IS NOT NULL GROUP BY uscc "
                                    "ORDER BY count(*) DESC LIMIT 1")).scalar_one()
    token = create_staff_token(operator, secret=settings.app_secret, lifetime=td(hours=2))
    headers = {"Authorization": f"Bearer {token}"}
    topic = next(iter(get_knowledge_base().topics))
    if redis_url:
        import redis

        cache = redis.Redis.from_url(redis_url)
        for key in cache.scan_iter("analytics:demands:*"):
            cache.delete(key)
        cache.close()
    with ApiServer(settings) as base_url, httpx.Client(base_url=base_url, headers=headers, timeout=120) as client, \
            ThreadPoolExecutor(len(CHARTS)) as pool:
        def one(chart: str, params: dict) -> float:
            t0 = time.perf_counter()
            response = client.get(f"/api/analytics/{chart}", params=params)
            assert response.status_code == 200, response.text
            return (time.perf_counter() - t0) * 1000

        def load(end: date, parallel: bool) -> tuple[float, dict]:
            params = {"date_from": (end - td(days=29)).isoformat(), "date_to": end.isoformat()}
            started = time.perf_counter()
            if parallel:  # as the page does: every chart at once
                times = dict(zip(CHARTS, pool.map(lambda c: one(c, params), CHARTS)))
            else:
                times = {chart: one(chart, params) for chart in CHARTS}
            return (time.perf_counter() - started) * 1000, times

        cold_total, cold = load(args.today, parallel=False)  # first load after start: knowledge base, jieba, caches
        # the first view of each of the five ranges measured below: the demands cache is empty for it
        first_views = [load(args.today - td(days=i), parallel=False)[0] for i in range(1, 5)]
        combined = []
        for i in range(args.runs):  # GET /api/analytics/dashboard: every chart in one answer
            end = args.today - td(days=i % 5)
            t0 = time.perf_counter()
            response = client.get("/api/analytics/dashboard", params={"date_from": (end - td(days=29)).isoformat(),
                                                                      "date_to": end.isoformat()})
            assert response.status_code == 200, response.text
            combined.append((time.perf_counter() - t0) * 1000)
        runs = {"one_call": summary(combined)}
        for mode in ("parallel", "sequential"):
            loads, per_chart = [], {c: [] for c in CHARTS}
            for i in range(args.runs):
                total, times = load(args.today - td(days=i % 5), parallel=mode == "parallel")
                loads.append(total)
                for chart, ms in times.items():
                    per_chart[chart].append(ms)
            runs[mode] = {**summary(loads), "per_chart": {c: summary(v) for c, v in per_chart.items()}}
        report["dashboard"] = {"range_days": 30, "runs": args.runs, "target_ms": 500,
                               "p50_ms": runs["parallel"]["p50_ms"], "p95_ms": runs["parallel"]["p95_ms"],
                               "parallel": runs["parallel"], "sequential": runs["sequential"],
                               "one_call": runs["one_call"],
                               "first_load_ms": round(cold_total, 1),
                               "first_view_of_a_range_ms": [round(v, 1) for v in first_views],
                               "first_load_per_chart_ms": {c: round(v, 1) for c, v in cold.items()}}
        sample = client.get("/api/analytics/overview", params={"date_from": (args.today - td(days=29)).isoformat(),
                                                               "date_to": args.today.isoformat()}).json()
        report["dashboard"]["sample_totals"] = {k: sample["total"][k] for k in (
            "conversations", "messages", "containment_rate", "handoff_rate", "fallback_rate")}

        searches, found = [], []
        for spec in SEARCHES:
            spec = dict(spec)
            days = spec.pop("days", 30)
            params = {"date_from": (args.today - td(days=days - 1)).isoformat(), "date_to": args.today.isoformat(),
                      **{k: (uscc if v == "USCC" else topic if v == "TOPIC" else v) for k, v in spec.items()}}
            t0 = time.perf_counter()
            response = client.get("/api/review/conversations", params=params)
            searches.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.text
            found.append({"params": {k: v for k, v in params.items() if k not in ("date_from", "date_to")},
                          "days": days, "total": response.json()["total"], "ms": round(searches[-1], 1)})
        report["search"] = {"runs": len(searches), **summary(searches), "target_ms": 200, "each": found}
    engine.dispose()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "analytics.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print_table(report)


def print_table(report: dict) -> None:
    d, s, a = report["dashboard"], report["search"], report["aggregation"]
    rows = [("rows", f"{report['rows']['conversation_messages']:,} messages / {report['rows']['conversations']:,} "
                     f"conversations / {report['rows']['petitions']:,} petitions"),
            ("aggregation, all days", f"{a['total_s']} s for {a['days']} days ({a['per_day_avg_s']} s/day avg, "
                                      f"max {a['per_day_max_s']} s)"),
            ("dashboard load, 8 charts at once, 30 days", f"p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms (target ≤ 500)"),
            ("dashboard load, 8 charts one by one", f"p50 {d['sequential']['p50_ms']} ms, "
                                                    f"p95 {d['sequential']['p95_ms']} ms"),
            ("dashboard load, one call (/dashboard)", f"p50 {d['one_call']['p50_ms']} ms, "
                                                      f"p95 {d['one_call']['p95_ms']} ms"),
            ("first load after start", f"{d['first_load_ms']} ms (loads the knowledge base and jieba, fills the "
                                       f"demands cache)"),
            ("first view of another range", f"{max(d['first_view_of_a_range_ms'])} ms at most (common demands "
                                            f"computed, then cached)"),
            ("conversation search (20 varied)", f"p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms (target ≤ 200)")]
    width = max(len(r[0]) for r in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print("\nper chart, one by one (p95 ms): " + ", ".join(f"{c} {v['p95_ms']}"
                                                          for c, v in d["sequential"]["per_chart"].items()))
    print("search each (ms): " + ", ".join(f"{json.dumps(e['params'], ensure_ascii=False)} {e['ms']}" for e in s["each"]))
    print(f"\nwritten to {OUT / 'analytics.json'}")


if __name__ == "__main__":
    main()
