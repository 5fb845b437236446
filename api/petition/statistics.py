"""Petition statistics (统计分析): volumes, on-time rates and handling time, and common demands (共性诉求).

:func:`statistics` counts the petitions *received* between two Shanghai dates, grouped by
category, channel, handling unit (主办部门; ``None`` = not yet assigned), week (its Monday) or
month, in one grouped SQL query (``count(*) FILTER (WHERE …)`` aggregates):

* ``received``; ``handled``: resolved or later (``resolved_at`` set, on-the-spot answers included);
  ``fed_back``: the result was given to the enterprise;
* ``on_time`` per clock (handover, handling, feedback): ``met`` — done by the due date (the Shanghai
  date of the moment it was done); ``missed`` — done late *or* still running past its due date on
  ``today`` (``overdue`` says how many of them are still running); ``rate`` = met / (met + missed),
  None when no clock of that kind has come to a verdict. Untimed clocks (no due date: on-the-spot
  answers, the long-term track, reconsideration) are left out; the long-term track's handling clock
  is never counted, as in the sweep;
* 回访 (return visits): ``visited`` — visited; ``awaiting_visit`` — fed back, not yet visited (the due
  list, queue ``to_visit``); ``satisfaction`` — ``rated`` petitions, their ``average`` (None when none)
  and ``distribution`` over the scores 1–5 (on-the-spot answers rated at once included);
* ``enterprise_rating``: the enterprise's own rating of the handling (from the widget) — ``rated``,
  ``average``, ``distribution`` 1–5, like ``satisfaction``;
* ``visits``: the return visits owed — ``due``: fed back after going to a handling department (on-the-spot
  answers owe none); ``done``: of those, visited; ``overdue``: not visited, not closed, and more than
  ``VISIT_DAYS`` working days since the feedback on ``today``;
* ``extensions``: the extension requests of the period's petitions — ``requested`` (all), ``approved``,
  ``rejected``, ``pending``, ``approved_days`` and ``avg_extra_days`` (approved days per approved request,
  None when none); read in a second grouped query over the requests;
* ``tasks``: the co-departments' tasks (联合办理) of the period's petitions — ``total``, ``completed``,
  ``late`` (completed after the task's deadline) and ``overdue`` (open past it while the petition is handled);
* ``avg_handling_days``: working days from the Shanghai date of receipt to that of resolution,
  averaged over the handled petitions. Python numbers the days of the period once from the State
  Council calendar (a running count of working days) and hands that list to the query as one
  parameter; SQL looks up both days of each row in it and averages the differences, so the whole
  report is one grouped scan. Days in a year the calendar does not know have no number: those
  petitions are left out of the average and counted in ``handling_days_unknown``.

:func:`common_demands` finds recurring themes in the demands' texts: jieba TF-IDF keywords of each
text (tax dictionary ``knowledge/dictionary/tax_words.txt`` as user dictionary, tax-service stop
words), themes are the keywords shared by most petitions, with the keywords that nearly always come
with them, a count and two example tickets. jieba is loaded on the first call (a few seconds);
after that about 0.3 ms a text.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import BindParameter, Date, Integer, String, and_, bindparam, false, func, not_, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from api.core.errors import Invalid
from api.core.sqltime import china_day, china_month, china_week, done_by, workday_number
from api.org.models import Unit
from api.petition.constants import VISIT_DAYS
from api.petition.models import TASK_STATUSES, Petition, PetitionExtension, PetitionHandler
from api.petition.queries import china_day_start
from api.petition.timing import CLOCKS
from common.workdays import CalendarUnknownYear, china_today, is_working_day

__all__ = ["GROUPS", "statistics", "common_demands", "DEMAND_STOP_WORDS"]

log = logging.getLogger(__name__)

GROUPS = ("category", "channel", "unit", "week", "month")
SCORES = (1, 2, 3, 4, 5)
EXTENSION_FIGURES = ("requested", "approved", "rejected", "pending", "approved_days")
VISIT_FIGURES = ("due", "done", "overdue")
TASK_FIGURES = ("total", "completed", "late", "overdue")
UNASSIGNED = "未转办理部门"


def _received_between(query, date_from: date, date_to: date):
    if date_to < date_from:
        raise Invalid("统计截止日期不能早于起始日期")
    return query.where(Petition.received_at >= china_day_start(date_from),
                       Petition.received_at < china_day_start(date_to + timedelta(days=1)))


def _group_key(group_by: str):
    if group_by == "category":
        return Petition.category
    if group_by == "channel":
        return Petition.channel
    if group_by == "unit":
        return Petition.handling_unit_id
    if group_by == "week":
        return china_week(Petition.received_at)
    if group_by == "month":
        return china_month(Petition.received_at)
    raise Invalid(f"分组方式只能是：{'、'.join(GROUPS)}")


def _count(condition):
    return func.count().filter(condition)


def _clock_columns(clock: str, today: date) -> list:
    due_name, done_name = CLOCKS[clock]
    due, done = getattr(Petition, due_name), getattr(Petition, done_name)
    timed = due.isnot(None)
    if clock == "handling":
        timed = and_(timed, Petition.long_term == false())
    running_late = and_(done.is_(None), due < today)
    return [_count(and_(timed, done_by(done, due))).label(f"{clock}_met"),
            _count(and_(timed, or_(and_(done.isnot(None), not_(done_by(done, due))), running_late))
                   ).label(f"{clock}_missed"),
            _count(and_(timed, running_late)).label(f"{clock}_overdue")]


def _rate(met: int, missed: int) -> float | None:
    return round(met / (met + missed), 4) if met + missed else None


def _workday_numbers(first: date, last: date) -> list[int]:
    """``numbers[i]``: working days in (first, first + i], for every day the calendar knows up to ``last``."""
    numbers, total, day = [0], 0, first
    try:
        while day < last:
            day += timedelta(days=1)
            total += is_working_day(day)
            numbers.append(total)
    except CalendarUnknownYear:
        pass  # logged by common.workdays; later days have no number, their pairs count as unknown
    return numbers


class _Workdays:
    """Working-day numbers of the days from the period's start on, in SQL (``of(column)``) and Python (``on``)."""

    def __init__(self, session: Session, date_from: date, date_to: date, today: date) -> None:
        self.origin = date_from - timedelta(days=1)
        self.numbers = _workday_numbers(self.origin, max(date_to, today, china_today()))
        if session.get_bind().dialect.name == "postgresql":
            self.table: BindParameter[Any] = bindparam("workday_numbers", self.numbers, type_=postgresql.ARRAY(Integer))
        else:
            self.table = bindparam("workday_numbers", json.dumps(self.numbers), type_=String)
        self.start = bindparam("workday_origin", self.origin, type_=Date)

    def of(self, moment_column):
        """The working-day number of the Shanghai date of a timestamp column (NULL outside the list)."""
        return workday_number(self.table, china_day(moment_column), self.start)

    def on(self, day: date) -> int | None:
        index = (day - self.origin).days
        return self.numbers[index] if 0 <= index < len(self.numbers) else None


def _handling_days_column(days: _Workdays):
    """Working days from receipt to resolution of each row, NULL when not resolved or not countable."""
    return days.of(Petition.resolved_at) - days.of(Petition.received_at)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _key_out(group_by: str, key):
    if key is None:
        return None
    if group_by == "week":
        return _as_date(key).isoformat()
    if group_by == "month":
        return f"{_as_date(key):%Y-%m}"
    return key


def _label(group_by: str, key, units: dict[int, str]) -> str:
    if group_by == "unit":
        return UNASSIGNED if key is None else units.get(key, f"单位{key}")
    if group_by == "week":
        monday = _as_date(key)
        year, week, _ = monday.isocalendar()
        return f"{year}年第{week}周（{monday:%m-%d}起）"
    if group_by == "month":
        first = _as_date(key)
        return f"{first.year}年{first.month}月"
    return str(key)


def _empty() -> dict:
    return {"received": 0, "handled": 0, "fed_back": 0,
            "on_time": {clock: {"met": 0, "missed": 0, "overdue": 0, "rate": None} for clock in CLOCKS},
            "avg_handling_days": None, "handling_days_unknown": 0, "_days": 0, "_days_n": 0,
            "visited": 0, "awaiting_visit": 0,
            "satisfaction": {"rated": 0, "average": None, "distribution": {str(k): 0 for k in SCORES}},
            "enterprise_rating": {"rated": 0, "average": None, "distribution": {str(k): 0 for k in SCORES}},
            "visits": dict.fromkeys(VISIT_FIGURES, 0),
            "extensions": {**dict.fromkeys(EXTENSION_FIGURES, 0), "avg_extra_days": None},
            "tasks": dict.fromkeys(TASK_FIGURES, 0), "_score_sum": 0, "_rating_sum": 0}


def _visit_columns(days: _Workdays, today: date) -> list:
    columns = [func.count(Petition.visited_at).label("visited"),
               _count(and_(Petition.status == "fed_back", Petition.visited_at.is_(None))).label("awaiting_visit"),
               func.count(Petition.satisfaction).label("rated"), func.sum(Petition.satisfaction).label("score_sum")]
    columns += [_count(Petition.satisfaction == k).label(f"score_{k}") for k in SCORES]
    columns += [func.count(Petition.enterprise_rating).label("ratings"),
                func.sum(Petition.enterprise_rating).label("rating_sum")]
    columns += [_count(Petition.enterprise_rating == k).label(f"rating_{k}") for k in SCORES]
    owed = and_(Petition.fed_back_at.isnot(None), Petition.assigned_at.isnot(None))
    # overdue once the VISIT_DAYS-th working day after the feedback is before today: by yesterday's number
    yesterday = days.on(today - timedelta(days=1))
    late = false() if yesterday is None else days.of(Petition.fed_back_at) <= yesterday - VISIT_DAYS
    columns += [_count(owed).label("visit_due"), _count(and_(owed, Petition.visited_at.isnot(None))).label("visit_done"),
                _count(and_(owed, Petition.visited_at.is_(None), Petition.closed_at.is_(None), late)
                       ).label("visit_overdue")]
    return columns


def _task_figures(session: Session, key, date_from: date, date_to: date, today: date) -> dict:
    """Per group key: the co-departments' tasks (not the lead's) of the period's petitions."""
    task = PetitionHandler
    late = and_(task.completed_at.isnot(None), task.due.isnot(None), not_(done_by(task.completed_at, task.due)))
    running_late = and_(task.completed_at.is_(None), task.due < today, Petition.status.in_(TASK_STATUSES))
    query = select(key.label("key"), func.count(task.id).label("total"),
                   func.count(task.completed_at).label("completed"), _count(late).label("late"),
                   _count(running_late).label("overdue"))
    query = query.select_from(Petition).join(task, and_(task.petition_id == Petition.id, task.lead == false()))
    return {row.key: {name: int(getattr(row, name)) for name in TASK_FIGURES}
            for row in session.execute(_received_between(query, date_from, date_to).group_by(key))}


def _extension_figures(session: Session, key, date_from: date, date_to: date) -> dict:
    """Per group key: the extension requests of the period's petitions."""
    ext = PetitionExtension
    query = select(key.label("key"), func.count(ext.id).label("requested"),
                   _count(ext.status == "approved").label("approved"), _count(ext.status == "rejected").label("rejected"),
                   _count(ext.status == "pending").label("pending"),
                   func.coalesce(func.sum(ext.days).filter(ext.status == "approved"), 0).label("approved_days"))
    query = _received_between(query.select_from(Petition).join(ext, ext.petition_id == Petition.id), date_from, date_to)
    return {row.key: _with_average({name: int(getattr(row, name)) for name in EXTENSION_FIGURES})
            for row in session.execute(query.group_by(key))}


def _with_average(figures: dict) -> dict:
    figures["avg_extra_days"] = round(figures["approved_days"] / figures["approved"], 2) if figures["approved"] else None
    return figures


def statistics(session: Session, date_from: date, date_to: date, group_by: str = "category", *,
               today: date | None = None) -> dict:
    """Figures of the petitions received from ``date_from`` to ``date_to`` (Shanghai dates, inclusive),
    per group and in total; a still-running clock counts as missed once past due on ``today``.
    One grouped query over the period's petitions."""
    today = today or china_today()
    key = _group_key(group_by)
    days = _Workdays(session, date_from, date_to, today)
    spent = _handling_days_column(days)
    columns = [key.label("key"), func.count().label("received"), func.count(Petition.resolved_at).label("handled"),
               func.count(Petition.fed_back_at).label("fed_back"), func.sum(spent).label("days"),
               func.count(spent).label("days_n")]
    for clock in CLOCKS:
        columns += _clock_columns(clock, today)
    columns += _visit_columns(days, today)
    rows = session.execute(_received_between(select(*columns), date_from, date_to).group_by(key).order_by(key)).all()
    extended = _extension_figures(session, key, date_from, date_to)
    tasks = _task_figures(session, key, date_from, date_to, today)

    units: dict[int, str] = {}
    if group_by == "unit":
        ids = [row.key for row in rows if row.key is not None]
        if ids:
            units = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).tuples().all())
    total, out = _empty(), []
    for row in rows:
        figures = _empty()
        figures.update(received=row.received, handled=row.handled, fed_back=row.fed_back, _days=int(row.days or 0),
                       _days_n=row.days_n, handling_days_unknown=row.handled - row.days_n)
        if row.days_n:
            figures["avg_handling_days"] = round(figures["_days"] / row.days_n, 2)
        figures.update(visited=row.visited, awaiting_visit=row.awaiting_visit, _score_sum=int(row.score_sum or 0),
                       satisfaction={"rated": row.rated, "average": _average(row.score_sum, row.rated),
                                     "distribution": {str(k): getattr(row, f"score_{k}") for k in SCORES}},
                       _rating_sum=int(row.rating_sum or 0),
                       enterprise_rating={"rated": row.ratings, "average": _average(row.rating_sum, row.ratings),
                                          "distribution": {str(k): getattr(row, f"rating_{k}") for k in SCORES}},
                       visits={"due": row.visit_due, "done": row.visit_done, "overdue": row.visit_overdue},
                       extensions=extended.get(row.key, figures["extensions"]),
                       tasks=tasks.get(row.key, figures["tasks"]))
        for clock in CLOCKS:
            met, missed, overdue = (getattr(row, f"{clock}_{x}") for x in ("met", "missed", "overdue"))
            figures["on_time"][clock] = {"met": met, "missed": missed, "overdue": overdue, "rate": _rate(met, missed)}
        _add(total, figures)
        out.append({"key": _key_out(group_by, row.key), "label": _label(group_by, row.key, units), **_public(figures)})
    return {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "group_by": group_by,
            "as_of": today.isoformat(), "groups": out, "total": _public(total)}


def _average(score_sum, rated: int) -> float | None:
    return round(int(score_sum) / rated, 2) if rated else None


def _add(total: dict, figures: dict) -> None:
    for name in ("received", "handled", "fed_back", "handling_days_unknown", "_days", "_days_n", "visited",
                 "awaiting_visit", "_score_sum", "_rating_sum"):
        total[name] += figures[name]
    for scores, score_sum in (("satisfaction", "_score_sum"), ("enterprise_rating", "_rating_sum")):
        added = total[scores]
        added["rated"] += figures[scores]["rated"]
        for k, n in figures[scores]["distribution"].items():
            added["distribution"][k] += n
        added["average"] = _average(total[score_sum], added["rated"])
    for name in VISIT_FIGURES:
        total["visits"][name] += figures["visits"][name]
    for name in TASK_FIGURES:
        total["tasks"][name] += figures["tasks"][name]
    for name in EXTENSION_FIGURES:
        total["extensions"][name] += figures["extensions"][name]
    _with_average(total["extensions"])
    for clock in CLOCKS:
        for part in ("met", "missed", "overdue"):
            total["on_time"][clock][part] += figures["on_time"][clock][part]
        clock_total = total["on_time"][clock]
        clock_total["rate"] = _rate(clock_total["met"], clock_total["missed"])
    total["avg_handling_days"] = round(total["_days"] / total["_days_n"], 2) if total["_days_n"] else None


def _public(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if not k.startswith("_")}


# -- common demands (共性诉求) --------------------------------------------------------------------

TAX_WORDS = Path(__file__).resolve().parents[2] / "knowledge" / "dictionary" / "tax_words.txt"

DEMAND_STOP_WORDS = frozenset("""
    纳税人 缴费人 有限公司 有限责任公司 公司 企业 我司 我们 本公司 我单位 单位 个人 贵局 税务局 税务机关 税务部门 税务 主管
    工作人员 窗口 问题 情况 事项 相关 有关 方面 规定 政策 要求 反映 希望 建议 请求 诉求 咨询 请问 是否 能否 可否 如何 怎么
    为什么 什么 无法 不能 不了 不会 没有 一直 多次 已经 目前 现在 今年 去年 本月 上月 近期 最近 时候 期间 之后 之前 以后 以前
    进行 出现 导致 提示 显示 需要 应该 可以 能够 办理 处理 解决 帮助 尽快 及时 给予 予以 协调 核实 一下 一个 多个 这个 那个
    没法 造成 影响 希望能 谢谢 感谢 麻烦 您好 你好 所在 当地 时间 工作日 天数 多天 几天 左右 以上 以下 万元 元
    申请 提交 收到 仍未 迟迟 正常 继续 调整 太低 太高 不够 不足 失败 错误 有误
""".split())
"""Words every demand shares; they name no theme."""

_KEYWORDS_PER_TEXT = 6
_MIN_PETITIONS = 2
_RELATED_OVERLAP = 0.6  # a keyword found with a theme this often belongs to it
_MAX_KEYWORDS_PER_THEME = 4
_NUMBERISH = re.compile(r"^[\d.%万元年月日号第]+$")


class _Keywords:
    """jieba TF-IDF with the tax dictionary and stop words; built once, on first use."""

    _instance: _Keywords | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        import jieba
        import jieba.analyse
        import jieba.posseg

        from knowledge.analysis import STOP_WORDS

        tokenizer = jieba.Tokenizer()
        tokenizer.load_userdict(str(TAX_WORDS))
        self.extractor = jieba.analyse.TFIDF()
        self.extractor.tokenizer = tokenizer
        self.extractor.postokenizer = jieba.posseg.POSTokenizer(tokenizer)
        self.extractor.stop_words = set(self.extractor.stop_words) | set(STOP_WORDS) | DEMAND_STOP_WORDS
        self._use = threading.Lock()  # jieba tokenizers are not documented as thread-safe

    @classmethod
    def get(cls) -> _Keywords:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def of(self, text: str) -> list[str]:
        with self._use:
            words = self.extractor.extract_tags(text, topK=_KEYWORDS_PER_TEXT * 2)
        return [w for w in words if not _NUMBERISH.match(w)][:_KEYWORDS_PER_TEXT]


@dataclass
class _Theme:
    keyword: str
    petitions: set
    related: list


def common_demands(session: Session, date_from: date, date_to: date, top: int = 10, *,
                   max_texts: int | None = 20000) -> dict:
    """Recurring themes of the demands received from ``date_from`` to ``date_to``: the ``top`` keywords
    shared by the most petitions (at least two), each with its companion keywords, the number of
    petitions and two example tickets (newest first). At most ``max_texts`` newest texts are read."""
    query = _received_between(select(Petition.id, Petition.ticket, Petition.content), date_from, date_to)
    query = query.order_by(Petition.received_at.desc(), Petition.id.desc())
    if max_texts:
        query = query.limit(max_texts)
    keywords = _Keywords.get()
    by_keyword: dict[str, list[int]] = {}
    tickets: dict[int, tuple[str, str]] = {}
    texts = 0
    for pid, ticket, content in session.execute(query.execution_options(yield_per=2000)):
        texts += 1
        tickets[pid] = (ticket, content)
        for word in dict.fromkeys(keywords.of(content)):
            by_keyword.setdefault(word, []).append(pid)  # ids in newest-first order

    ranked = sorted(((w, ids) for w, ids in by_keyword.items() if len(ids) >= _MIN_PETITIONS),
                    key=lambda item: (-len(item[1]), item[0]))
    themes: list[_Theme] = []
    for word, ids in ranked:
        members = set(ids)
        home = next((t for t in themes if len(members & t.petitions) >= _RELATED_OVERLAP * len(members)), None)
        if home is not None:
            if len(home.related) < _MAX_KEYWORDS_PER_THEME - 1:
                home.related.append(word)
            continue
        if len(themes) < top:
            themes.append(_Theme(word, members, []))
    out = []
    for theme in themes:
        newest = by_keyword[theme.keyword][:2]
        out.append({"theme": theme.keyword, "keywords": [theme.keyword, *theme.related],
                    "count": len(theme.petitions),
                    "examples": [{"id": pid, "ticket": tickets[pid][0], "content": tickets[pid][1][:120]}
                                 for pid in newest]})
    return {"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "texts": texts, "themes": out}
