"""Ledger export (诉求台账): the petitions matching a filter as CSV or XLSX, read in chunks.

One row per petition with every registration and handling field (:data:`HEADERS`): who accepted it
and where, the lead and joint handling departments, the status in Chinese, each clock's due date and
whether it was met (按期 / 超期完成 / 已超期 / 即将到期 / 未到期; blank when untimed), the result and each
co-department's part, the approved extension days and every extension request with its status and reason,
the times of resolution, feedback, return visit and closing, the visit's satisfaction and note, and the
enterprise's own rating from the widget.

Rows are read ``CHUNK`` at a time by keyset (received time, id) — never the whole result in
memory — and written as they come:

* CSV: UTF-8 with a byte-order mark so Excel opens the Chinese text correctly; plain values
  (times as ``YYYY-MM-DD HH:MM`` in Asia/Shanghai) for data exchange.
* XLSX: openpyxl in write-only mode (rows streamed to a temporary file, constant memory); times are
  real date-time cells, codes and phone numbers stay text.
* Every text cell goes through ``api.spreadsheet``: control characters dropped (rows stored before intake
  removed them still export), formula-like text neutralised.
  openpyxl costs some tens of microseconds a cell: 5–8 s for 10 000 rows on the 2-core machine,
  against about 1 s for the CSV.

Use from a route (the generator opens its own session, so it outlives the request's)::

    return StreamingResponse(stream_csv(rt.session_factory, filters, today),
                             media_type=CSV_MEDIA_TYPE,
                             headers={"Content-Disposition": content_disposition(filename("csv", today))})

``stream_xlsx`` works the same way (the workbook is finished in a temporary file, then sent in
64 KiB pieces). The route must check the caller's role and pass the masker api.privacy.policy gives
it: the ledger carries contact data.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import BinaryIO
from urllib.parse import quote

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from api.org.models import StaffAccount, Unit
from api.petition.constants import EXTENSION_STATUS_LABELS, STATUS_LABELS, Status
from api.petition.models import Petition, PetitionEvent, PetitionExtension, PetitionHandler
from api.petition.queries import PetitionFilters, filtered
from api.petition.timing import ClockState, clock_state
from api.privacy.masking import Masker
from api.spreadsheet import csv_text, xlsx_value
from common.workdays import CHINA_TZ, china_today

__all__ = ["HEADERS", "CHUNK", "CSV_MEDIA_TYPE", "XLSX_MEDIA_TYPE", "ledger_rows", "iter_csv", "write_csv",
           "write_xlsx", "iter_xlsx", "stream_csv", "stream_xlsx", "filename", "content_disposition"]

HEADERS = ("受理编号", "纳税人名称", "统一社会信用代码", "联系电话", "诉求内容", "类别", "渠道", "受理时间", "受理单位",
           "受理人", "状态", "主办部门", "协办部门", "转交期限", "转交情况", "办理期限", "办理情况", "反馈期限", "反馈情况",
           "办理结果", "协办意见", "延期天数", "延期申请", "办结时间", "反馈时间", "回访时间", "满意度", "回访情况",
           "企业评价", "关闭时间")
CHUNK = 1000
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_WIDTHS = (20, 28, 22, 16, 60, 14, 12, 18, 20, 12, 16, 20, 28, 12, 10, 14, 10, 12, 10, 40, 40, 8, 40, 18, 18, 18, 8, 30,
           8, 18)
CLOCK_STATE_LABELS = {ClockState.met: "按期", ClockState.missed: "超期完成", ClockState.overdue: "已超期",
                      ClockState.due_soon: "即将到期", ClockState.on_track: "未到期", ClockState.untimed: ""}
"""A clock in the ledger: met or late once done; overdue, due soon or on track while running."""


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(CHINA_TZ).replace(tzinfo=None) if moment else None


def _deadline(row) -> date | str | None:
    if row.handling_due:
        return row.handling_due
    if row.long_term:
        return "长期跟踪"
    if row.reconsideration:
        return "按行政复议程序"
    return None


def _departments(session: Session, ids: list[int]) -> dict[int, tuple[list[str], list[tuple[str, str | None]]]]:
    """Per petition: the lead (主办) handling department's name, and each joint (协办) department's name with its
    part (its answer; None while open)."""
    out: dict[int, tuple[list[str], list[tuple[str, str | None]]]] = {pid: ([], []) for pid in ids}
    rows = session.execute(select(PetitionHandler.petition_id, PetitionHandler.lead, Unit.name, PetitionHandler.answer,
                                  PetitionHandler.completed_at)
                           .join(Unit, Unit.id == PetitionHandler.unit_id)
                           .where(PetitionHandler.petition_id.in_(ids)).order_by(PetitionHandler.id))
    for pid, lead, name, answer, completed_at in rows:
        if lead:
            out[pid][0].append(name)
        else:
            out[pid][1].append((name, answer if completed_at else None))
    return out


def _parts(joint: list[tuple[str, str | None]], masker: Masker, names: list[str]) -> str | None:
    """The co-departments' parts, ``税政科：answer`` (``未完成`` while open), one a line."""
    return "\n".join(f"{unit}：{masker.text(answer, names) if answer else '未完成'}" for unit, answer in joint) or None


def _visit_notes(session: Session, ids: list[int]) -> dict[int, str | None]:
    """Per petition: the note of its return visit (the ledger's ``return_visit`` entry)."""
    rows = session.execute(select(PetitionEvent.petition_id, PetitionEvent.reason)
                           .where(PetitionEvent.petition_id.in_(ids), PetitionEvent.action == "return_visit",
                                  PetitionEvent.reason.is_not(None)).order_by(PetitionEvent.id))
    return dict(rows.tuples().all())


def _extensions(session: Session, ids: list[int], masker: Masker, names: dict[int, str]) -> dict[int, str]:
    """Per petition: its extension requests, e.g. ``3天（已批准）：原因``, one a line."""
    out: dict[int, list[str]] = {}
    rows = session.execute(select(PetitionExtension.petition_id, PetitionExtension.days, PetitionExtension.status,
                                  PetitionExtension.reason)
                           .where(PetitionExtension.petition_id.in_(ids)).order_by(PetitionExtension.id))
    for pid, days, status, reason in rows:
        label = EXTENSION_STATUS_LABELS.get(status, status)
        out.setdefault(pid, []).append(f"{days}天（{label}）：{masker.text(reason, [names[pid]])}")
    return {pid: "\n".join(lines) for pid, lines in out.items()}


def _clock(due: date | None, done: datetime | None, today: date) -> str:
    return CLOCK_STATE_LABELS[clock_state(due, done, today)]


def ledger_rows(session: Session, filters: PetitionFilters | None = None, *, today: date | None = None,
                chunk: int = CHUNK, limit: int | None = None, masker: Masker | None = None) -> Iterator[list]:
    """The ledger's rows in receipt order, typed: Shanghai wall-clock datetimes, dates, ints, text.
    ``limit``: at most that many rows (the first ones in receipt order). ``masker``: the personal fields
    masked as api.privacy.policy decided for the caller (None: as stored, for scripts and benchmarks).
    Handling departments and extension requests are read once per chunk."""
    masker = masker or Masker(False)
    filters, today = filters or PetitionFilters(), today or china_today()
    accepted_by = aliased(StaffAccount)
    base = filtered(select(Petition.id, Petition.ticket, Petition.taxpayer_name, Petition.uscc,
                           Petition.contact_phone, Petition.content, Petition.category, Petition.channel,
                           Petition.received_at, Unit.name.label("unit_name"),
                           accepted_by.display_name.label("accepted_by"), Petition.status,
                           Petition.handover_due, Petition.handed_over_at, Petition.handling_due,
                           Petition.feedback_due, Petition.long_term, Petition.reconsideration, Petition.resolution,
                           Petition.extended_days, Petition.resolved_at, Petition.fed_back_at, Petition.visited_at,
                           Petition.satisfaction, Petition.enterprise_rating, Petition.closed_at)
                    .join(Unit, Unit.id == Petition.accepting_unit_id)
                    .outerjoin(accepted_by, accepted_by.id == Petition.accepting_staff_id), filters, today)
    last, left = None, limit
    while left is None or left > 0:
        size = chunk if left is None else min(chunk, left)
        query = base
        if last is not None:
            query = query.where(or_(Petition.received_at > last[0],
                                    and_(Petition.received_at == last[0], Petition.id > last[1])))
        rows = session.execute(query.order_by(Petition.received_at, Petition.id).limit(size)).all()
        if left is not None:
            left -= len(rows)
        ids = [r.id for r in rows]
        departments = _departments(session, ids) if ids else {}
        requests = _extensions(session, ids, masker, {r.id: r.taxpayer_name for r in rows}) if ids else {}
        notes = _visit_notes(session, ids) if ids else {}
        for r in rows:
            names = [r.taxpayer_name]
            lead, joint = departments[r.id]
            yield [r.ticket, masker.name(r.taxpayer_name), masker.uscc(r.uscc), masker.phone(r.contact_phone),
                   masker.text(r.content, names), r.category, r.channel,
                   _local(r.received_at), r.unit_name, r.accepted_by or ("智能助手" if r.channel == "智能助手" else None),
                   STATUS_LABELS[Status(r.status)], "、".join(lead), "、".join(unit for unit, _ in joint),
                   r.handover_due, _clock(r.handover_due, r.handed_over_at, today),
                   _deadline(r), _clock(r.handling_due, r.resolved_at, today),
                   r.feedback_due, _clock(r.feedback_due, r.fed_back_at, today),
                   masker.text(r.resolution, names) if r.resolution else None, _parts(joint, masker, names),
                   r.extended_days or None, requests.get(r.id),
                   _local(r.resolved_at), _local(r.fed_back_at), _local(r.visited_at), r.satisfaction,
                   masker.text(notes[r.id], names) if r.id in notes else None, r.enterprise_rating,
                   _local(r.closed_at)]
        if len(rows) < size:
            return
        last = (rows[-1].received_at, rows[-1].id)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv_safe(row: list) -> list[str]:
    return [csv_text(v) if isinstance(v, str) else _text(v) for v in row]


def iter_csv(session: Session, filters: PetitionFilters | None = None, *, today: date | None = None,
             chunk: int = CHUNK, limit: int | None = None, masker: Masker | None = None) -> Iterator[bytes]:
    """UTF-8 CSV with BOM, one ``bytes`` piece per chunk of rows (the first holds BOM and headers)."""
    return _csv_pieces(ledger_rows(session, filters, today=today, chunk=chunk, limit=limit, masker=masker), chunk)


def _csv_pieces(rows: Iterator[list], chunk: int) -> Iterator[bytes]:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    pending = 0
    for row in rows:
        writer.writerow(_csv_safe(row))
        pending += 1
        if pending == chunk:
            yield _drain(buffer)
            pending = 0
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


class _Counted:
    def __init__(self, rows: Iterator[list]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[list]:
        for row in self.rows:
            self.count += 1
            yield row


def write_csv(out: BinaryIO, session: Session, filters: PetitionFilters | None = None, *,
              today: date | None = None, chunk: int = CHUNK, limit: int | None = None,
              masker: Masker | None = None) -> int:
    """Write the CSV to a binary file; returns the number of petitions written."""
    rows = _Counted(ledger_rows(session, filters, today=today, chunk=chunk, limit=limit, masker=masker))
    for piece in _csv_pieces(iter(rows), chunk):
        out.write(piece)
    return rows.count


def write_xlsx(out: BinaryIO | str, session: Session, filters: PetitionFilters | None = None, *,
               today: date | None = None, chunk: int = CHUNK, limit: int | None = None,
               masker: Masker | None = None) -> int:
    """Write the workbook (sheet 诉求台账) to a path or binary file; returns the number of petitions."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("诉求台账")
    sheet.freeze_panes = "A2"
    for i, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    bold = Font(bold=True)
    header = []
    for title in HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    # Plain values wherever possible: a styled cell costs openpyxl several times a plain one.
    # Dates and times get openpyxl's default formats (yyyy-mm-dd, yyyy-mm-dd h:mm:ss).
    count = 0
    for row in ledger_rows(session, filters, today=today, chunk=chunk, limit=limit, masker=masker):
        sheet.append([xlsx_value(sheet, v) if isinstance(v, str) else v for v in row])
        count += 1
    workbook.save(out)
    return count


def iter_xlsx(session: Session, filters: PetitionFilters | None = None, *, today: date | None = None,
              chunk: int = CHUNK, limit: int | None = None, piece: int = 64 * 1024,
              masker: Masker | None = None) -> Iterator[bytes]:
    """The workbook in ``piece``-sized parts (built in a temporary file first: a zip is finished last)."""
    with tempfile.TemporaryFile(suffix=".xlsx") as tmp:
        write_xlsx(tmp, session, filters, today=today, chunk=chunk, limit=limit, masker=masker)
        tmp.seek(0)
        while data := tmp.read(piece):
            yield data


@contextmanager
def _own_session(session_factory: Callable[[], Session]):
    session = session_factory()
    try:
        yield session
    finally:
        session.close()  # read only: closing ends its transaction


def stream_csv(session_factory: Callable[[], Session], filters: PetitionFilters | None = None,
               today: date | None = None, limit: int | None = None, masker: Masker | None = None) -> Iterator[bytes]:
    """:func:`iter_csv` with its own read-only session, for a StreamingResponse."""
    with _own_session(session_factory) as session:
        yield from iter_csv(session, filters, today=today, limit=limit, masker=masker)


def stream_xlsx(session_factory: Callable[[], Session], filters: PetitionFilters | None = None,
                today: date | None = None, limit: int | None = None, masker: Masker | None = None) -> Iterator[bytes]:
    """:func:`iter_xlsx` with its own read-only session, for a StreamingResponse."""
    with _own_session(session_factory) as session:
        yield from iter_xlsx(session, filters, today=today, limit=limit, masker=masker)


def filename(kind: str, today: date | None = None) -> str:
    return f"诉求台账_{(today or china_today()):%Y%m%d}.{kind}"


def content_disposition(name: str) -> str:
    """An attachment header that carries a Chinese file name (RFC 6266 / 5987) with an ASCII fallback."""
    fallback = "petitions" + name[name.rfind("."):] if "." in name else "petitions"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
