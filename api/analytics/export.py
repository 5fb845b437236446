"""CSV downloads of the dashboard's tables: UTF-8 with a BOM (Excel opens Chinese correctly), a Chinese header
row, text cells made safe by ``api.spreadsheet`` (control characters dropped, formulas neutralised), and an
attachment header carrying the Chinese file name. One builder per chart turns its JSON into rows, so the
download has exactly the numbers on the screen.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from urllib.parse import quote

from fastapi.responses import Response

from api.petition.export import CSV_MEDIA_TYPE
from api.spreadsheet import csv_text

__all__ = ["csv_bytes", "csv_response", "TABLES"]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return csv_text(value) if isinstance(value, str) else str(value)


def csv_bytes(header: list[str], rows: Iterable[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return "\ufeff".encode("utf-8") + buffer.getvalue().encode("utf-8")


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> Response:
    ascii_name = filename.encode("ascii", "ignore").decode() or "analytics.csv"
    return Response(csv_bytes(header, rows), media_type=CSV_MEDIA_TYPE, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"})


def _overview(data: dict):
    header = ["日期", "会话数", "有效会话", "消息数", "用户消息", "机器人回复", "已回答", "澄清追问", "未能回答", "转人工回复",
              "转人工会话", "转诉求会话", "机器人独立解决", "有用", "没用", "独立解决率", "转人工率", "未能回答率", "澄清率"]
    keys = ["conversations", "engaged", "messages", "user_messages", "bot_turns", "answered", "clarified", "fell_back",
            "handoff_turns", "handed_off", "petitions", "contained", "feedback_useful", "feedback_useless",
            "containment_rate", "handoff_rate", "fallback_rate", "clarify_rate"]
    rows = [[d["day"], *[d[k] for k in keys]] for d in data["days"]]
    rows.append(["合计", *[data["total"][k] for k in keys]])
    rows += [[f"转人工原因：{r['label']}", r["conversations"], r["share"]] for r in data["handoff_reasons"]]
    rows += [[f"未能回答原因：{r['label']}", r["turns"], r["share"]] for r in data["fallback_reasons"]]
    return header, rows


def _intents(data: dict):
    return (["意图", "回复轮次", "未能回答或澄清", "未答率", "占比"],
            [[r["intent"], r["turns"], r["unanswered"], r["unanswered_rate"], r["share"]] for r in data["intents"]])


def _topics(data: dict):
    return (["主题", "名称", "回答次数", "澄清时提供", "有用", "没用", "占比"],
            [[r["topic"], r["title"], r["answers"], r["clarify_offers"], r["useful"], r["useless"], r["share"]]
             for r in data["topics"]])


def _unanswered(data: dict):
    header = ["分组", "词语", "次数", "未能回答", "澄清追问", "首次出现", "最近出现", "建议条目", "建议条目标题", "示例问题",
              "示例消息ID", "示例会话ID"]
    rows = []
    for g in data["groups"]:
        example = g["examples"][0] if g["examples"] else {}
        entry = g["suggested_entry"] or {}
        rows.append([g["group_id"], g["label"], g["count"], g["fallbacks"], g["clarifies"], g["first_day"], g["last_day"],
                     entry.get("entry_id"), entry.get("title"), example.get("text"), example.get("message_id"),
                     example.get("conversation_id")])
    return header, rows


def _feedback(data: dict):
    rows = [[r["entry_id"], r["title"], r["topic"], r["answers"], r["useful"], r["useless"], r["useful_rate"]]
            for r in data["entries"]]
    t = data["total"]
    rows.append(["合计", "", "", t["answers"], t["useful"], t["useless"], t["useful_rate"]])
    return ["条目", "标题", "主题", "回答次数", "有用", "没用", "有用率"], rows


def _seats(data: dict):
    header = ["坐席ID", "姓名", "单位", "会话数", "平均等待秒", "平均首次响应秒", "平均处理秒", "评价数", "平均评分", "满意率"]

    def row(first, name, unit, r):
        return [first, name, unit, r["conversations"], r["wait_avg_seconds"], r["first_response_avg_seconds"],
                r["handling_avg_seconds"], r["ratings"], r["rating_avg"], r["satisfied_rate"]]

    rows = [row(r["staff_id"], r["name"], r["unit"], r) for r in data["seats"]]
    rows.append(row("总体", "", "", data["overall"]))
    return header, rows


def _petitions(data: dict):
    header = ["分组维度", "分组", "受理", "办结", "已反馈", "转交按期率", "办理按期率", "反馈按期率", "平均办理天数"]

    def row(dimension, label, g):
        on_time = g["on_time"]
        return [dimension, label, g["received"], g["handled"], g["fed_back"], on_time["handover"]["rate"],
                on_time["handling"]["rate"], on_time["feedback"]["rate"], g["avg_handling_days"]]

    rows = [row("合计", "", data["total"])]
    for dimension, name in (("by_category", "类别"), ("by_channel", "渠道"), ("by_unit", "主办部门")):
        rows += [row(name, g["label"], g) for g in data[dimension]]
    rows += [["共性诉求", t["theme"], t["count"], "、".join(t["keywords"]),
              (t["examples"][0]["content"] if t["examples"] else "")] for t in data["common_demands"]["themes"]]
    return header, rows


def _campaigns(data: dict):
    header = ["活动ID", "名称", "规则", "状态", "评估企业", "目标", "送达", "已读", "已答复", "已纠正", "已关闭"]
    return header, [[c["id"], c["name"], c["rule_id"], c["status"], c["funnel"]["evaluated"], c["funnel"]["targeted"],
                     c["funnel"]["delivered"], c["funnel"]["read"], c["funnel"]["answered"], c["funnel"]["corrected"],
                     c["funnel"]["closed"]] for c in data["campaigns"]]


TABLES = {"overview": _overview, "intents": _intents, "topics": _topics, "unanswered": _unanswered,
          "feedback": _feedback, "seats": _seats, "petitions": _petitions, "campaigns": _campaigns}
"""Chart name → function(json) → (header, rows)."""
