"""Files sent in a conversation: only images and PDFs, recognised from their bytes, within a size limit."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime

from fastapi import UploadFile
from sqlalchemy.orm import Session

from api.errors import AppError
from api.hub.models import Attachment, Conversation

__all__ = ["TooLarge", "Unsupported", "sniff", "read_limited", "store"]

CHUNK = 64 * 1024


class TooLarge(AppError):
    status, code = 413, "too_large"


class Unsupported(AppError):
    status, code = 415, "unsupported_type"


def sniff(head: bytes) -> str | None:
    """The content type proven by the first bytes, whatever the file name or the browser claims."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    data = bytearray()
    while chunk := await upload.read(CHUNK):
        data += chunk
        if len(data) > limit:
            raise TooLarge(f"文件太大了，请上传不超过{limit // (1024 * 1024)}MB的图片或PDF文件")
    if not data:
        raise Unsupported("文件是空的，请重新选择")
    return bytes(data)


def _safe_name(name: str | None, content_type: str) -> str:
    name = re.sub(r"[\\/\x00-\x1f<>:\"|?*]+", "_", (name or "").strip())[-120:]
    return name or ("附件.pdf" if content_type == "application/pdf" else "图片")


def store(conversation: Conversation, filename: str | None, data: bytes, *, session: Session,
          now: datetime) -> Attachment:
    content_type = sniff(data[:16])
    if content_type is None:
        raise Unsupported("只能上传图片（PNG、JPG、GIF、WebP）或PDF文件")
    attachment = Attachment(conversation_id=conversation.id, filename=_safe_name(filename, content_type),
                            content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                            data=data, created_at=now)
    session.add(attachment)
    session.flush()
    return attachment
