"""``/metrics``: the web app's requests for Prometheus, counted by route, method and status, and timed by route.

Routes are the app's rules (``/api/<ident>``), never the paths asked for, so
that the labels stay few whatever clients ask. Each app has a registry of its
own: one process serving (``statscache-web``) serves all its requests' metrics.
Under gunicorn's several worker processes, set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory of their own: every worker then writes its figures there, and
``/metrics`` serves the sum of all of them, whichever worker answers the scrape.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

#: Where the worker processes of one server keep their figures (prometheus_client's multiprocess mode).
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"
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
        served = registry
        if os.environ.get(MULTIPROCESS):
            served = CollectorRegistry()
            multiprocess.MultiProcessCollector(served)  # type: ignore[no-untyped-call]
        return Response(generate_latest(served), content_type=CONTENT_TYPE_LATEST)
