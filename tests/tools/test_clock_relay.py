"""The bench-hub's clocking relay (tools/bench/clock_relay.py): it passes requests through unchanged and times
each call, so the hub's own time is the turn minus the span of the same call."""
from __future__ import annotations

import http.client
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tools.bench.stack import ROOT, free_port
from tools.bench_hub import hub_own, read_clock


class Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the hub's client uses it

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(0.05)
        answer = b'[{"text": "' + body + b'"}]'
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def test_the_relay_passes_each_call_through_and_times_it(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port, log = free_port(), tmp_path / "clock.log"
    relay = subprocess.Popen([sys.executable, "-m", "tools.bench.clock_relay", str(port), str(server.server_port),
                              str(log)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.connect()
                break
            except OSError:
                assert time.monotonic() < deadline, "the relay did not listen"
                time.sleep(0.05)
        answers = []
        for body in (b"one", b"two"):  # two calls on one kept-alive connection
            connection.request("POST", "/webhooks/rest/webhook", body=body)
            answers.append(connection.getresponse().read())
        connection.close()
    finally:
        relay.terminate()
        relay.wait(5)
        server.shutdown()
    assert answers == [b'[{"text": "one"}]', b'[{"text": "two"}]']
    spans = read_clock(log)
    assert len(spans) == 2
    assert all(0.05 <= answered - asked < 1 for asked, answered in spans)
    assert spans[0][1] <= spans[1][0]


def test_the_hubs_own_time_is_the_turn_minus_its_one_call():
    spans = [(10.0, 10.5), (20.0, 20.2), (20.3, 20.4)]
    turns = [(9.9, 10.6, 0.7), (19.9, 20.5, 0.6), (30.0, 30.1, 0.1)]  # one call, two calls, none
    own = hub_own(turns, spans)
    assert own["turns"] == 3 and own["n"] == 1 and own["p50_ms"] == 200.0
