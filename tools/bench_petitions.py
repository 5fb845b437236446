"""Petition figures at 100 000 petitions on PostgreSQL: the console's list query, statistics(),
the SLA sweep, the ledger export and the periodic report (通报). The list and the export read
through the one filter of api.petition.queries (the routes' own), so their figures are the routes'.

Works in its own database ``bench_petitions`` on the server of DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/test), created if absent and migrated with Alembic, so the
test database pytest builds is never touched. Seeds once (COPY: units, staff, petitions with
their ledger and handlers, a year of receipts up to ``--today``); ``--reseed`` starts again.
The sweeps run in a transaction that is rolled back, so every run measures the same state.

    .venv/bin/python -m tools.bench_petitions [--count 100000] [--reseed] [--explain]

Figures are printed and written to var/bench/petitions.json.
"""
from __future__ import annotations

import argparse
import bisect
import csv
import io
import json
import random
import statistics as stats
import time
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.core.database import make_engine
from api.petition import bulletin, export, scheduled
from api.petition.constants import CATEGORIES, CHANNELS, LONG_TERM_CATEGORIES
from api.petition.queries import PetitionFilters, filtered, list_petitions
from api.petition.statistics import GROUPS, common_demands, statistics
from common.identifiers import make_uscc
from common.workdays import CHINA_TZ, is_working_day, known_years
from tools.benchdb import bench_database

ROOT = Path(__file__).resolve().parents[1]

BENCH_DB = "bench_petitions"
OUT = ROOT / "var" / "bench"
OPEN = ["registered", "handed_over", "assigned", "in_progress"]
SEARCH_WORDS = ["发票", "电子税务局", "退税", "社保", "信用", "申报", "额度", "个体户", "汇算", "有限公司"]

DEMANDS = [
    "数电发票开具时提示授信额度不足，无法继续开票，希望尽快调整开票额度。",
    "电子税务局登录后页面一直加载，无法进行增值税申报，{n}次尝试均失败。",
    "留抵退税申请提交已经{n}个工作日，仍未收到退税款，请核实进度。",
    "小规模纳税人减免增值税政策在电子税务局无法勾选，申报时提示错误。",
    "个体户经营所得汇算清缴时专项附加扣除填报有误，如何更正申报？",
    "社保费缴费基数调整太突然，希望提前{n}个月通知企业。",
    "申请信用修复后信用等级迟迟没有恢复，已补正逾期申报。",
    "红字信息确认单无法确认，对方企业称未收到，影响发票冲红。",
    "代开发票需要跑{n}趟窗口，希望开放线上代开。",
    "研发费用加计扣除政策口径不清楚，希望税务局组织培训。",
    "12366热线长时间占线，打了{n}次都没有接通。",
    "建议电子税务局增加批量导入发票的功能，提高效率。",
    "对税务机关作出的罚款决定不服，申请行政复议。",
    "办税服务厅排队时间过长，等候{n}小时才办理。",
    "六税两费减征政策享受后被系统提示风险，需要说明情况。",
    "三方协议签订后扣款失败，导致逾期缴纳产生滞纳金。",
]
CHANNEL_SHARE = {"12366热线": 35, "12366平台": 20, "税务网站": 10, "办税服务厅": 8, "税务机关电话": 3, "智能助手": 20,
                 "其他": 4}
"""How often each channel brings a petition (a channel missing here gets 1)."""
CATEGORY_OF = [2, 3, 2, 0, 0, 0, 4, 1, 2, 0, 2, 3, 4, 2, 1, 1]  # index into CATEGORIES per demand


# -- seeding -----------------------------------------------------------------------------------

class Days:
    """Working days by bisection over a precomputed list (seeding 100 000 rows stays fast)."""

    def __init__(self, first: date, last: date) -> None:
        last = min(last, date(known_years()[-1], 12, 31))
        self.days = [first + timedelta(days=i) for i in range((last - first).days + 1)
                     if is_working_day(first + timedelta(days=i))]

    def after(self, day: date, n: int) -> date:
        return self.days[bisect.bisect_right(self.days, day) + n - 1]


def at(day: date, rng: random.Random, start_hour: int = 9, end_hour: int = 17) -> datetime:
    local = datetime.combine(day, dtime(rng.randint(start_hour, end_hour - 1), rng.randint(0, 59)), CHINA_TZ)
    return local.astimezone(timezone.utc)


def seed(engine, count: int, today: date) -> None:
    rng = random.Random(20261123)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE notifications, petition_events, petition_handlers, petition_extensions, "
                          "petitions, petition_ticket_counters, staff_accounts, units RESTART IDENTITY CASCADE"))
        unit_id = iter(range(1, 10_000))
        units: list[tuple[int, str, str, str, int | None]] = []
        staff = []
        province = next(unit_id)
        units.append((province, "省税务局", "province", "tax_unit", None))
        cities = []
        for c in range(8):
            city = next(unit_id)
            units.append((city, f"第{c + 1}市税务局", "city", "tax_unit", province))
            service = next(unit_id)
            units.append((service, f"第{c + 1}市纳税服务科", "city", "service_department", city))
            depts = []
            for name in ("征管科", "税政科", "货物和劳务税科", "所得税科"):
                depts.append(next(unit_id))
                units.append((depts[-1], f"第{c + 1}市{name}", "city", "handling_department", city))
            legal = next(unit_id)
            units.append((legal, f"第{c + 1}市法制科", "city", "legal_unit", city))
            for d in range(3):
                district = next(unit_id)
                units.append((district, f"第{c + 1}市第{d + 1}区税务局", "district", "tax_unit", city))
                depts.append(next(unit_id))
                units.append((depts[-1], f"第{c + 1}市第{d + 1}区税源管理股", "district", "handling_department", district))
            cities.append((city, service, depts, legal))
            staff.append((f"sup{c}", "分管局领导", "supervisor", city))
            staff.append((f"dir{c}", "局长", "director", city))
            staff.append((f"reg{c}", "受理员", "staff", service))
        conn.execute(text("INSERT INTO units (id, name, level, kind, parent_id) VALUES (:i, :n, :l, :k, :p)"),
                     [dict(i=i, n=n, l=lv, k=k, p=p) for i, n, lv, k, p in units])  # noqa: C408
        conn.execute(text("SELECT setval('units_id_seq', :v)"), {"v": len(units)})
        conn.execute(text("INSERT INTO staff_accounts (username, display_name, role, unit_id, active) "
                          "VALUES (:u, :d, :r, :unit, true)"),
                     [dict(u=u, d=d, r=r, unit=unit) for u, d, r, unit in staff])  # noqa: C408

    first = today - timedelta(days=365)
    days = Days(first - timedelta(days=10), today + timedelta(days=40))
    now = datetime.combine(today, dtime(8, 0), CHINA_TZ).astimezone(timezone.utc)
    petitions, events, handlers = io.StringIO(), io.StringIO(), io.StringIO()
    pw, ew, hw = csv.writer(petitions), csv.writer(events), csv.writer(handlers)
    counters: dict[date, int] = {}
    receipts = sorted(at(first + timedelta(days=rng.randrange(366)), rng, 8, 18) for _ in range(count))
    receipts = [r for r in receipts if r <= now] + [now - timedelta(minutes=5)] * sum(r > now for r in receipts)

    def ev(pid, when, action, old, new, data=None):
        ew.writerow([pid, when.isoformat(), "1", action, old or "", new or "", json.dumps(data or {}, ensure_ascii=False)])

    for pid, received in enumerate(receipts, start=1):
        rday = received.astimezone(CHINA_TZ).date()
        counters[rday] = counters.get(rday, 0) + 1
        ticket = f"SQ-{rday:%Y%m%d}-{counters[rday]:04d}"
        d = rng.randrange(len(DEMANDS))
        content = DEMANDS[d].format(n=rng.randint(2, 9))
        category = CATEGORIES[CATEGORY_OF[d]] if rng.random() < 0.85 else rng.choice(CATEGORIES)
        channel = rng.choices(CHANNELS, weights=[CHANNEL_SHARE.get(c, 1) for c in CHANNELS])[0]
        city, service, depts, legal = rng.choice(cities)
        row: dict[str, Any] = dict(handover_due=None, handling_due=None, feedback_due=None, handed_over_at=None, assigned_at=None,  # noqa: C408
                   started_at=None, resolved_at=None, fed_back_at=None, visited_at=None, closed_at=None,
                   service_unit_id=None, handling_unit_id=None, long_term=False, reconsideration=False,
                   satisfaction=None, resolution=None, status="registered")
        ev(pid, received, "register", None, "registered", {"category": category, "channel": channel})
        if rng.random() < 0.25:  # answered on the spot
            row.update(status="closed", resolution="已当场答复", resolved_at=received, fed_back_at=received,
                       closed_at=received)
            ev(pid, received, "close", "registered", "closed")
        else:
            row["handover_due"] = days.after(rday, 1)
            steps = _steps(rng, rday, days, category)
            for name, moment in steps:
                if moment is None or moment > now:
                    break
                _apply(row, name, moment, days, service, depts, legal, rng, category, ev, pid)
        name = f"{'成都' if pid % 3 else '上海'}{rng.choice('甲乙丙丁戊己庚辛')}{pid}商贸有限公司"
        pw.writerow([pid, ticket, name, make_uscc(pid), f"13{rng.randint(100000000, 999999999)}", content,
                     category, channel, received.isoformat(), service, row["status"], row["service_unit_id"] or "",
                     row["handling_unit_id"] or "", "false", "true" if row["long_term"] else "false",
                     "true" if row["reconsideration"] else "false", row["resolution"] or "", row["satisfaction"] or "",
                     *[row[k].isoformat() if row[k] else "" for k in
                       ("handover_due", "handling_due", "feedback_due", "handed_over_at", "assigned_at",
                        "started_at", "resolved_at", "fed_back_at", "visited_at", "closed_at")], 0])
        if row["handling_unit_id"]:
            hw.writerow([pid, row["handling_unit_id"], "true", row["assigned_at"].isoformat()])

    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, columns, buffer in (
            ("petitions", "id, ticket, taxpayer_name, uscc, contact_phone, content, category, channel, received_at, "  # noqa: ISC004
                          "accepting_unit_id, status, service_unit_id, handling_unit_id, joint, long_term, "
                          "reconsideration, resolution, satisfaction, handover_due, handling_due, feedback_due, "
                          "handed_over_at, assigned_at, started_at, resolved_at, fed_back_at, visited_at, closed_at, "
                          "extended_days", petitions),
            ("petition_events", "petition_id, at, actor, action, from_status, to_status, data", events),
            ("petition_handlers", "petition_id, unit_id, lead, assigned_at", handlers),
        ):
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '')") as copy:
                copy.write(buffer.getvalue())  # psycopg 3
        cur.execute("SELECT setval('petitions_id_seq', (SELECT max(id) FROM petitions))")
        cur.executemany("INSERT INTO petition_ticket_counters (day, last) VALUES (%s, %s)", list(counters.items()))
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _steps(rng: random.Random, rday: date, days: Days, category: str):
    """When each step happens (None: never): most on time, some late, a few stuck."""
    r = rng.random()
    hand_day = rday if r < 0.6 else days.after(rday, 1) if r < 0.93 else days.after(rday, 2) if r < 0.98 else None
    if hand_day is None:
        return [("hand_over", None)]
    handed = at(hand_day, rng, 9, 12)
    assigned = handed + timedelta(hours=rng.randint(1, 4))
    start = at(days.after(assigned.astimezone(CHINA_TZ).date(), 1), rng, 9, 11)
    r = rng.random()
    k = rng.randint(1, 5) if r < 0.85 else rng.randint(6, 8) if r < 0.97 else None
    if k is None:
        return [("hand_over", handed), ("assign", assigned), ("start", start), ("resolve", None)]
    resolved = at(days.after(assigned.astimezone(CHINA_TZ).date(), k), rng, 12, 17)
    r = rng.random()
    fed = resolved + timedelta(hours=2) if r < 0.9 else (
        at(days.after(resolved.astimezone(CHINA_TZ).date(), rng.randint(2, 3)), rng) if r < 0.98 else None)
    steps = [("hand_over", handed), ("assign", assigned), ("start", start), ("resolve", resolved), ("feed_back", fed)]
    if fed is not None:
        if rng.random() < 0.6:
            steps.append(("return_visit", fed + timedelta(days=rng.randint(1, 3))))
        steps.append(("close", (steps[-1][1] or fed) + timedelta(days=1)))
    return steps


def _apply(row, name, moment, days, service, depts, legal, rng, category, ev, pid):
    old = row["status"]
    if name == "hand_over":
        row.update(handed_over_at=moment, service_unit_id=service, status="handed_over")
    elif name == "assign":
        recon = category == "法律救济类" and rng.random() < 0.3
        long_term = not recon and category in LONG_TERM_CATEGORIES and rng.random() < 0.05
        row.update(assigned_at=moment, handling_unit_id=legal if recon else rng.choice(depts), status="assigned",
                   long_term=long_term, reconsideration=recon)
        if not (long_term or recon):
            row["handling_due"] = days.after(moment.astimezone(CHINA_TZ).date(), 5)
    elif name == "start":
        row.update(started_at=moment, status="in_progress")
    elif name == "resolve":
        row.update(resolved_at=moment, resolution="已按政策办理并答复", status="resolved",
                   feedback_due=days.after(moment.astimezone(CHINA_TZ).date(), 1))
    elif name == "feed_back":
        row.update(fed_back_at=moment, status="fed_back")
    elif name == "return_visit":
        row.update(visited_at=moment, satisfaction=rng.choices((5, 4, 3, 2, 1), weights=(60, 25, 8, 4, 3))[0],
                   status="visited")
    elif name == "close":
        row.update(closed_at=moment, status="closed")
    ev(pid, moment, name, old, row["status"])


# -- measuring -----------------------------------------------------------------------------------

def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, value


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def _viewer(session: Session, role: str, i: int):
    """A transient staff account of ``role`` in the i-th unit that has one (city bureaus for leaders, handling
    departments for handlers): the list then carries that account's visibility clause, as the route does."""
    from api.org.models import StaffAccount

    kinds = ("handling_department",) if role == "handler" else ("tax_unit",)
    levels = ("district", "city") if role == "handler" else ("city",)
    units = session.execute(text("SELECT id FROM units WHERE kind = ANY(:k) AND level = ANY(:l) ORDER BY id"),
                            {"k": list(kinds), "l": list(levels)}).scalars().all()
    return StaffAccount(id=0, username="bench", display_name="bench", role=role, unit_id=units[i % len(units)])


def list_runs(session: Session, today: date, rng: random.Random, scenario: str, runs: int = 50):
    from api.petition.access import visible_clause

    times, totals = [], []
    units = session.execute(text("SELECT DISTINCT unit_id FROM petition_handlers ORDER BY 1")).scalars().all()
    for i in range(runs + 5):  # five warm-up runs
        if scenario == "supervisor_open":  # a city bureau's 分管局领导: its tree's open petitions
            filters = PetitionFilters(status=OPEN,
                                      extra=(visible_clause(_viewer(session, "supervisor", i), session=session),))
        elif scenario == "handler_queue":  # a handling department's own 待办理 queue, as its handler sees it
            filters = PetitionFilters(queue="to_handle",
                                      extra=(visible_clause(_viewer(session, "handler", i), session=session),))
        elif scenario == "unit_queue":  # a handling department's 待办理 queue
            filters = PetitionFilters(handling_unit_id=units[i % len(units)], queue="to_handle")
        elif scenario == "to_visit":  # the 回访 due list
            filters = PetitionFilters(queue="to_visit", category=CATEGORIES[i % len(CATEGORIES)])
        elif scenario == "all_filters":
            filters = PetitionFilters(status=OPEN, category=CATEGORIES[i % len(CATEGORIES)], overdue=True,
                                      q=SEARCH_WORDS[i % len(SEARCH_WORDS)])
        elif scenario == "text_only":
            filters = PetitionFilters(q=SEARCH_WORDS[i % len(SEARCH_WORDS)])
        else:  # status + category, the default console view of open work
            filters = PetitionFilters(status=OPEN, category=CATEGORIES[i % len(CATEGORIES)])
        ms, (items, total) = timed(list_petitions, filters, session=session, today=today, page=rng.randint(1, 3),  # noqa: RUF059
                                   size=20)
        if i >= 5:
            times.append(ms)
            totals.append(total)
    return {"p50_ms": round(pct(times, 50), 1), "p95_ms": round(pct(times, 95), 1), "max_ms": round(max(times), 1),
            "matches_min": min(totals), "matches_max": max(totals)}


def count_runs(session: Session, today: date, role: str, runs: int = 20):
    """GET /api/petitions/queues for a city bureau's supervisor or a department's handler: every queue and clock
    of the role counted, and for the supervisor the extension requests awaiting its decision."""
    from api.petition.access import visible_clause
    from api.petition.extensions import awaiting_decision_of
    from api.petition.queries import work_counts

    def counts(viewer):
        found = work_counts(role, visible_clause(viewer, session=session), session=session, today=today)
        return found, (awaiting_decision_of(viewer, session=session) if role == "supervisor" else [])

    times = []
    for i in range(runs + 3):  # three warm-up runs
        ms, _ = timed(counts, _viewer(session, role, i))
        if i >= 3:
            times.append(ms)
    return {"p50_ms": round(pct(times, 50), 1), "p95_ms": round(pct(times, 95), 1)}


def explain(session: Session, today: date) -> str:
    from sqlalchemy import func, select

    from api.petition.models import Petition

    filters = PetitionFilters(status=OPEN, category="纳税服务类", overdue=True, q="发票")
    page = filtered(select(Petition), filters, today).order_by(Petition.received_at.desc(), Petition.id.desc()).limit(20)
    count = filtered(select(func.count()).select_from(Petition), filters, today)
    out = []
    cursor = session.connection().connection.cursor()
    for query in (page, count):
        compiled = query.compile(session.get_bind(), compile_kwargs={"render_postcompile": True})
        cursor.execute(f"EXPLAIN ANALYZE {compiled}", compiled.params)
        out.append("\n".join(r[0] for r in cursor.fetchall()))
    return "\n\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print the plans of the list query")
    parser.add_argument("--database", default=BENCH_DB,
                        help=f"database name on DATABASE_URL's server (default {BENCH_DB}); one per person benchmarking")
    args = parser.parse_args()

    url = bench_database(args.database)
    engine = make_engine(url)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM petitions")).scalar_one()
    if args.reseed or have != args.count:
        print(f"seeding {args.count} petitions into {args.database} ...", flush=True)
        ms, _ = timed(seed, engine, args.count, args.today)
        print(f"  seeded in {ms / 1000:.1f} s")
    today, rng = args.today, random.Random(7)
    report: dict = {"petitions": args.count, "today": today.isoformat()}
    with Session(engine, future=True) as session:
        sizes = session.execute(text(
            "SELECT (SELECT count(*) FROM petitions), (SELECT count(*) FROM petition_events), "
            "(SELECT count(*) FROM petitions WHERE status <> 'closed')")).one()
        report["rows"] = {"petitions": sizes[0], "events": sizes[1], "open": sizes[2]}

        report["list"] = {s: list_runs(session, today, rng, s)
                          for s in ("all_filters", "status_category", "text_only", "unit_queue", "to_visit",
                                    "supervisor_open", "handler_queue")}
        if args.explain:
            print(explain(session, today))
        report["tab_counts"] = {role: count_runs(session, today, role) for role in ("supervisor", "handler")}

        year = (today - timedelta(days=365), today)
        report["statistics_ms"] = {}
        for group_by in GROUPS:
            statistics(session, *year, group_by, today=today)  # warm
            runs = [timed(statistics, session, *year, group_by, today=today)[0] for _ in range(5)]
            report["statistics_ms"][group_by] = round(stats.median(runs), 1)
        ms, demands = timed(common_demands, session, today - timedelta(days=30), today)
        report["common_demands_30_days"] = {"ms": round(ms, 1), "texts": demands["texts"],
                                            "top": [(t["theme"], t["count"]) for t in demands["themes"][:3]]}

        sweeps = {}
        now = datetime.combine(today, dtime(8, 0), CHINA_TZ).astimezone(timezone.utc)
        ms, first = timed(scheduled.sweep, session, today, now)
        sweeps["first_ms"] = round(ms, 1)
        sweeps["first_marked"] = {"due_soon": first.due_soon, "overdue": first.overdue,
                                  "notifications": len(first.notifications)}
        session.flush()
        ms, second = timed(scheduled.sweep, session, today, now + timedelta(minutes=1))
        sweeps["second_ms"], sweeps["second_changed"] = round(ms, 1), second.changed
        following = today + timedelta(days=1)
        ms, nxt = timed(scheduled.sweep, session, following,
                        datetime.combine(following, dtime(8, 0), CHINA_TZ).astimezone(timezone.utc))
        sweeps["next_day_ms"], sweeps["next_day_changed"] = round(ms, 1), nxt.changed
        session.rollback()
        report["sweep"] = sweeps

        report["export_10000"] = {}
        for kind, writer in (("csv", export.write_csv), ("xlsx", export.write_xlsx)):
            out = io.BytesIO()
            ms, rows = timed(writer, out, session, PetitionFilters(), today=today, limit=10_000)
            report["export_10000"][kind] = {"ms": round(ms, 1), "rows": rows, "bytes": len(out.getvalue())}

        report["bulletin_ms"] = {}
        for kind in bulletin.PERIODS:  # jieba is warm by now (common demands above)
            day = bulletin.last_period_day(kind, today)
            ms, data = timed(bulletin.bulletin, session, kind, day, today=today)
            xlsx_ms, _ = timed(bulletin.write_xlsx, io.BytesIO(), data)
            html_ms, _ = timed(bulletin.render_html, data)
            report["bulletin_ms"][kind] = {"figures": round(ms, 1), "xlsx": round(xlsx_ms, 1), "html": round(html_ms, 1),
                                           "received": data["received"]}
    engine.dispose()

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "petitions.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
