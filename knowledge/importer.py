"""Import an external FAQ corpus (CSV or JSONL: question, answer, date, source[, topic]) as entries.

Every imported entry is flagged `review: true`, shows its publication date, and cites its source
by the title the corpus gives (no document number is made up). Usage:

    python -m knowledge.importer path/to/faq.csv --name bureau-12366
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from knowledge.errors import ImportFormatError
from knowledge.loader import KNOWLEDGE_DIR, load_topics, parse_entry
from knowledge.models import Topic

__all__ = ["read_corpus", "to_entries", "import_corpus", "DEFAULT_TOPIC"]

DEFAULT_TOPIC = "imported-other"
REQUIRED_COLUMNS = ("question", "answer", "date", "source")
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")


def read_corpus(path: Path) -> list[dict[str, Any]]:
    """Rows of a .csv (header row) or .jsonl file; raises ImportFormatError naming the bad row."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    elif path.suffix.lower() in (".jsonl", ".ndjson"):
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ImportFormatError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    else:
        raise ImportFormatError(f"{path}: unsupported format; use .csv or .jsonl")
    if not rows:
        raise ImportFormatError(f"{path}: no rows")
    return rows


def _parse_date(value: str, where: str) -> dt.date:
    match = _DATE.match(str(value or ""))
    if not match:
        raise ImportFormatError(f"{where}: date {value!r} is not like 2025-03-01 or 2025年3月1日")
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        raise ImportFormatError(f"{where}: date {value!r} does not exist") from None


def to_entries(rows: list[dict[str, Any]], name: str, topics: dict[str, Topic]) -> list[dict[str, Any]]:
    """Entries (as mappings in the content schema) for the rows; duplicate questions are merged."""
    entries: list[dict[str, Any]] = []
    by_question: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(rows, start=1):
        where = f"row {number}"
        if not isinstance(row, dict):
            raise ImportFormatError(f"{where}: expected an object with {', '.join(REQUIRED_COLUMNS)}")
        missing = [c for c in REQUIRED_COLUMNS if not str(row.get(c) or "").strip()]
        if missing:
            raise ImportFormatError(f"{where}: missing {', '.join(missing)}")
        question = " ".join(str(row["question"]).split())
        if question in by_question:
            continue
        published = _parse_date(row["date"], where)
        topic = str(row.get("topic") or "").strip() or DEFAULT_TOPIC
        entry = {
            "id": f"imported-{name}-{len(entries) + 1:04d}",
            "topic": topic if topic in topics else DEFAULT_TOPIC,
            "title": question[:60],
            "answer": str(row["answer"]).strip(),
            "sources": [{"title": str(row["source"]).strip(), "doc_no": None}],
            "valid_from": published,
            "valid_until": None,
            "published": published,
            "review": True,
            "questions": [question],
        }
        parse_entry(entry, topics, origin=where)  # the loader's own checks, before anything is written
        by_question[question] = entry
        entries.append(entry)
    return entries


def import_corpus(path: Path, name: str, root: Path = KNOWLEDGE_DIR) -> Path:
    """Write knowledge/imported/<name>.yml; the loader picks it up on the next start."""
    if not _NAME.match(name):
        raise ImportFormatError(f"name {name!r}: use lowercase letters, digits and dashes")
    topics = load_topics(root / "topics.yml")
    entries = to_entries(read_corpus(path), name, topics)
    target = root / "imported" / f"{name}.yml"
    target.parent.mkdir(exist_ok=True)
    header = f"# Imported from {Path(path).name} by knowledge/importer.py; every entry awaits review.\n"
    body = yaml.safe_dump({"entries": entries}, allow_unicode=True, sort_keys=False)
    target.write_text(header + body, encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import an external FAQ corpus into knowledge/imported/.")
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--name", required=True, help="short name of the corpus, e.g. bureau-12366")
    args = parser.parse_args(argv)
    try:
        target = import_corpus(args.corpus, args.name)
    except ImportFormatError as exc:
        print(f"import failed: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
