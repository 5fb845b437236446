"""Reminder figures at 100 000 enterprises on PostgreSQL: evaluating every rule over every enterprise, and
sending one campaign to all of them, with time and peak memory.

Works in its own database ``bench_reminders`` on the server of DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/test): created if absent, migrated, seeded once with the demo
generator (``--reseed`` starts again). The campaign's reminders are deleted after the run so every run
sends the same campaign. Peak memory is the process's maximum RSS, sampled before and after each step:
it must stay flat in the audience size (facts are streamed in batches, never loaded at once).

    .venv/bin/python -m tools.bench_reminders [--count 100000] [--reseed] [--rule vat-small-scale-exemption]

Figures are printed and written to var/bench/reminders.json.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from sqlalchemy import delete, func, select

from api.core.database import make_engine, make_session_factory
from api.core.time import aware_now, china_date
from api.enterprise.facts import iter_facts
from api.enterprise.models import Enterprise
from api.reminder import campaigns
from api.reminder.models import Campaign, Reminder
from knowledge.rules.engine import evaluate_all, get_rules
from tools.benchdb import bench_database
from tools.demo.enterprises import seed_demo

ROOT = Path(__file__).resolve().parents[1]

BENCH_DB = "bench_reminders"
OUT = ROOT / "var" / "bench"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--rule", default="vat-small-scale-exemption")
    args = parser.parse_args()
    url = bench_database(BENCH_DB, fresh=args.reseed)
    factory = make_session_factory(make_engine(url))
    report: dict = {"enterprises": args.count, "rule": args.rule}

    with factory() as session:
        have = session.execute(select(func.count(Enterprise.id))).scalar_one()
        if have < args.count:
            started = time.perf_counter()
            seed_demo(session, n=args.count, reset=True)
            session.commit()
            report["seed_s"] = round(time.perf_counter() - started, 1)
        report["enterprises"] = session.execute(select(func.count(Enterprise.id))).scalar_one()

    rules, today = get_rules(), china_date(aware_now())
    base = peak_mb()
    with factory() as session:
        started, matched, n = time.perf_counter(), 0, 0
        for facts in iter_facts(session, batch=2000):
            n += 1
            matched += len(evaluate_all(rules, facts, today))
        seconds = time.perf_counter() - started
    report["evaluate_all_rules"] = {"rules": len(rules), "enterprises": n, "matches": matched,
                                    "seconds": round(seconds, 1), "per_enterprise_ms": round(seconds / n * 1000, 3),
                                    "peak_rss_mb": round(peak_mb(), 1), "rss_before_mb": round(base, 1)}

    with factory() as session:
        campaign = campaigns.create("bench", args.rule, session=session, staff_id=None, now=aware_now())
        campaigns.schedule(campaign, None, now=aware_now())
        session.commit()
        campaign_id = campaign.id
    before = peak_mb()
    started = time.perf_counter()
    result = campaigns.send(factory, campaign_id)
    seconds = time.perf_counter() - started
    with factory() as session:
        stored = session.get_one(Campaign, campaign_id)
        report["send_campaign"] = {"evaluated": stored.evaluated, "reminders": stored.targeted,
                                   "skipped_quiet_period": stored.skipped, "seconds": round(seconds, 1),
                                   "status": result["status"], "peak_rss_mb": round(peak_mb(), 1),
                                   "rss_before_mb": round(before, 1)}
        session.execute(delete(Reminder).where(Reminder.campaign_id == campaign_id))
        session.execute(delete(Campaign).where(Campaign.id == campaign_id))
        session.commit()

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "reminders.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    ev, send = report["evaluate_all_rules"], report["send_campaign"]
    print(f"enterprises: {report['enterprises']:,}")
    print(f"evaluate {ev['rules']} rules over all: {ev['seconds']} s ({ev['per_enterprise_ms']} ms each), "
          f"{ev['matches']:,} matches, peak RSS {ev['peak_rss_mb']} MB (before {ev['rss_before_mb']} MB)")
    print(f"send campaign {args.rule}: {send['seconds']} s, {send['reminders']:,} reminders of "
          f"{send['evaluated']:,} evaluated, peak RSS {send['peak_rss_mb']} MB (before {send['rss_before_mb']} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
