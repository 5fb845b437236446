"""An ASGI app served by uvicorn in a thread on a free port, for tests that need a real server in-process
(the browser tests' pages, the dashboard against the real API)."""
from __future__ import annotations

import socket
import threading
import time

__all__ = ["LiveServer"]


class LiveServer(threading.Thread):
    def __init__(self, app, *, lifespan: str = "off", start_timeout: float = 30.0, log_level: str = "warning") -> None:
        super().__init__(daemon=True)
        import uvicorn

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.start_timeout = start_timeout
        self.server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan=lifespan))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def run(self) -> None:
        self.server.run(sockets=[self.socket])

    def start_and_wait(self) -> None:
        self.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.join(timeout=10)
        self.socket.close()
