"""The daemon's HTTP port (``statscache.metrics.port``): Prometheus metrics and the health probes.

``/metrics`` serves the daemon's counters; ``/healthz/live`` and
``/healthz/ready`` answer as the web app's do (see :mod:`statscache.health`),
so that a daemon in a container is probed as datagrepper is. Anything else
is a 404.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from statscache.health import LIVE, MEDIA_TYPE, Verdict

log = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    """One thread a request, so that a slow readiness check holds up no scrape."""

    daemon_threads = True


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    """Probes come every few seconds: their requests are not logged."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def app(
    registry: CollectorRegistry, ready: Callable[[], Verdict]
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The port's WSGI app: ``ready()`` is asked at each readiness probe."""
    metrics = make_wsgi_app(registry)

    def serve(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            answer: Iterable[bytes] = metrics(environ, start_response)
            return answer
        if path == "/healthz/live":
            return _answer(start_response, LIVE.status, LIVE.body())
        if path == "/healthz/ready":
            try:
                verdict = ready()
            except Exception as error:  # a check that breaks must say so, not take the port down
                log.exception("the readiness check failed")
                return _answer(start_response, 503, {"status": 503, "title": f"not ready: {type(error).__name__}"})
            return _answer(start_response, verdict.status, verdict.body())
        body = {"status": 404, "title": f"no such path {path[:100]!r}: /metrics, /healthz/live or /healthz/ready"}
        return _answer(start_response, 404, body)

    return serve


def serve(port: int, registry: CollectorRegistry, ready: Callable[[], Verdict], host: str = "127.0.0.1") -> None:
    """Serve :func:`app` on ``host:port`` from a daemon thread; raises OSError when the port cannot be bound."""
    kind = _ThreadingServer6 if ":" in host else _ThreadingServer
    server = make_server(host, port, app(registry, ready), kind, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="statscache-probes", daemon=True).start()


def _answer(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    content = json.dumps(body).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}", [("Content-Type", MEDIA_TYPE), ("Content-Length", str(len(content)))]
    )
    return [content]
