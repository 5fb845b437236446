"""A small HTTP/1.1 client for the one request on the widget's hot path: a JSON POST to Rasa's REST channel.

httpx costs 1.5–3 ms of CPU per request (its models, httpcore's pool and events, anyio), which the enterprise
waits for on every turn and which holds the GIL against the hub's store thread. This client does only what that
call needs — ``POST`` a JSON body over plain ``http://`` on kept-alive connections, read a ``Content-Length`` or
chunked answer — in a few hundred microseconds. Everything else (the tracker, health, https) stays with httpx.

Connections idle for longer than ``idle_seconds`` are closed rather than reused (Sanic, under Rasa, closes idle
ones after 5 s), as is any the server has closed meanwhile; a request is never retried on another connection
once written (Rasa may have run the turn: the caller decides). :class:`Refused` says nothing reached the server,
:class:`Failed` that it may have.
"""
from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

__all__ = ["KeepAlivePool", "Refused", "Failed"]

_MAX_HEADER_BYTES = 64 * 1024
_MAX_BODY_BYTES = 16 * 2**20


class Refused(Exception):
    """The connection could not be opened: the request never reached the server."""


class Failed(Exception):
    """The request was (or may have been) sent and no complete answer came: a timeout, a dropped connection, an
    HTTP error status or a malformed answer."""


_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter, float]  # reader, writer, idle since (monotonic)


class KeepAlivePool:
    def __init__(self, timeout: float, idle_seconds: float = 4.0, max_idle_per_host: int = 20) -> None:
        self.timeout, self.idle_seconds, self.max_idle = timeout, idle_seconds, max_idle_per_host
        self._idle: dict[tuple[str, int], list[_Conn]] = {}

    async def close(self) -> None:
        for conns in self._idle.values():
            for _, writer, _ in conns:
                writer.close()
        self._idle.clear()

    def _take(self, host: tuple[str, int]) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        conns, now = self._idle.get(host), time.monotonic()
        while conns:
            reader, writer, since = conns.pop()
            if now - since < self.idle_seconds and not reader.at_eof() and not writer.is_closing():
                return reader, writer
            writer.close()
        return None

    def _give_back(self, host: tuple[str, int], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conns = self._idle.setdefault(host, [])
        if len(conns) < self.max_idle:
            conns.append((reader, writer, time.monotonic()))
        else:
            writer.close()

    async def post_json(self, url: str, body: bytes) -> bytes:
        """POST ``body`` (JSON) to ``url`` (``http://host:port/path``); the answer's body when the status is 2xx."""
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only http:// URLs: {url!r}")
        host = (parts.hostname, parts.port or 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = (f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
                f"Accept: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode("ascii")
        try:
            status, keep, answer, reader, writer = await asyncio.wait_for(self._exchange(host, head + body),
                                                                          self.timeout)
        except asyncio.TimeoutError as exc:
            raise Failed(f"no answer within {self.timeout} s") from exc
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            raise Failed(f"{type(exc).__name__}: {exc}") from exc
        if keep:
            self._give_back(host, reader, writer)
        else:
            writer.close()
        if not 200 <= status < 300:
            raise Failed(f"HTTP {status}")
        return answer

    async def _exchange(self, host: tuple[str, int], request: bytes
                        ) -> tuple[int, bool, bytes, asyncio.StreamReader, asyncio.StreamWriter]:
        pair = self._take(host)
        if pair is None:
            try:
                pair = await asyncio.open_connection(*host)
            except OSError as exc:
                raise Refused(f"{host[0]}:{host[1]}: {exc}") from exc
        reader, writer = pair
        try:
            writer.write(request)
            status, keep, answer = await _read_response(reader)
        except BaseException:
            writer.close()
            raise
        return status, keep, answer, reader, writer


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """(status, whether the connection may be reused, body)."""
    raw = await reader.readuntil(b"\r\n\r\n")
    if len(raw) > _MAX_HEADER_BYTES:
        raise ValueError("response headers too long")
    lines = raw.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1.x answer: {lines[0][:60]!r}")
    status = int(rest.split(" ", 1)[0])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    connection = headers.get("connection", "").lower()
    keep = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                break
            if len(body) + size > _MAX_BODY_BYTES:
                raise ValueError("response body too long")
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        return status, keep, bytes(body)
    if "content-length" in headers:
        length = int(headers["content-length"])
        if length > _MAX_BODY_BYTES:
            raise ValueError("response body too long")
        return status, keep, await reader.readexactly(length)
    if status == 204 or status == 304 or 100 <= status < 200:
        return status, keep, b""
    body = bytearray()  # no length: the body runs to the end of the connection
    while chunk := await reader.read(65536):
        body += chunk
        if len(body) > _MAX_BODY_BYTES:
            raise ValueError("response body too long")
    return status, False, bytes(body)
