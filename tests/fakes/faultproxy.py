"""A reverse proxy in front of a datagrepper server that breaks chosen requests, for retry tests.

A client that pages through datagrepper must retry what failed and never skip a page. The real
server fails rarely and never on cue, so the tests put this proxy between the two: it forwards
each GET to the server, except the requests a rule of its fault plan picks, which get an error
status, a slow answer, a cut-off body, a dropped connection or an HTML page instead. Every
request is logged with the fault it got, so a test can check that each fault fired and that the
client asked for the same page again.

    with FaultProxy(datagrepper.url, [on(status(503), page=3), on(reset(), every=5, times=2)]) as proxy:
        fetch_all(proxy.url + "raw")
    assert [entry.fault for entry in proxy.log if entry.query.get("page") == "3"] == [status(503), None]

It runs in threads of the test process; the handler of a slow answer does not hold up the others,
and :meth:`FaultProxy.stop` wakes it rather than waiting for it.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

import requests

HOST = "127.0.0.1"
#: Seconds the proxy waits for the upstream server's answer.
UPSTREAM_TIMEOUT = 30.0
#: How often the serving loop looks for a stop request, in seconds (stop() waits up to this long).
POLL_INTERVAL = 0.05
#: Request headers passed on to the upstream server.
FORWARDED_HEADERS = ("Accept",)
#: What a broken reverse proxy or an error page in front of datagrepper might serve with status 200.
GARBAGE = b"<html><head><title>Maintenance</title></head><body><h1>Back soon</h1></body></html>\n"

Kind = Literal["status", "timeout", "truncate", "reset", "garbage"]


@dataclass(frozen=True)
class Fault:
    """What the proxy does instead of (or before) passing a request on; made by the functions below."""

    kind: Kind
    code: int = 200
    seconds: float = 0.0
    html: bool = False

    def __str__(self) -> str:
        if self.kind == "status":
            return f"status({self.code}{', html=True' if self.html else ''})"
        if self.kind == "timeout":
            return f"timeout({self.seconds:g})"
        return f"{self.kind}()"


def status(code: int, html: bool = False) -> Fault:
    """Answer ``code`` with a short JSON body (an HTML page with ``html``, as a gateway in front would)."""
    return Fault("status", code=code, html=html)


def timeout(seconds: float) -> Fault:
    """Wait ``seconds``, then answer normally: a client reading with a shorter timeout gives up first."""
    return Fault("timeout", seconds=seconds)


def truncate() -> Fault:
    """Status 200, ``application/json``, and the first half of the upstream body: malformed JSON."""
    return Fault("truncate")


def reset() -> Fault:
    """Close the connection (TCP reset) without any response."""
    return Fault("reset")


def garbage() -> Fault:
    """Status 200 with an HTML page where JSON was expected."""
    return Fault("garbage")


@dataclass(frozen=True)
class Request:
    """One request the proxy saw, in :attr:`FaultProxy.log`.

    ``path`` is relative to the proxy's base URL (``"raw"`` for ``proxy.url + "raw"``); ``query``
    holds one value per name (the last one), ``params`` every name/value pair in order (datagrepper
    repeats ``category``, ``topic``, ...). ``number`` counts the proxy's requests from 1.
    """

    number: int
    path: str
    query: dict[str, str]
    params: tuple[tuple[str, str], ...]
    fault: Fault | None = None


@dataclass
class Rule:
    """Apply ``fault`` to the requests that match, ``times`` times (None: always); then let them pass.

    A request matches when its path is ``path`` (if given), its query has each of ``params``
    (compared as strings: ``page=3`` matches ``?page=3``) and ``when(query)`` is true (if given).
    With ``every``, only each ``every``-th matching request counts (the ``every``-th, the
    2 ``every``-th, ...). Rules are tried in order; the first that fires wins.
    """

    fault: Fault
    times: int | None = 1
    path: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    when: Callable[[dict[str, str]], bool] | None = None
    every: int | None = None
    #: Requests that matched so far, and how many of them got the fault.
    matched: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.times is not None and self.times < 0:
            raise ValueError(f"times must be >= 0 or None, not {self.times}")
        if self.every is not None and self.every < 1:
            raise ValueError(f"every must be >= 1, not {self.every}")

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def matches(self, path: str, query: dict[str, str]) -> bool:
        if self.path is not None and path != self.path.lstrip("/"):
            return False
        if any(query.get(name) != value for name, value in self.params.items()):
            return False
        return self.when is None or bool(self.when(query))

    def fire(self, path: str, query: dict[str, str]) -> bool:
        """Whether this request gets the fault; counts it. The proxy calls this under its lock."""
        if not self.matches(path, query):
            return False
        self.matched += 1
        if self.exhausted or (self.every is not None and self.matched % self.every != 0):
            return False
        self.fired += 1
        return True


def on(
    fault: Fault,
    *,
    times: int | None = 1,
    path: str | None = None,
    every: int | None = None,
    when: Callable[[dict[str, str]], bool] | None = None,
    **params: object,
) -> Rule:
    """A rule: ``on(status(503), page=3)``, ``on(reset(), every=4, times=None)``,
    ``on(truncate(), when=lambda query: int(query.get("page", 1)) > 2)``; see :class:`Rule`."""
    return Rule(fault, times=times, path=path, params={k: str(v) for k, v in params.items()}, when=when, every=every)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Do not join the handler threads on close: one may be sleeping out a timeout fault.
    block_on_close = False
    # socketserver's backlog of 5 drops connections when a test opens more at once (1 s SYN retry).
    request_queue_size = 128
    proxy: FaultProxy

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet when a client left before its answer (it timed out, or saw a reset): that is the point."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (the name http.server looks for)
        self.server.proxy._handle(self)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: :attr:`FaultProxy.log` is the record."""


class FaultProxy:
    """The proxy: :meth:`start` (or ``with``), :attr:`url`, :meth:`add`, :attr:`log`, :meth:`stop`."""

    def __init__(self, upstream: str, rules: Iterable[Rule] = (), upstream_timeout: float = UPSTREAM_TIMEOUT) -> None:
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"upstream must be an http(s) URL, not {upstream!r}")
        #: The upstream server's scheme and host, and its base path (ending in "/").
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path.rstrip("/") + "/"
        self.upstream_timeout = upstream_timeout
        self.rules: list[Rule] = list(rules)
        self._log: list[Request] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The proxy's base URL, with the upstream's base path: ``proxy.url + "raw"``."""
        if self._server is None:
            raise RuntimeError("the fault proxy is not started")
        return f"http://{HOST}:{self._server.server_address[1]}{self.base_path}"

    @property
    def log(self) -> list[Request]:
        """A copy of the requests seen so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def add(self, *rules: Rule) -> None:
        """Append rules to the fault plan (tried after those already there)."""
        with self._lock:
            self.rules.extend(rules)

    def clear(self) -> None:
        """Forget the requests seen so far (the rules keep their counts)."""
        with self._lock:
            self._log.clear()

    def start(self) -> FaultProxy:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((HOST, 0), _Handler)
        server.proxy = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(POLL_INTERVAL,), name="faultproxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; handlers sleeping out a timeout fault wake up and drop their connection."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def _record(self, path: str, params: list[tuple[str, str]]) -> Request:
        """Log the request, with the fault of the first rule that fires for it."""
        query = dict(params)
        with self._lock:
            fault = next((rule.fault for rule in self.rules if rule.fire(path, query)), None)
            request = Request(len(self._log) + 1, path, query, tuple(params), fault)
            self._log.append(request)
        return request

    def _handle(self, handler: _Handler) -> None:
        target = urlsplit(handler.path)
        path = target.path
        if path.startswith(self.base_path):
            path = path[len(self.base_path) :]
        request = self._record(path, parse_qsl(target.query, keep_blank_values=True))
        fault = request.fault
        if fault is None:
            self._pass_on(handler)
        elif fault.kind == "status":
            self._answer_status(handler, fault)
        elif fault.kind == "timeout":
            if self._stopping.wait(fault.seconds):
                _drop(handler)
            else:
                self._pass_on(handler)
        elif fault.kind == "truncate":
            code, _, body = self._fetch(handler)
            _send(handler, code, "application/json", body[: len(body) // 2])
        elif fault.kind == "reset":
            _drop(handler)
        elif fault.kind == "garbage":
            _send(handler, 200, "text/html; charset=utf-8", GARBAGE)
        else:  # pragma: no cover - Kind lists them all
            raise AssertionError(f"unknown fault {fault}")

    def _fetch(self, handler: _Handler) -> tuple[int, str | None, bytes]:
        """The upstream server's status, content type and body for this request (502 if unreachable)."""
        headers = {name: handler.headers[name] for name in FORWARDED_HEADERS if handler.headers[name]}
        try:
            answer = requests.get(self.origin + handler.path, headers=headers, timeout=self.upstream_timeout)
        except requests.RequestException as error:
            body = json.dumps({"error": f"fault proxy: upstream unreachable: {error}"}).encode()
            return 502, "application/json", body
        return answer.status_code, answer.headers.get("Content-Type"), answer.content

    def _pass_on(self, handler: _Handler) -> None:
        _send(handler, *self._fetch(handler))

    def _answer_status(self, handler: _Handler, fault: Fault) -> None:
        reason = handler.responses.get(fault.code, ("Error",))[0]
        if fault.html:
            page = f"<html><head><title>{fault.code} {reason}</title></head><body><h1>{reason}</h1></body></html>\n"
            _send(handler, fault.code, "text/html; charset=utf-8", page.encode())
        else:
            body = json.dumps({"error": f"{fault.code} {reason}", "injected_by": "faultproxy"}).encode()
            _send(handler, fault.code, "application/json", body)


def _send(handler: _Handler, code: int, content_type: str | None, body: bytes) -> None:
    handler.send_response(code)
    if content_type:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _drop(handler: _Handler) -> None:
    """Close the connection with a TCP reset (linger 0), before a byte of the response is sent."""
    handler.close_connection = True
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
