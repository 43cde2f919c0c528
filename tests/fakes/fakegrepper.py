"""An in-memory stand-in for datagrepper's ``/raw``, for fast tests and the backfill benchmark.

It answers like datagrepper 1.1.0 does (see ../shared/PLATFORM.md): ``start``
and ``end`` both inclusive, ``order``, ``page`` from 1, ``rows_per_page`` up to
100, and ``raw_messages``/``count``/``pages``/``total``/``arguments`` in the
body. The integration tests run against the real datagrepper; this one runs
where a test needs thousands of pages in a second, or a misbehaving server.
"""

from __future__ import annotations

import bisect
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import orjson

MAX_ROWS_PER_PAGE = 100


class RawArchive:
    """The messages, sorted by timestamp, and the ``/raw`` query over them."""

    def __init__(
        self, envelopes: Iterable[Mapping[str, Any]], shuffle_ties: bool = False, whole_seconds: bool = False
    ) -> None:
        self.messages = sorted(envelopes, key=lambda e: e["timestamp"])
        self.timestamps = [m["timestamp"] for m in self.messages]
        #: Order equal timestamps differently on each request (PostgreSQL may: no tie-breaker).
        self.shuffle_ties = shuffle_ties
        #: Show times cut to the whole second, as datagrepper 1.1.0 does (it selects by the exact time).
        self.whole_seconds = whole_seconds
        self._lock = threading.Lock()

    def add(self, envelope: Mapping[str, Any]) -> None:
        """Archive one more message (late, as datanommer may)."""
        with self._lock:
            index = bisect.bisect_right(self.timestamps, envelope["timestamp"])
            self.messages.insert(index, envelope)
            self.timestamps.insert(index, envelope["timestamp"])

    def raw(self, params: Mapping[str, str]) -> dict[str, Any]:
        start = float(params.get("start", "-inf"))
        end = float(params.get("end", "inf"))
        page = int(params.get("page", "1"))
        rows = min(int(params.get("rows_per_page", "25")), MAX_ROWS_PER_PAGE)
        if page < 1 or rows < 1:
            raise ValueError("page and rows_per_page must be at least 1")
        with self._lock:
            low = bisect.bisect_left(self.timestamps, start)
            high = bisect.bisect_right(self.timestamps, end)
            selected = self.messages[low:high]
        if self.shuffle_ties:
            selected = _shuffle_ties(selected)
        if params.get("order", "desc") == "desc":
            selected = selected[::-1]
        chosen = selected[(page - 1) * rows : page * rows]
        if self.whole_seconds:
            chosen = [{**m, "timestamp": float(math.floor(m["timestamp"]))} for m in chosen]
        return {
            "raw_messages": chosen,
            "count": len(chosen),
            "pages": math.ceil(len(selected) / rows),
            "total": len(selected),
            "arguments": {"start": start, "end": end, "page": page, "rows_per_page": rows},
        }


def _shuffle_ties(messages: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    shuffled: list[Mapping[str, Any]] = []
    index = 0
    while index < len(messages):
        stop = index
        while stop < len(messages) and messages[stop]["timestamp"] == messages[index]["timestamp"]:
            stop += 1
        run = messages[index:stop]
        random.shuffle(run)
        shuffled += run
        index = stop
    return shuffled


@dataclass
class Answer:
    """A misbehaving answer, written as it comes: ``chunks`` one by one, ``drip`` seconds apart.

    With ``raw``, the chunks are the whole response (status line and headers
    included), so that even the head can trickle in. Otherwise the status and
    ``headers`` go first, and the body has no length: it ends when the
    connection closes.
    """

    chunks: Iterable[bytes]
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    drip: float = 0.0
    raw: bool = False


Fault = Callable[[Mapping[str, str]], "tuple[int, bytes] | Answer | None"]


class FakeDatagrepper:
    """Serves a :class:`RawArchive` over HTTP on 127.0.0.1, from a thread per connection.

    ``latency``: seconds each answer takes, like the real one's database
    round trips. ``fault``: called with the query before answering; it may
    return ``(status, body)`` or an :class:`Answer` to answer instead.
    """

    def __init__(self, archive: RawArchive, latency: float = 0.0, fault: Fault | None = None) -> None:
        self.archive = archive
        self.latency = latency
        self.fault = fault
        self.requests = 0
        #: Bytes of :class:`Answer` bodies the client took (a closed connection stops the count).
        self.streamed = 0
        self._stopping = threading.Event()
        #: The path under which ``/raw`` is served (a datagrepper behind a reverse proxy has one).
        self.prefix = ""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-datagrepper", daemon=True
        )

    def __enter__(self) -> FakeDatagrepper:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()  # wakes handlers dripping an answer
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer(self, path: str, query: str) -> tuple[int, bytes] | Answer:
        self.requests += 1
        if self.latency:
            time.sleep(self.latency)
        if path.rstrip("/") != self.prefix + "/raw":
            return 404, b'{"error": "not found"}'
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        answer = self.fault(params) if self.fault is not None else None
        if answer is not None:
            return answer
        try:
            return 200, orjson.dumps(self.archive.raw(params))
        except ValueError as error:
            return 400, orjson.dumps({"error": str(error)})


def _handler_for(server: FakeDatagrepper) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a client's connection pool expects

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            path, _, query = self.path.partition("?")
            answer = server.answer(path, query)
            if isinstance(answer, Answer):
                self._stream(answer)
                return
            status, body = answer
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _stream(self, answer: Answer) -> None:
            self.close_connection = True
            try:
                if not answer.raw:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.flush()
                for chunk in answer.chunks:
                    if answer.drip and server._stopping.wait(answer.drip):
                        return
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    if not answer.raw:
                        server.streamed += len(chunk)
            except OSError:
                pass  # the client hung up: what a bounded client does

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests make thousands of requests

    return Handler
