"""Files sent in a conversation: only images and PDFs, recognised from their bytes, within a size limit."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime

from fastapi import UploadFile
from sqlalchemy.orm import Session

from api.core.errors import AppError
from api.hub.models import Attachment, Conversation
from common.textnorm import strip_controls

__all__ = ["TooLarge", "Unsupported", "sniff", "read_limited", "display_name", "store"]

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


NAME_MAX = 80  # characters of a display name, extension included
EXTENSIONS = {"image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"), "image/gif": (".gif",),
              "image/webp": (".webp",), "application/pdf": (".pdf",)}
_RESERVED = re.compile(r"[<>:\"|?*]+")


def display_name(name: str | None, content_type: str) -> str:
    """The name shown for a file, never the raw name as sent: the last path part only (browsers may send
    ``C:\\fakepath\\…``), no control or invisible formatting characters (a right-to-left override turns
    ``gpj.exe`` into what looks like ``exe.jpg``), no characters reserved on Windows, at most ``NAME_MAX``
    characters with its extension kept, and an extension that matches the bytes (``a.exe`` with PNG bytes is
    shown as ``a.exe.png``). Chinese and other letters stay."""
    base = re.split(r"[\\/]", strip_controls(name or ""))[-1]
    base = "".join(c for c in base if unicodedata.category(c) != "Cf")
    base = re.sub(r"\s+", " ", _RESERVED.sub("_", base)).strip().lstrip(".").strip()
    extensions = EXTENSIONS.get(content_type, ())
    stem, dot, ext = base.rpartition(".")
    if not dot or f".{ext.lower()}" not in extensions:
        stem, ext = base, (extensions[0] if extensions else "")[1:]
    stem = stem[: NAME_MAX - len(ext) - 1].rstrip(" .")
    if not stem:
        stem = "附件" if content_type == "application/pdf" else "图片"
    return f"{stem}.{ext}" if ext else stem


def store(conversation: Conversation, filename: str | None, data: bytes, *, session: Session,
          now: datetime) -> Attachment:
    content_type = sniff(data[:16])
    if content_type is None:
        raise Unsupported("只能上传图片（PNG、JPG、GIF、WebP）或PDF文件")
    attachment = Attachment(conversation_id=conversation.id, filename=display_name(filename, content_type),
                            content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                            data=data, created_at=now)
    session.add(attachment)
    session.flush()
    return attachment
