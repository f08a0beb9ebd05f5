"""Loopback HTTP fixtures for the provider clients.

`scripted` is a real HTTP/1.1 server on 127.0.0.1:<free port> (stdlib, in a thread) that answers
each (method, path) with the next scripted reply — a status/JSON/headers reply, or DROP to close
the connection without answering — and records every request it saw. It proves retries,
Retry-After, limits, pagination and typed errors over a real socket; the sandbox contract tests
cover realistic data.
"""

from __future__ import annotations

import json
import random
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

DROP = object()


@dataclass
class Reply:
    status: int = 200
    json: object = None
    headers: dict = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def form(self) -> dict:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


class ScriptedServer:
    def __init__(self):
        self.requests: list[Seen] = []
        self._replies: dict[tuple[str, str], deque] = defaultdict(deque)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def log_message(self, *args):  # keep test output quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                seen = Seen(
                    method=self.command,
                    path=parts.path,
                    query={k: v if len(v) > 1 else v[0] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply = server._next(seen)
                if reply is DROP:
                    self.close_connection = True
                    self.connection.close()
                    return
                payload = (
                    reply.body if reply.body is not None else json.dumps(reply.json or {}).encode()
                )
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, str(value))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, method: str, path: str, *replies) -> None:
        """Queue replies for (method, path); the last one repeats once the queue runs dry."""
        with self._lock:
            self._replies[(method, path)].extend(replies)

    def _next(self, seen: Seen):
        with self._lock:
            self.requests.append(seen)
            queue = self._replies.get((seen.method, seen.path))
            if not queue:
                return Reply(404, {"error": f"nothing scripted for {seen.method} {seen.path}"})
            return queue.popleft() if len(queue) > 1 else queue[0]

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def scripted():
    server = ScriptedServer().start()
    yield server
    server.stop()


class FakeTime:
    """A clock that only moves when someone sleeps: retries and limits run instantly."""

    def __init__(self, start: float = 1_750_000_000.0):
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def timing(fake_time):
    """Transport options that make a client use fake time and a fixed random seed."""
    return {
        "sleep": fake_time.sleep,
        "clock": fake_time.clock,
        "wall_clock": fake_time.clock,
        "rng": random.Random(4),
    }
