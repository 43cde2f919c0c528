"""``/healthz/live`` and ``/healthz/ready``: the web app's health, as OpenShift probes it (:mod:`statscache.health`)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app

from statscache import health
from statscache.health import Verdict
from statscache.web.state import State

probes = Blueprint("probes", __name__)


@probes.get("/healthz/live")
def live() -> Response:
    return _answer(health.LIVE)


@probes.get("/healthz/ready")
def ready() -> Response:
    state: State = current_app.extensions["statscache"]
    return _answer(health.ready(state.engine, list(state.plugins.values()), state.config))


def _answer(verdict: Verdict) -> Response:
    response = Response(json.dumps(verdict.body()), status=verdict.status, mimetype=health.MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"  # a probe must see the state of now, never a cached one
    return response
