"""Import enterprise data from CSV or JSON Lines, one file per record type (docs/enterprise-data.md).

``import_file(session, kind, path_or_stream)`` checks every row (USCC check digit, dates, enums, numbers ≥ 0,
the enterprise or credit record it refers to), upserts the good rows by their natural key and reports the
bad ones by line number with a Chinese reason — a bad row never stops the file. Rows are applied in chunks
(one look-up query per chunk, not per row). It flushes but never commits; the CLI commits:

    python -m api.enterprise.importer --kind enterprises enterprises.csv [--format csv|jsonl] [--dry-run]

Enterprises are merged field by field (an empty cell keeps what is stored, and each given field records its
source system and sync time); in the other files a row replaces the stored row with the same key.
"""
from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Union, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.core.time import aware_now
from api.enterprise.models import (
    DEFAULT_FIELD_SOURCES,
    PROFILE_FIELDS,
    CreditDeduction,
    CreditRecord,
    Enterprise,
    EnterpriseFiling,
    PolicyClaim,
    RiskFinding,
)
from api.enterprise.validation import COLUMNS, KINDS, NEW_ENTERPRISE, RowError, check_header, clean_row
from common.textnorm import strip_controls

__all__ = ["FORMATS", "CHUNK", "ImportReport", "import_file", "main"]

FORMATS = ("csv", "jsonl")
CHUNK = 1000
Source = Union[str, Path, IO[str], IO[bytes]]  # noqa: UP007
Rows = list[tuple[int, dict[str, Any]]]


@dataclass
class ImportReport:
    kind: str
    imported: int = 0  # new rows
    updated: int = 0  # rows that existed (same key) and were updated
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)

    def text(self) -> str:
        head = f"导入{self.kind}：新增{self.imported}条，更新{self.updated}条，拒绝{len(self.rejected)}条。"
        return "\n".join([head] + [f"第{line}行：{reason}" for line, reason in self.rejected])


# -- reading -------------------------------------------------------------------------------------------------

@contextmanager
def _lines(source: Source) -> Iterator[tuple[Iterator[str], str]]:
    """The text lines of a path or stream (UTF-8, a BOM as Excel writes it is dropped) and a name for it."""
    if isinstance(source, (str, Path)):
        with open(source, encoding="utf-8-sig", newline="") as handle:
            yield handle, str(source)
        return
    if isinstance(source.read(0), bytes):
        wrapper = io.TextIOWrapper(cast(IO[bytes], source), encoding="utf-8-sig", newline="")
        try:
            yield wrapper, getattr(source, "name", "")
        finally:
            wrapper.detach()  # the caller's stream stays open
        return
    yield cast(IO[str], source), getattr(source, "name", "")


def _format(fmt: str | None, name: str, first: str) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
        return fmt
    suffix = Path(str(name)).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    return "jsonl" if first.lstrip("\ufeff").lstrip().startswith("{") else "csv"


def _csv_rows(kind: str, lines: Iterator[str]) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    # Control characters out before the reader sees them: Python 3.10's csv module stops at a NUL.
    reader = csv.DictReader((strip_controls(line) for line in lines), restkey="\0extra")
    problem = check_header(kind, reader.fieldnames or [])
    if problem:
        yield 1, RowError(f"表头不正确：{problem}")
        return
    for raw in reader:
        if "\0extra" in raw:
            yield reader.line_num, RowError("这一行的列数多于表头")
            continue
        if not any((v or "").strip() for v in raw.values()):
            continue  # a blank line inside the file
        yield reader.line_num, {k.strip(): v for k, v in raw.items()}


def _jsonl_rows(lines: Iterator[str]) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RowError(f"不是合法的 JSON：{exc.msg}（第{exc.colno}列）")
            continue
        except ValueError:  # valid syntax json cannot read: an integer of more than 4,300 digits
            yield number, RowError("不是合法的 JSON：数字过长")
            continue
        yield number, value if isinstance(value, dict) else RowError("每一行应为一个 JSON 对象")


# -- applying ------------------------------------------------------------------------------------------------

def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def _enterprise_ids(session: Session, rows: Rows, report: ImportReport) -> Rows:
    """The rows whose enterprise exists, with ``enterprise_id`` added; the others rejected."""
    usccs = sorted({row["uscc"] for _, row in rows})
    ids = dict(session.execute(select(Enterprise.uscc, Enterprise.id).where(Enterprise.uscc.in_(usccs))).tuples().all())
    kept = []
    for line, row in rows:
        if row["uscc"] not in ids:
            report.rejected.append((line, f"企业{row['uscc']}不存在，请先导入企业信息（enterprises）"))
            continue
        kept.append((line, {**row, "enterprise_id": ids[row["uscc"]]}))
    return kept


def _apply_enterprises(session: Session, rows: Rows, report: ImportReport, now: datetime) -> None:
    usccs = sorted({row["uscc"] for _, row in rows})
    known = {e.uscc: e for e in session.execute(select(Enterprise).where(Enterprise.uscc.in_(usccs))).scalars()}
    for line, row in rows:
        values = {k: v for k, v in row.items() if k in PROFILE_FIELDS}
        synced = _utc_iso(row.get("synced_at", now))
        sources = {k: {"source": row.get("source") or DEFAULT_FIELD_SOURCES[k], "synced_at": synced} for k in values}
        enterprise = known.get(row["uscc"])
        if enterprise is None:
            missing = [n for n in NEW_ENTERPRISE if n not in values]
            if missing:
                labels = "、".join(f"{COLUMNS['enterprises'][n].label}（{n}）" for n in missing)
                report.rejected.append((line, f"新企业缺少必填字段：{labels}"))
                continue
            defaults = {"restricted_industry": False, "employees": 0, "total_assets": 0, "annual_sales": 0,
                        "taxable_income": 0, "rd_expense": 0, "new_hires_key_groups": 0}
            enterprise = Enterprise(uscc=row["uscc"], demo=False, created_at=now, **{**defaults, **values})
            session.add(enterprise)
            known[row["uscc"]] = enterprise
            report.imported += 1
        else:
            for name, value in values.items():
                setattr(enterprise, name, value)
            report.updated += 1
        enterprise.sources = {**(enterprise.sources or {}), **sources}  # a new dict: JSON columns track assignment
        enterprise.updated_at = now


def _upsert(session: Session, rows: Rows, report: ImportReport, model: type[Any], key: Callable[[Any], tuple[Any, ...]],
            row_key: Callable[[dict[str, Any]], tuple[Any, ...]], values: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Rows keyed by ``row_key``: update the stored row with that key, or add one."""
    ids = sorted({row["enterprise_id"] for _, row in rows})
    stored = {key(x): x for x in session.execute(select(model).where(model.enterprise_id.in_(ids))).scalars()}
    for _, row in rows:
        existing = stored.get(row_key(row))
        if existing is None:
            stored[row_key(row)] = obj = model(enterprise_id=row["enterprise_id"], **values(row))
            session.add(obj)
            report.imported += 1
        else:
            for name, value in values(row).items():
                setattr(existing, name, value)
            report.updated += 1


def _apply_filings(session: Session, rows: Rows, report: ImportReport, now: datetime) -> None:
    _upsert(session, _enterprise_ids(session, rows, report), report, EnterpriseFiling,
            key=lambda f: (f.enterprise_id, f.tax_type, f.period_start, f.period_end),
            row_key=lambda r: (r["enterprise_id"], r["tax_type"], r["period_start"], r["period_end"]),
            values=lambda r: {"tax_type": r["tax_type"], "period_start": r["period_start"],
                              "period_end": r["period_end"], "due_date": r["due_date"],
                              "filed_date": r.get("filed_date"), "declared_sales": r.get("declared_sales"),
                              "invoice_sales": r.get("invoice_sales"), "tax_paid": r.get("tax_paid"),
                              "zero_filing": r.get("zero_filing", False), "source": r.get("source", "tax"),
                              "synced_at": r.get("synced_at", now)})


def _apply_findings(session: Session, rows: Rows, report: ImportReport, now: datetime) -> None:
    _upsert(session, _enterprise_ids(session, rows, report), report, RiskFinding,
            key=lambda f: (f.enterprise_id, f.indicator, f.period),
            row_key=lambda r: (r["enterprise_id"], r["indicator"], r["period"]),
            values=lambda r: {"indicator": r["indicator"], "period": r["period"], "detail": r.get("detail"),
                              "found_at": r.get("found_at", now), "source": r.get("source", "tax")})


def _apply_claims(session: Session, rows: Rows, report: ImportReport, now: datetime) -> None:
    _upsert(session, _enterprise_ids(session, rows, report), report, PolicyClaim,
            key=lambda c: (c.enterprise_id, c.policy, c.period),
            row_key=lambda r: (r["enterprise_id"], r["policy"], r["period"]),
            values=lambda r: {"policy": r["policy"], "period": r["period"], "claimed": r["claimed"],
                              "amount": r.get("amount"), "source": r.get("source", "tax"),
                              "synced_at": r.get("synced_at", now)})


def _apply_credit(session: Session, rows: Rows, report: ImportReport, now: datetime) -> None:
    """Evaluation rows (row_type=record) and their deductions (row_type=deduction) in one file; a deduction
    needs its year's evaluation stored already or on an earlier line."""
    rows = _enterprise_ids(session, rows, report)
    ids = sorted({row["enterprise_id"] for _, row in rows})
    records = {(r.enterprise_id, r.year): r for r in session.execute(
        select(CreditRecord).where(CreditRecord.enterprise_id.in_(ids))).scalars()}
    deductions = {(ent, year, d.reason_code, d.occurred_on, d.reason): d for d, ent, year in session.execute(
        select(CreditDeduction, CreditRecord.enterprise_id, CreditRecord.year)
        .join(CreditRecord, CreditRecord.id == CreditDeduction.credit_record_id)
        .where(CreditRecord.enterprise_id.in_(ids))).all()}
    for line, row in rows:
        source, synced = row.get("source", "tax"), row.get("synced_at", now)
        enterprise_year = (row["enterprise_id"], row["year"])
        if row["row_type"] == "record":
            record = records.get(enterprise_year)
            if record is None:
                records[enterprise_year] = record = CreditRecord(enterprise_id=row["enterprise_id"], year=row["year"])
                session.add(record)
                report.imported += 1
            else:
                report.updated += 1
            record.level, record.score, record.source, record.synced_at = row["level"], row.get("score"), source, synced
            continue
        record = records.get(enterprise_year)
        if record is None:
            report.rejected.append((line, f"企业{row['uscc']}没有{row['year']}年度的信用评价记录：请先提供该年度 "  # noqa: ISC004
                                          "row_type=record 的一行（放在扣分行之前）"))
            continue
        key = (*enterprise_year, row["reason_code"], row["occurred_on"], row["reason"])
        deduction = deductions.get(key)
        if deduction is None:
            deductions[key] = deduction = CreditDeduction(record=record, reason_code=row["reason_code"],
                                                          reason=row["reason"], occurred_on=row["occurred_on"])
            session.add(deduction)
            report.imported += 1
        else:
            report.updated += 1
        deduction.points, deduction.corrected_on = row["points"], row.get("corrected_on")
        deduction.repairable, deduction.source, deduction.synced_at = row.get("repairable", False), source, synced


APPLY: dict[str, Callable[[Session, Rows, ImportReport, datetime], None]] = {
    "enterprises": _apply_enterprises, "filings": _apply_filings, "credit": _apply_credit,
    "risk_findings": _apply_findings, "policy_claims": _apply_claims,
}


def import_file(session: Session, kind: str, path_or_stream: Source, *, fmt: str | None = None,
                now: datetime | None = None, chunk: int = CHUNK) -> ImportReport:
    """Validate and upsert every row of one file of ``kind``; flushes, never commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {KINDS}")
    now = aware_now(now)
    report = ImportReport(kind)
    with _lines(path_or_stream) as (lines, name):
        first = next(iter(lines), "")
        lines = itertools.chain([first], lines)
        rows = _csv_rows(kind, lines) if _format(fmt, name, first) == "csv" else _jsonl_rows(lines)
        pending: Rows = []
        for line, raw in rows:
            if isinstance(raw, RowError):
                report.rejected.append((line, str(raw)))
                continue
            try:
                pending.append((line, clean_row(kind, raw)))
            except RowError as exc:
                report.rejected.append((line, str(exc)))
            if len(pending) >= chunk:
                APPLY[kind](session, pending, report, now)
                session.flush()
                pending = []
        if pending:
            APPLY[kind](session, pending, report, now)
            session.flush()
    report.rejected.sort()
    return report


def main(argv: list[str] | None = None) -> int:
    from api.core.database import make_engine, make_session_factory
    from api.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m api.enterprise.importer",
                                     description="导入企业数据（CSV 或 JSON Lines，格式见 docs/enterprise-data.md）；"
                                                 "数据库为 DATABASE_URL")
    parser.add_argument("--kind", required=True, choices=KINDS, help="记录类型")
    parser.add_argument("--format", choices=FORMATS, help="默认按扩展名判断")
    parser.add_argument("--dry-run", action="store_true", help="只校验，不写入数据库")
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    engine = make_engine(get_settings().database_url)
    try:
        with make_session_factory(engine)() as session:
            report = import_file(session, args.kind, args.file, fmt=args.format)
            session.rollback() if args.dry_run else session.commit()
    finally:
        engine.dispose()
    print(report.text() + ("\n（试运行，未写入数据库）" if args.dry_run else ""))  # noqa: T201
    return 1 if report.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
