"""A TCP relay that clocks Rasa's share of each hub turn, for `make bench-hub` (tools/bench_hub.py).

    .venv/bin/python -m tools.bench.clock_relay LISTEN_PORT TARGET_PORT OUT_FILE

An API instance given ``RASA_URL=http://127.0.0.1:LISTEN_PORT`` reaches Rasa through it. The relay copies bytes
both ways without parsing them, and notes on each connection when a request starts (the first bytes from the API
after an answer, or on a new connection) and when its answer starts (the first bytes from Rasa after a request).
For each request it appends a line to OUT_FILE: ``<request wall time> <answer wall time> <request line>``.

Subtracting that span from a turn timed at the widget leaves the hub's own time, without the pairing noise of a
second, separate call straight to Rasa: the same call is timed from both sides. The relay's own forwarding (two
loopback hops, some tens of microseconds each) is counted as the hub's, so the figure errs against the hub.
"""
from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["main"]


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, on_chunk: Callable[[bytes], None]) -> None:
    """Copy ``source`` to ``sink``, calling ``on_chunk`` on each chunk first (the caller keeps the direction state)."""
    try:
        while chunk := await source.read(65536):
            on_chunk(chunk)
            sink.write(chunk)
            await sink.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        sink.close()


async def _serve(listen_port: int, target_port: int, out: TextIO) -> None:

    async def relay(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        state: dict = {"asking": False, "asked_at": 0.0, "line": ""}

        def from_client(chunk: bytes) -> None:
            if not state["asking"]:
                state.update(asking=True, asked_at=time.time(),
                             line=chunk.split(b"\r\n", 1)[0].decode("latin-1")[:120])

        def from_server(_chunk: bytes) -> None:
            if state["asking"]:
                state["asking"] = False
                out.write(f"{state['asked_at']:.6f} {time.time():.6f} {state['line']}\n")

        await asyncio.gather(_pipe(client_reader, server_writer, from_client),
                             _pipe(server_reader, client_writer, from_server))

    server = await asyncio.start_server(relay, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[2], "a", buffering=1, encoding="utf-8") as out:  # a line a request, written at once
        asyncio.run(_serve(int(argv[0]), int(argv[1]), out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
