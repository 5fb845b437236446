"""Operator dashboard figures at 1 000 000 messages in 100 000 conversations on PostgreSQL: the daily
aggregation job, the dashboard load (every chart route for a 30-day range) and the conversation search.

Works in its own database ``bench_analytics`` on the server of DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/test; only the server is used, never that database), created if absent
and migrated with Alembic. Seeds once with COPY (``--reseed`` starts again; the generator is
``tools.demo.conversations``, which also makes the demo data of ``make run``): 90 days up to ``--today`` of
conversations in four units — knowledge questions and cited answers, clarifications, fallbacks on questions
the knowledge base does not cover, handoffs to seats with ratings, petitions, small talk, 有用/没用 — with
realistic shares, plus petitions, campaigns and review tags. Then:

1. aggregates every day (``aggregate_day``, one transaction a day) and times it;
2. loads the dashboard — all eight chart routes, JSON, for a 30-day range — 20 times through the real app
   (FastAPI in process, real PostgreSQL and Redis) and reports p50/p95 of the whole load and per route;
3. runs 20 varied conversation searches (text, enterprise, intent, topic, outcome, rating, tag, combinations)
   and reports p50/p95.

    .venv/bin/python -m tools.bench_analytics [--reseed] [--conversations 100000] [--messages 1000000]

Targets: dashboard ≤ 500 ms, search ≤ 200 ms (p95). Printed and written to var/bench/analytics.json.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from api.analytics.aggregate import aggregate_day
from api.core.database import make_engine, make_session_factory
from common.identifiers import make_uscc
from knowledge.base import get_knowledge_base
from tools.benchdb import bench_database
from tools.demo.conversations import DAYS, ServiceUnit, TrafficPlan, seed_conversations

ROOT = Path(__file__).resolve().parents[1]
BENCH_DB = "bench_analytics"
OUT = ROOT / "var" / "bench"
SEED = 20261123
CHARTS = ("overview", "intents", "topics", "unanswered", "feedback", "seats", "petitions", "campaigns")

SEARCHES: list[dict[str, Any]] = [
    {"q": "社保卡"}, {"q": "发票"}, {"q": "退税"}, {"q": "红字"}, {"q": "营业执照"}, {"enterprise": "USCC"},
    {"enterprise": "商贸"}, {"intent": "request_human"}, {"intent": "file_petition"}, {"topic": "TOPIC"},
    {"outcome": "handed_off"}, {"outcome": "fell_back"}, {"rating": 1}, {"rating_max": 2, "outcome": "handed_off"},
    {"tag": "错答"}, {"q": "转人工", "outcome": "handed_off"}, {"q": "小规模", "channel": "enterprise"},
    {"q": "完全不存在的词语组合"}, {"q": "发票", "days": 7}, {"outcome": "clarified", "intent": "ask_tax_question"},
]


# -- seeding -------------------------------------------------------------------------------------

BENCH_TABLES = ("improvements, review_audit_log, review_marks, review_tags, analytics_search, analytics_conversations, "
                "analytics_unanswered, analytics_daily_seats, analytics_daily_keys, analytics_daily, analytics_days, "
                "conversation_messages, conversation_attachments, conversations, reminders, campaigns, notifications, "
                "petition_events, petition_handlers, petition_extensions, petitions, petition_ticket_counters, "
                "staff_accounts, units")
CITIES = ("成都", "绵阳", "德阳", "宜宾")


def bench_world(engine) -> tuple[tuple[ServiceUnit, ...], int]:
    """Everything emptied, then a province bureau with four cities, each with a 纳税服务科 of four seats and an
    expert; returns the service units and the operator's id."""
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {BENCH_TABLES} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO units (id, name, level, kind, parent_id) VALUES (1, '省税务局', 'province', "
                          "'tax_unit', NULL)"))
        for c, city in enumerate(CITIES):
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
                     [dict(u=u, d=d, r=r, unit=unit) for u, d, r, unit in staff])  # noqa: C408
        rows = conn.execute(text("SELECT id, display_name, role, unit_id FROM staff_accounts ORDER BY id")).all()
    seats: dict[int, list] = {}
    for row in rows:
        if row.role in ("staff", "expert"):
            seats.setdefault(row.unit_id, []).append(row)
    operator = next(row.id for row in rows if row.role == "operator")
    return tuple(ServiceUnit.of(unit_id, accounts) for unit_id, accounts in sorted(seats.items())), operator


def bench_enterprises(count: int = 20_000) -> tuple[tuple[str, str], ...]:
    rng = random.Random(SEED)
    return tuple((make_uscc(100_000 + i), f"{rng.choice(CITIES)}{rng.choice('甲乙丙丁戊己庚辛壬癸')}{i}"  # noqa: ISC004
                                          f"{rng.choice(['商贸', '科技', '餐饮', '建材', '物流'])}有限公司")
                 for i in range(count))


def seed(engine, conversations: int, messages: int, today: date) -> dict:
    """The bench's data (tools.demo.conversations), written with COPY in one transaction."""
    units, operator = bench_world(engine)
    plan = TrafficPlan(conversations, messages, today, units, bench_enterprises(), petitions=6000, campaigns=8,
                       operator_id=operator, sender_prefix="bench", seed=SEED)
    with make_session_factory(engine)() as session:
        stats = seed_conversations(session, plan)
        session.commit()
    return stats


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
    os.environ.setdefault("APP_ENV", "development")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--skip-aggregation", action="store_true",
                        help="measure on the daily tables as they are (after a full run)")
    args = parser.parse_args()

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    url = bench_database(BENCH_DB)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    report: dict = {"database": BENCH_DB, "today": args.today.isoformat()}
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM conversation_messages")).scalar_one()
    if args.reseed or have < args.messages * 0.99:
        print(f"seeding {args.conversations} conversations, {args.messages} messages ...", flush=True)
        started = time.perf_counter()
        report["seed"] = seed(engine, args.conversations, args.messages, args.today)
        report["seed"]["seconds"] = round(time.perf_counter() - started, 1)
        print(f"seeded in {report['seed']['seconds']} s", flush=True)
    with engine.begin() as conn:
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
                        campaign_sweep_enabled=False, analytics_sweep_enabled=False, outbox_sweep_enabled=False)
    with factory() as session:
        operator = session.execute(select(StaffAccount).where(StaffAccount.role == "operator").limit(1)).scalar_one()
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
                times = dict(zip(CHARTS, pool.map(lambda c: one(c, params), CHARTS)))  # noqa: B905
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
            loads: list[float] = []
            per_chart: dict[str, list[float]] = {c: [] for c in CHARTS}
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
    rows = [("rows", f"{report['rows']['conversation_messages']:,} messages / {report['rows']['conversations']:,} "  # noqa: ISC004
                     f"conversations / {report['rows']['petitions']:,} petitions"),
            ("aggregation, all days", f"{a['total_s']} s for {a['days']} days ({a['per_day_avg_s']} s/day avg, "  # noqa: ISC004
                                      f"max {a['per_day_max_s']} s)"),
            ("dashboard load, 8 charts at once, 30 days", f"p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms (target ≤ 500)"),
            ("dashboard load, 8 charts one by one", f"p50 {d['sequential']['p50_ms']} ms, "  # noqa: ISC004
                                                    f"p95 {d['sequential']['p95_ms']} ms"),
            ("dashboard load, one call (/dashboard)", f"p50 {d['one_call']['p50_ms']} ms, "  # noqa: ISC004
                                                      f"p95 {d['one_call']['p95_ms']} ms"),
            ("first load after start", f"{d['first_load_ms']} ms (loads the knowledge base and jieba, fills the "  # noqa: ISC004
                                       f"demands cache)"),
            ("first view of another range", f"{max(d['first_view_of_a_range_ms'])} ms at most (common demands "  # noqa: ISC004
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
