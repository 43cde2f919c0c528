"""``/metrics``: the web app's requests for Prometheus, counted by route, method and status, and timed by route.

Routes are the app's rules (``/api/<ident>``), never the paths asked for, so
that the labels stay few whatever clients ask. Each app has a registry of its
own: one process serving (``statscache-web``) serves all its requests' metrics.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

#: The label of a request that matched no route (a 404).
UNMATCHED = "unmatched"


def install(app: Flask) -> None:
    """Count and time every request of ``app``, and serve the figures on ``/metrics``."""
    registry = CollectorRegistry()
    requests = Counter(
        "statscache_web_requests",
        "Requests answered, by route (the app's rule), method and status",
        ["route", "method", "status"],
        registry=registry,
    )
    durations = Histogram(
        "statscache_web_request_duration_seconds",
        "Time to answer a request (a streamed export: until its first byte), by route",
        ["route"],
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        registry=registry,
    )

    @app.before_request
    def started() -> None:
        g.statscache_started = time.perf_counter()

    @app.after_request
    def counted(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        requests.labels(route, request.method, str(response.status_code)).inc()
        began = g.get("statscache_started")
        if began is not None:
            durations.labels(route).observe(time.perf_counter() - began)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
