"""How fast the rules run: builds N synthetic enterprises and times evaluate_all over them.

    python -m tools.bench_rules --n 100000

Only evaluate_all is timed (not building the facts); the target is well under 60 s for 100,000
enterprises on a 2-core machine, one process.
"""
from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from knowledge.rules.engine import evaluate_all, get_rules
from knowledge.rules.facts import DeductionFact, EnterpriseFacts, FilingFact

__all__ = ["synthetic_facts", "run"]

TODAY = date(2025, 11, 20)
INDUSTRIES = [("F51", "批发业"), ("F52", "零售业"), ("C13", "农副食品加工业"),
              ("C39", "计算机、通信和其他电子设备制造业"), ("I65", "软件和信息技术服务业"), ("H62", "餐饮业"),
              ("E48", "土木工程建筑业"), ("M75", "科技推广和应用服务业"), ("L72", "商务服务业"), ("R90", "娱乐业")]
REASONS = [("overdue_filing", "未按规定期限纳税申报", 5), ("overdue_payment", "未按规定期限缴纳已申报税款", 5),
           ("unreported_statements", "未按规定期限报送财务报表", 3), ("invoice_violation", "违反发票管理规定", 11)]


def _yuan(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low, high))


def _quarters(today: date, count: int) -> list[tuple[date, date]]:
    year, quarter = today.year, (today.month - 1) // 3 + 1
    periods = []
    for _ in range(count):
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
        start = date(year, quarter * 3 - 2, 1)
        end = date(year + (quarter == 4), (quarter * 3) % 12 + 1, 1) - timedelta(days=1)
        periods.append((start, end))
    return periods[::-1]


def _filings(rng: random.Random, small: bool, today: date) -> list[FilingFact]:
    filings = []
    scales = (60_000, 250_000, 900_000, 3_000_000) if small else (1_000_000, 5_000_000, 20_000_000)
    scale = rng.choice(scales)
    for start, end in _quarters(today, 6):
        due = end + timedelta(days=15)
        invoice = _yuan(rng, 0, scale)
        roll = rng.random()
        declared = invoice if roll > 0.1 else invoice * Decimal("0.7")
        zero = roll < 0.04
        if zero:
            declared = Decimal(0)
        filed = None if (due < today and rng.random() < 0.03) else due - timedelta(days=rng.randint(0, 10))
        rate = Decimal("0.01") if small else Decimal(rng.choice(("0.004", "0.02", "0.03")))
        filings.append(FilingFact("vat", start, end, due, filed if due < today else None, declared, invoice,
                                  (declared * rate).quantize(Decimal(1)), zero))
        filings.append(FilingFact("cit", start, end, due, filed if due < today else None, None, None,
                                  _yuan(rng, 0, 20_000), False))
    year_end = date(today.year - 1, 12, 31)
    statements_due = date(today.year, 5, 31)
    statements_filed = None if rng.random() < 0.05 else statements_due - timedelta(days=3)
    filings.append(FilingFact("financial_statements", date(today.year - 1, 1, 1), year_end, statements_due,
                              statements_filed, None, None, None, False))
    return filings


def _deductions(rng: random.Random, today: date) -> tuple[DeductionFact, ...]:
    found = []
    for index in range(rng.choice((0, 0, 0, 1, 2))):
        code, reason, points = rng.choice(REASONS)
        occurred = today - timedelta(days=rng.randint(5, 500))
        corrected = None if rng.random() < 0.4 else occurred + timedelta(days=rng.randint(1, 200))
        found.append(DeductionFact(index + 1, code, reason, points, occurred,
                                   corrected if corrected and corrected <= today else None,
                                   code != "invoice_violation"))
    return tuple(found)


def synthetic_facts(n: int, seed: int = 7, today: date = TODAY) -> list[EnterpriseFacts]:
    """N plausible small enterprises, the same for the same seed."""
    rng = random.Random(seed)
    policies = ["vat-small-scale-exemption", "cit-small-low-profit", "six-taxes-two-fees", "rd-super-deduction"]
    facts = []
    for i in range(n):
        small = rng.random() < 0.7
        individual = small and rng.random() < 0.3
        code, industry = rng.choice(INDUSTRIES)
        level = rng.choice(("A", "B", "B", "M", "C", "D", None))
        facts.append(EnterpriseFacts(
            enterprise_id=i + 1,
            uscc=f"91110000{i:010d}",
            name=f"示例企业{i + 1}",
            taxpayer_type="small_scale" if small else "general",
            kind="individual" if individual else "company",
            industry_code=code,
            industry=industry,
            region=rng.choice(("北京", "成都", "丹东", "上海")),
            restricted_industry=rng.random() < 0.02,
            employees=rng.randint(1, 400),
            total_assets=_yuan(rng, 100_000, 60_000_000),
            annual_sales=_yuan(rng, 100_000, 30_000_000),
            taxable_income=_yuan(rng, -500_000, 4_000_000),
            rd_expense=_yuan(rng, 0, 2_000_000) if rng.random() < 0.2 else Decimal(0),
            new_hires_key_groups=rng.choice((0, 0, 0, 0, 1, 2)),
            registration_date=date(rng.randint(2005, 2024), rng.randint(1, 12), 1),
            credit_level=level,
            credit_year=TODAY.year - 1 if level else None,
            credit_score=rng.randint(30, 100) if level else None,
            deductions=_deductions(rng, today),
            filings=tuple(_filings(rng, small, today)),
            claimed=frozenset(p for p in policies if rng.random() < 0.3),
            risk_findings=(("进项发票异常", "2025Q2"),) if rng.random() < 0.03 else (),
        ))
    return facts


def run(n: int, seed: int = 7, today: date = TODAY) -> dict[str, Any]:
    """Build the facts, then time evaluate_all over all of them."""
    rules = get_rules()
    started = time.perf_counter()
    facts = synthetic_facts(n, seed, today)
    built = time.perf_counter() - started
    per_rule: Counter[str] = Counter()
    started, cpu = time.perf_counter(), time.process_time()
    for enterprise in facts:
        for outcome in evaluate_all(rules, enterprise, today):
            per_rule[outcome.rule_id] += 1
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"n": n, "rules": len(rules), "build_seconds": built, "evaluate_seconds": elapsed, "cpu_seconds": cpu,
            "per_enterprise_us": elapsed / n * 1e6 if n else 0.0, "matched": dict(per_rule)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of synthetic enterprises")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = run(args.n, args.seed)
    print(f"{result['n']} enterprises × {result['rules']} rules: evaluate_all {result['evaluate_seconds']:.1f} s "
          f"(CPU {result['cpu_seconds']:.1f} s, {result['per_enterprise_us']:.0f} µs per enterprise, "
          f"{sum(result['matched'].values())} outcomes matched); "
          f"building the facts took {result['build_seconds']:.1f} s")
    for rule_id, count in sorted(result["matched"].items(), key=lambda x: -x[1]):
        print(f"  {rule_id:34} {count:8d} matched")


if __name__ == "__main__":
    main()
