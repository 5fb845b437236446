"""Reading and writing the bot's training data and knowledge files for approved improvements.

The directories are settings (``KNOWLEDGE_DIR``, default the repo's ``knowledge/``; ``TRAINING_DATA_DIR``,
default ``data/``, NLU in its ``nlu/``), so tests and staging point them at copies. Only the retrain job writes
(:mod:`api.improvement.scheduled`, one at a time under its Redis lock; :func:`apply`, which is idempotent: an
improvement already in the files is not written twice); the API only reads. Every write

* writes the new text to a temporary file next to the target, validates the result — the knowledge base
  with the knowledge loader's rules (all files, the changed one in place of the original), the NLU file as
  Rasa 3.1 YAML whose intents exist in the domain and whose examples are not examples of another intent — and
  only then replaces the target (``os.replace``); an invalid result raises :class:`~api.core.errors.Invalid` and
  leaves the files as they were;
* keeps the knowledge files' comments and layout: ``ruamel.yaml`` round-trip (``null`` written as ``null``,
  block style and indentation of knowledge/content), the blank line between entries stays after the
  appended question.

The knowledge files are live as soon as they are written (the action server and the API reload them,
knowledge.base.get_knowledge_base); the job then retrains (faq.yml regenerated, ``rasa train``, the model loaded
into the running Rasa: :mod:`api.improvement.training`), which teaches the NLU the new wording.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from api.core.errors import Invalid
from api.settings import ROOT
from knowledge.errors import KnowledgeValidationError
from knowledge.loader import load_entries, load_topics
from knowledge.models import Entry, Topic

if TYPE_CHECKING:
    from ruamel.yaml import YAML

__all__ = ["DOMAIN_DIR", "IMPROVEMENTS_NLU", "IMPROVEMENTS_KNOWLEDGE", "domain_intents", "nlu_examples",
           "knowledge_snapshot", "KnowledgeSnapshot", "add_nlu_example", "add_question_variant", "add_entry",
           "clean_utterance", "relative_name", "check_new_entry", "apply"]

DOMAIN_DIR = ROOT / "bot" / "domain"
IMPROVEMENTS_NLU = "improvements.yml"  # in TRAINING_DATA_DIR/nlu
IMPROVEMENTS_KNOWLEDGE = "improvements.yml"  # in KNOWLEDGE_DIR/content
NLU_HEADER = ("# Approved improvements from the operator dashboard (written by the retrain job, api/improvement).\n"
              "# Edit through POST /api/improvements; `make retrain` writes the approved ones and retrains.\n")
KNOWLEDGE_HEADER = ("# New entries drafted in the operator dashboard and approved (written by api/improvement).\n"
                    "# Every entry here has review: true until an editor checks its facts and sources.\n")
_ENTITY_SYNTAX = re.compile(r"[\[\]{}]")  # Rasa's entity annotation [text](entity) / {"entity": …}
NOT_TRAINABLE = frozenset({"nlu_fallback"})


def clean_utterance(text: str | None) -> str:
    """One line, inner whitespace collapsed; 422 when empty, too long or carrying Rasa annotation syntax."""
    text = " ".join(str(text or "").split())
    if not text:
        raise Invalid("例句不能为空", code="invalid_improvement")
    if len(text) > 200:
        raise Invalid("例句不能超过 200 个字符", code="invalid_improvement")
    if _ENTITY_SYNTAX.search(text):
        raise Invalid("例句不能含有英文方括号或花括号（会被当作实体标注）", code="invalid_improvement")
    return text


def relative_name(path: Path, root: Path, prefix: str) -> str:
    try:
        return f"{prefix}/{path.relative_to(root).as_posix()}"
    except ValueError:
        return str(path)


# -- domain and NLU -------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _intents(domain_dir: Path, stamp: tuple[tuple[str, int], ...]) -> frozenset[str]:
    names: set[str] = set()
    for path in sorted(domain_dir.glob("*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("intents") or []:
            names.add(next(iter(item)) if isinstance(item, dict) else str(item))
    return frozenset(names)


def _stamp(paths: Iterable[Path]) -> tuple[tuple[str, int], ...]:
    return tuple((str(p), p.stat().st_mtime_ns) for p in sorted(paths))


def domain_intents(domain_dir: Path = DOMAIN_DIR) -> frozenset[str]:
    """The intents of the bot's domain (bot/domain/*.yml)."""
    return _intents(domain_dir, _stamp(domain_dir.glob("*.yml")))


def _examples_of(block: dict[str, Any]) -> list[str]:
    out = []
    for line in str(block.get("examples", "") or "").splitlines():
        line = line.strip()
        if line.startswith("- "):
            out.append(" ".join(line[2:].split()))
    return out


def nlu_examples(nlu_dir: Path) -> dict[str, str]:
    """Every NLU example under ``nlu_dir`` → its intent."""
    seen: dict[str, str] = {}
    for path in sorted(Path(nlu_dir).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if isinstance(block, dict) and "intent" in block:
                for example in _examples_of(block):
                    seen.setdefault(example, block["intent"])
    return seen


def _render_nlu(blocks: dict[str, list[str]]) -> str:
    lines = [NLU_HEADER, 'version: "3.1"\n', "nlu:\n"]
    for intent in sorted(blocks):
        lines += [f"- intent: {intent}\n", "  examples: |\n"]
        lines += [f"    - {example}\n" for example in blocks[intent]]
    return "".join(lines)


def add_nlu_example(nlu_dir: Path, text: str, intent: str, *, domain_dir: Path = DOMAIN_DIR) -> Path:
    """Append ``text`` as an example of ``intent`` to ``improvements.yml``; returns the file."""
    nlu_dir = Path(nlu_dir)
    text = clean_utterance(text)
    _check_example(nlu_dir, text, intent, domain_dir)
    target = nlu_dir / IMPROVEMENTS_NLU
    blocks: dict[str, list[str]] = {}
    if target.exists():
        for block in (yaml.safe_load(target.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            blocks.setdefault(block["intent"], []).extend(_examples_of(block))
    blocks.setdefault(intent, []).append(text)
    rendered = _render_nlu(blocks)
    parsed = yaml.safe_load(rendered)  # the file we are about to write reads back to the same examples
    if {b["intent"]: _examples_of(b) for b in parsed["nlu"]} != blocks:
        raise Invalid("生成的训练数据文件无法正确解析", code="invalid_improvement")
    _replace(target, rendered)
    return target


def _check_example(nlu_dir: Path, text: str, intent: str, domain_dir: Path) -> None:
    if intent not in domain_intents(domain_dir) or intent in NOT_TRAINABLE:
        raise Invalid(f"意图“{intent}”不在机器人的领域定义中", code="unknown_intent")
    existing = nlu_examples(nlu_dir).get(text)
    if existing == intent:
        raise Invalid(f"“{text}”已经是意图 {intent} 的例句", code="duplicate_example")
    if existing is not None:
        raise Invalid(f"“{text}”已是意图 {existing} 的例句，不能再作为 {intent} 的例句", code="conflicting_example")


# -- knowledge -----------------------------------------------------------------------------------

class KnowledgeSnapshot:
    """The knowledge files under a directory, validated: topics, entries and the file of each entry."""

    def __init__(self, root: Path, topics: dict[str, Topic], entries: list[Entry]) -> None:
        self.root = root
        self.topics = topics
        self.entries = {e.id: e for e in entries}

    def file_of(self, entry_id: str) -> Path:
        return Path(self.entries[entry_id].origin)

    def questions(self) -> dict[str, str]:
        """Every question variant (and title) → its entry id."""
        out: dict[str, str] = {}
        for entry in self.entries.values():
            for question in (entry.title, *entry.questions):
                out.setdefault(" ".join(question.split()), entry.id)
        return out


def _entry_files(root: Path) -> list[Path]:
    return sorted((root / "content").glob("*.yml")) + sorted((root / "imported").glob("*.yml"))


@lru_cache(maxsize=4)
def _snapshot(root: Path, stamp: tuple[tuple[str, int], ...]) -> KnowledgeSnapshot:
    topics = load_topics(root / "topics.yml")
    return KnowledgeSnapshot(root, topics, load_entries(_entry_files(root), topics))


def knowledge_snapshot(root: Path) -> KnowledgeSnapshot:
    """The validated knowledge base under ``root`` (cached until a file changes)."""
    root = Path(root)
    try:
        return _snapshot(root, _stamp([root / "topics.yml", *_entry_files(root)]))
    except KnowledgeValidationError as exc:
        raise Invalid(f"知识库文件未通过校验，请先修正：{exc}", code="invalid_knowledge") from None


def _round_trip() -> YAML:
    from ruamel.yaml import YAML

    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    y.representer.add_representer(type(None), lambda r, d: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return y


def _validated_replace(root: Path, target: Path, text: str) -> None:
    """Validate the knowledge base with ``text`` in place of ``target``, then write it."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".yml.tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        files = [p for p in _entry_files(root) if p != target] + [tmp]
        try:
            load_entries(files, load_topics(root / "topics.yml"))
        except KnowledgeValidationError as exc:
            raise Invalid(f"修改后的知识库未通过校验：{str(exc).replace(str(tmp), target.name)}",
                          code="invalid_knowledge") from None
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def add_question_variant(root: Path, entry_id: str, text: str) -> Path:
    """Append ``text`` to the ``questions`` of ``entry_id`` in its file; returns the file."""
    root = Path(root)
    text = clean_utterance(text)
    snapshot = knowledge_snapshot(root)
    if entry_id not in snapshot.entries:
        raise Invalid(f"知识条目 {entry_id} 不存在", code="unknown_entry")
    owner = snapshot.questions().get(text)
    if owner is not None:
        raise Invalid(f"“{text}”已是知识条目 {owner} 的问法", code="duplicate_question")
    target = snapshot.file_of(entry_id)
    y = _round_trip()
    data = y.load(target.read_text(encoding="utf-8"))
    entry = next(e for e in data["entries"] if e.get("id") == entry_id)
    questions = entry["questions"]
    last = len(questions) - 1
    questions.append(text)
    if last in questions.ca.items:  # the blank line before the next entry belongs after the new question
        questions.ca.items[last + 1] = questions.ca.items.pop(last)
    out = io.StringIO()
    y.dump(data, out)
    _validated_replace(root, target, out.getvalue())
    return target


def _as_date(value: object) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def entry_document(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry in the key order of knowledge/content/README.md (dates as dates, review forced true)."""
    sources = []
    for source in entry.get("sources") or []:
        item = {"title": source.get("title"), "doc_no": source.get("doc_no") or None}
        if source.get("article"):
            item["article"] = source["article"]
        sources.append(item)
    return {"id": entry.get("id"), "topic": entry.get("topic"), "title": entry.get("title"),
            "answer": entry.get("answer"), "sources": sources, "valid_from": entry.get("valid_from"),
            "valid_until": entry.get("valid_until"), "review": True,
            "questions": [" ".join(str(q).split()) for q in entry.get("questions") or []]}


def check_new_entry(snapshot: KnowledgeSnapshot, document: dict[str, Any]) -> None:
    """A new entry's id and questions are not taken by the knowledge base (422 otherwise)."""
    if document["id"] in snapshot.entries:
        raise Invalid(f"知识条目编号 {document['id']} 已被使用", code="duplicate_entry")
    taken = snapshot.questions()
    for question in document["questions"]:
        if question in taken:
            raise Invalid(f"“{question}”已是知识条目 {taken[question]} 的问法", code="duplicate_question")


def add_entry(root: Path, entry: dict[str, Any]) -> Path:
    """Append a new entry (``review: true``) to ``content/improvements.yml``; returns the file."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    root = Path(root)
    document = entry_document(entry)
    check_new_entry(knowledge_snapshot(root), document)
    target = root / "content" / IMPROVEMENTS_KNOWLEDGE
    y = _round_trip()
    data = y.load(target.read_text(encoding="utf-8")) if target.exists() else None
    if data is None:
        data = CommentedMap(entries=CommentedSeq())
    node = CommentedMap()
    for key, value in document.items():
        if key == "answer" and isinstance(value, str):
            value = LiteralScalarString(value.strip() + "\n")
        elif key in ("valid_from", "valid_until"):
            try:
                value = _as_date(value)
            except ValueError:
                raise Invalid(f"{key} 须为 YYYY-MM-DD 日期", code="invalid_knowledge") from None
        elif key == "sources":
            value = CommentedSeq([CommentedMap(s) for s in value])
        elif key == "questions":
            value = CommentedSeq(value)
        node[key] = value
    data["entries"].append(node)
    out = io.StringIO()
    y.dump(data, out)
    text = out.getvalue()
    if not target.exists():
        text = KNOWLEDGE_HEADER + text
    _validated_replace(root, target, text)
    return target


# -- one approved improvement ----------------------------------------------------------------------

def _written(kind: str, payload: dict[str, Any], knowledge_dir: Path, nlu_dir: Path) -> Path | None:
    """The file that already holds this improvement (a job that wrote it, then failed to train), or None."""
    if kind == "nlu_example":
        if nlu_examples(nlu_dir).get(payload["text"]) == payload["intent"]:
            return nlu_dir / IMPROVEMENTS_NLU
        return None
    snapshot = knowledge_snapshot(knowledge_dir)
    if kind == "question_variant":
        if snapshot.questions().get(payload["text"]) == payload["entry_id"]:
            return snapshot.file_of(payload["entry_id"])
        return None
    entry_id = payload["entry"]["id"]
    if entry_id in snapshot.entries and snapshot.file_of(entry_id).name == IMPROVEMENTS_KNOWLEDGE:
        return snapshot.file_of(entry_id)
    return None


def apply(kind: str, payload: dict[str, Any], knowledge_dir: Path, nlu_dir: Path) -> str:
    """Write an approved improvement to its file unless it is there already; the file's name as shown to operators
    (``knowledge/content/vat.yml``, ``data/nlu/improvements.yml``). :class:`~api.core.errors.Invalid` when the files no
    longer accept it (nothing is written then)."""
    knowledge_dir, nlu_dir = Path(knowledge_dir), Path(nlu_dir)
    path = _written(kind, payload, knowledge_dir, nlu_dir)
    if path is None and kind == "nlu_example":
        path = add_nlu_example(nlu_dir, payload["text"], payload["intent"])
    elif path is None and kind == "question_variant":
        path = add_question_variant(knowledge_dir, payload["entry_id"], payload["text"])
    elif path is None:
        path = add_entry(knowledge_dir, payload["entry"])
    if kind == "nlu_example":
        return relative_name(path, nlu_dir, "data/nlu")
    return relative_name(path, knowledge_dir, "knowledge")


# -- plumbing ------------------------------------------------------------------------------------

def _replace(target: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp_name, target)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
