"""The dashboard's charts, read from the pre-aggregated tables (and, for petitions and campaigns, from the
petition statistics and the campaign funnel, reused as they are).

Every function takes ``session=`` and a :class:`Scope` (Shanghai dates, channel, unit) and returns the JSON
documented in docs/dashboard-api.md; ``table(...)`` functions give the same numbers as CSV rows. Free text
(question examples, petition demands) goes through the :class:`~api.privacy.masking.Masker` passed in.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row, func, or_, select
from sqlalchemy.orm import Session

from api.analytics.clustering import THRESHOLD, cluster_term_sets
from api.analytics.models import AnalyticsDayRun, DailyFigures, DailyKey, DailySeat, UnansweredGroup
from api.hub.service import REASONS
from api.org.models import StaffAccount, Unit
from api.petition.models import Petition
from api.petition.queries import china_day_start
from api.petition.statistics import common_demands, statistics
from api.privacy.masking import Masker
from api.reminder.campaigns import funnel
from api.reminder.models import Campaign

__all__ = ["Scope", "overview", "intents", "topics", "unanswered", "feedback", "seats", "petitions", "campaigns",
           "FALLBACK_REASONS", "DAY_FIELDS", "rate"]

DAY_FIELDS = ("conversations", "engaged", "messages", "user_messages", "bot_turns", "answered", "clarified",
              "fell_back", "handoff_turns", "handed_off", "petitions", "contained", "feedback_useful",
              "feedback_useless")
SEAT_FIELDS = ("wait_seconds_sum", "wait_count", "first_response_seconds_sum", "first_response_count",
               "handling_seconds_sum", "handling_count", "rating_sum", "rating_count", "rating_satisfied")
FALLBACK_REASONS = {"no_answer": "知识库没有把握回答", "out_of_scope": "超出办税范围", "empty": "空消息",
                    "service_unavailable": "后台服务不可用", "petition_rejected": "诉求未能登记",
                    "petition_unavailable": "诉求服务不可用", "login_required": "需要登录或提供受理编号",
                    "petition_not_found": "未找到诉求", "no_reminder": "未找到提醒", "unknown": "未说明"}


@dataclass(frozen=True)
class Scope:
    date_from: date
    date_to: date
    channel: str = "all"  # all | enterprise | visitor
    unit_id: int | None = None

    def where(self, model) -> list:
        clauses = [model.day >= self.date_from, model.day <= self.date_to]
        if self.channel != "all":
            clauses.append(model.channel == self.channel)
        if self.unit_id is not None:
            clauses.append(model.unit_id == self.unit_id)
        return clauses

    def head(self) -> dict:
        return {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat(), "channel": self.channel,
                "unit_id": self.unit_id}


def rate(part: int | float, whole: int | float) -> float | None:
    return round(part / whole, 4) if whole else None


def _avg(total: float, count: int) -> float | None:
    return round(total / count, 1) if count else None


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _kb():
    from knowledge.base import get_knowledge_base

    return get_knowledge_base()


def _with_rates(row: dict) -> dict:
    row["containment_rate"] = rate(row["contained"], row["engaged"])
    row["handoff_rate"] = rate(row["handed_off"], row["engaged"])
    row["fallback_rate"] = rate(row["fell_back"], row["bot_turns"])
    row["clarify_rate"] = rate(row["clarified"], row["bot_turns"])
    return row


def _keys(session: Session, scope: Scope, dimension: str, *columns: str) -> Sequence[Row[Any]]:
    sums = [func.sum(getattr(DailyKey, c)).label(c) for c in columns]
    return session.execute(select(DailyKey.key, *sums).where(DailyKey.dimension == dimension, *scope.where(DailyKey))
                           .group_by(DailyKey.key)).all()


def _shares(rows: list[dict], field: str) -> list[dict]:
    whole = sum(r[field] for r in rows)
    for r in rows:
        r["share"] = rate(r[field], whole)
    return rows


def overview(scope: Scope, *, session: Session) -> dict:
    sums = [func.sum(getattr(DailyFigures, f)).label(f) for f in DAY_FIELDS]
    by_day = {_day(row.day): row for row in session.execute(
        select(DailyFigures.day, *sums).where(*scope.where(DailyFigures)).group_by(DailyFigures.day))}
    days, total = [], dict.fromkeys(DAY_FIELDS, 0)
    day = scope.date_from
    while day <= scope.date_to:
        row = by_day.get(day)
        values = {f: int(getattr(row, f) or 0) if row else 0 for f in DAY_FIELDS}
        for f in DAY_FIELDS:
            total[f] += values[f]
        days.append(_with_rates({"day": day.isoformat(), **values}))
        day += timedelta(days=1)
    reasons = sorted(({"reason": key, "label": REASONS.get(key, key), "conversations": int(n or 0)}
                      for key, n in _keys(session, scope, "handoff_reason", "total")),
                     key=lambda r: (-r["conversations"], r["reason"]))
    fallbacks = sorted(({"reason": key, "label": FALLBACK_REASONS.get(key, key), "turns": int(n or 0)}
                        for key, n in _keys(session, scope, "fallback_reason", "total")),
                       key=lambda r: (-r["turns"], r["reason"]))
    as_of = session.execute(select(func.max(AnalyticsDayRun.aggregated_at)).where(
        AnalyticsDayRun.day >= scope.date_from, AnalyticsDayRun.day <= scope.date_to)).scalar_one_or_none()
    return {**scope.head(), "as_of": as_of.isoformat() if as_of else None, "days": days,
            "total": _with_rates(total), "handoff_reasons": _shares(reasons, "conversations"),
            "fallback_reasons": _shares(fallbacks, "turns")}


def intents(scope: Scope, *, session: Session, limit: int = 20) -> dict:
    rows = [{"intent": key, "turns": int(total or 0), "unanswered": int(unanswered or 0)}
            for key, total, unanswered in _keys(session, scope, "intent", "total", "unanswered")]
    whole = sum(r["turns"] for r in rows)
    rows.sort(key=lambda r: (-r["turns"], r["intent"]))
    for r in rows:
        r["unanswered_rate"] = rate(r["unanswered"], r["turns"])
        r["share"] = rate(r["turns"], whole)
    return {**scope.head(), "total_turns": whole, "intents": rows[:limit]}


def topics(scope: Scope, *, session: Session, limit: int = 20) -> dict:
    kb = _kb()
    rows = []
    for key, total, unanswered, useful, useless in _keys(session, scope, "topic", "total", "unanswered", "useful",
                                                          "useless"):
        topic = kb.topics.get(key)
        rows.append({"topic": key, "title": topic.title if topic else key, "answers": int(total or 0),
                     "clarify_offers": int(unanswered or 0), "useful": int(useful or 0), "useless": int(useless or 0)})
    whole = sum(r["answers"] for r in rows)
    rows.sort(key=lambda r: (-r["answers"], -r["clarify_offers"], r["topic"]))
    for r in rows:
        r["share"] = rate(r["answers"], whole)
    return {**scope.head(), "total_answers": whole, "topics": rows[:limit]}


def feedback(scope: Scope, *, session: Session, limit: int = 50) -> dict:
    kb = _kb()
    rows: list[dict[str, Any]] = []
    total: dict[str, Any] = {"answers": 0, "useful": 0, "useless": 0}  # counts, then useful_rate
    for key, answers, useful, useless in _keys(session, scope, "entry", "total", "useful", "useless"):
        entry = kb.get(key)
        topic = kb.topics.get(entry.topic) if entry else None
        row = {"entry_id": key, "title": entry.title if entry else key, "topic": entry.topic if entry else None,
               "topic_title": topic.title if topic else None, "answers": int(answers or 0), "useful": int(useful or 0),
               "useless": int(useless or 0), "in_knowledge_base": entry is not None}
        row["rated"] = row["useful"] + row["useless"]
        row["useful_rate"] = rate(row["useful"], row["rated"])
        for f in total:
            total[f] += row[f]
        rows.append(row)
    rows.sort(key=lambda r: (-r["useless"], -r["answers"], r["entry_id"]))
    total["rated"] = total["useful"] + total["useless"]
    total["useful_rate"] = rate(total["useful"], total["rated"])
    return {**scope.head(), "total": total, "entries": rows[:limit]}


def _seat_figures(values: dict) -> dict:
    return {"first_response_avg_seconds": _avg(values["first_response_seconds_sum"], values["first_response_count"]),
            "first_response_count": values["first_response_count"],
            "handling_avg_seconds": _avg(values["handling_seconds_sum"], values["handling_count"]),
            "handling_count": values["handling_count"],
            "wait_avg_seconds": _avg(values["wait_seconds_sum"], values["wait_count"]), "wait_count": values["wait_count"],
            "ratings": values["rating_count"],
            "rating_avg": round(values["rating_sum"] / values["rating_count"], 2) if values["rating_count"] else None,
            "satisfied_rate": rate(values["rating_satisfied"], values["rating_count"])}


def seats(scope: Scope, *, session: Session) -> dict:
    sums = [func.sum(getattr(DailySeat, f)).label(f) for f in ("conversations", *SEAT_FIELDS)]
    rows = session.execute(select(DailySeat.staff_id, *sums).where(*scope.where(DailySeat))
                           .group_by(DailySeat.staff_id)).all()
    people = {}
    if rows:
        people = {s.id: (s, u) for s, u in session.execute(
            select(StaffAccount, Unit).join(Unit, Unit.id == StaffAccount.unit_id)
            .where(StaffAccount.id.in_([r.staff_id for r in rows])))}
    out = []
    for row in rows:
        values = {f: (getattr(row, f) or 0) for f in ("conversations", *SEAT_FIELDS)}
        staff, unit = people.get(row.staff_id, (None, None))
        out.append({"staff_id": row.staff_id, "name": staff.display_name if staff else f"坐席{row.staff_id}",
                    "role": staff.role if staff else None, "unit_id": unit.id if unit else None,
                    "unit": unit.name if unit else None, "conversations": int(values["conversations"]),
                    **_seat_figures(values)})
    out.sort(key=lambda r: (-r["conversations"], r["staff_id"]))
    overall_sums = [func.sum(getattr(DailyFigures, f)).label(f) for f in ("seat_conversations", *SEAT_FIELDS)]
    overall_row = session.execute(select(*overall_sums).where(*scope.where(DailyFigures))).one()
    overall_values = {f: (getattr(overall_row, f) or 0) for f in ("seat_conversations", *SEAT_FIELDS)}
    distribution = {str(n): 0 for n in range(1, 6)}
    for key, n in _keys(session, scope, "rating", "total"):
        distribution[key] = int(n or 0)
    overall = {"conversations": int(overall_values["seat_conversations"]), **_seat_figures(overall_values),
               "rating_distribution": distribution}
    return {**scope.head(), "overall": overall, "seats": out}


def unanswered(scope: Scope, *, session: Session, masker: Masker, kind: str = "all", limit: int = 30) -> dict:
    """Three queries: the period's term sets with their counts (grouped in SQL), the suggested entries per term
    set, then examples only for the groups shown (the three newest rows of each of their term sets)."""
    u = UnansweredGroup
    weight = {"all": u.count, "fallback": u.fallbacks, "clarify": u.clarifies}[kind]
    where = [*scope.where(u), weight > 0]
    merged: dict[str, dict] = {}
    for terms, count, fallbacks, clarifies, first, last in session.execute(
            select(u.terms, func.sum(weight), func.sum(u.fallbacks), func.sum(u.clarifies), func.min(u.day),
                   func.max(u.day)).where(*where).group_by(u.terms)):
        merged[terms] = {"count": int(count), "fallbacks": int(fallbacks) if kind != "clarify" else 0,
                         "clarifies": int(clarifies) if kind != "fallback" else 0, "entries": Counter(),
                         "first_day": _day(first), "last_day": _day(last)}
    for terms, entry_id, count in session.execute(select(u.terms, u.entry_id, func.sum(weight))
                                                  .where(*where, u.entry_id.is_not(None)).group_by(u.terms, u.entry_id)):
        merged[terms]["entries"][entry_id] += int(count)
    clusters = cluster_term_sets([(tuple(terms.split()), item["count"], terms) for terms, item in merged.items()])
    ranked = sorted(clusters, key=lambda c: (-sum(merged[t]["count"] for _, _, t in c.members), c.seed))[:limit]
    examples: dict[int, list] = {i: [] for i in range(len(ranked))}
    owner = {t: i for i, c in enumerate(ranked) for _, _, t in c.members}
    wanted = list(owner)
    for chunk in range(0, len(wanted), 500):
        rank = func.row_number().over(partition_by=u.terms, order_by=(u.day.desc(), u.id.desc())).label("n")
        newest = select(u.terms, u.examples, rank).where(*where, u.terms.in_(wanted[chunk:chunk + 500])).subquery()
        for terms, found in session.execute(select(newest.c.terms, newest.c.examples).where(newest.c.n <= 3)):
            examples[owner[terms]] += [e for e in found or [] if kind == "all" or e.get("kind") == kind]
    kb = _kb()
    groups = []
    for i, cluster in enumerate(ranked):
        items = [merged[t] for _, _, t in cluster.members]
        entries: Counter[str] = Counter()
        for item in items:
            entries.update(item["entries"])
        latest = sorted(examples[i], key=lambda e: -e["message_id"])[:5]
        entry = kb.get(entries.most_common(1)[0][0]) if entries else None
        topic = kb.topics.get(entry.topic) if entry else None
        names = {n for e in latest for n in e.get("names") or []}
        groups.append({
            "group_id": cluster.group_id,
            "label": masker.text(" ".join(cluster.seed[:4]), names) or "（无可识别词语）",
            "terms": [masker.text(t, names) for t in cluster.seed], "count": sum(i["count"] for i in items),
            "fallbacks": sum(i["fallbacks"] for i in items), "clarifies": sum(i["clarifies"] for i in items),
            "first_day": min(i["first_day"] for i in items).isoformat(),
            "last_day": max(i["last_day"] for i in items).isoformat(),
            "suggested_topic": {"topic": topic.id, "title": topic.title} if topic else None,
            "suggested_entry": {"entry_id": entry.id, "title": entry.title} if entry else None,
            "examples": [{"message_id": e["message_id"], "user_message_id": e.get("user_message_id"),
                          "conversation_id": e["conversation_id"], "text": masker.text(e["text"], e.get("names") or []),
                          "kind": e.get("kind")} for e in latest]})
    groups.sort(key=lambda g: (-g["count"], g["label"]))
    turns = sum(item["count"] for item in merged.values())
    return {**scope.head(), "kind": kind, "turns": turns, "grouped_turns": turns,
            "method": f"jieba terms (knowledge analyzer), Jaccard ≥ {THRESHOLD}", "groups": groups}


DEMANDS_TTL = 3600


def _demands(session: Session, scope: Scope, top: int, cache) -> dict:
    """:func:`api.petition.statistics.common_demands`, cached in Redis under a fingerprint of the period's
    petitions (count, newest id, latest receipt): jieba over a month of demands takes a second, and the answer only
    changes when a petition is received. Without ``cache`` it is computed every time."""
    if cache is None:
        return common_demands(session, scope.date_from, scope.date_to, top=top)
    start, end = china_day_start(scope.date_from), china_day_start(scope.date_to + timedelta(days=1))
    count, newest, latest = session.execute(select(func.count(Petition.id), func.max(Petition.id),
                                                   func.max(Petition.received_at)).where(
        Petition.received_at >= start, Petition.received_at < end)).one()
    key = f"analytics:demands:{scope.date_from}:{scope.date_to}:{top}:{count}:{newest}:{latest}"
    try:
        hit = cache.get(key)
    except Exception:  # noqa: BLE001 - a cache that is down only costs time
        hit = None
    if hit:
        return json.loads(hit)
    demands = common_demands(session, scope.date_from, scope.date_to, top=top)
    try:  # noqa: SIM105
        cache.set(key, json.dumps(demands, ensure_ascii=False), ex=DEMANDS_TTL)
    except Exception:  # noqa: BLE001
        pass
    return demands


def petitions(scope: Scope, *, session: Session, masker: Masker, top: int = 10, cache=None) -> dict:
    by = {group: statistics(session, scope.date_from, scope.date_to, group) for group in ("category", "channel", "unit")}
    demands = _demands(session, scope, top, cache)
    ids = {e["id"] for theme in demands["themes"] for e in theme["examples"]}
    names = dict(session.execute(select(Petition.id, Petition.taxpayer_name).where(Petition.id.in_(ids))).tuples().all()) if ids else {}
    for theme in demands["themes"]:
        for example in theme["examples"]:
            example["content"] = masker.text(example["content"], [names.get(example["id"])])
    return {"date_from": scope.date_from.isoformat(), "date_to": scope.date_to.isoformat(),
            "as_of": by["category"]["as_of"], "total": by["category"]["total"],
            "by_category": by["category"]["groups"], "by_channel": by["channel"]["groups"],
            "by_unit": by["unit"]["groups"], "common_demands": {"texts": demands["texts"], "themes": demands["themes"]}}


def campaigns(scope: Scope, *, session: Session, limit: int = 50) -> dict:
    start, end = china_day_start(scope.date_from), china_day_start(scope.date_to + timedelta(days=1))
    rows = session.execute(select(Campaign).where(or_(
        Campaign.created_at.between(start, end), Campaign.started_at.between(start, end),
        Campaign.status == "sending")).order_by(Campaign.id.desc()).limit(limit)).scalars().all()
    stamp = lambda t: t.isoformat() if t else None  # noqa: E731
    return {**scope.head(), "campaigns": [
        {"id": c.id, "name": c.name, "rule_id": c.rule_id, "status": c.status, "created_at": stamp(c.created_at),
         "started_at": stamp(c.started_at), "finished_at": stamp(c.finished_at), "funnel": funnel(c, session=session)}
        for c in rows]}
