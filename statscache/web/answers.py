"""How the web app answers errors: a 4xx (or, never expected, 500) with ``{"error": ..., "detail": ...}``.

Under ``/api/`` always as JSON; elsewhere (the pages) as a page for people when
the client takes HTML, never as a traceback.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, has_request_context, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from statscache.exceptions import DatabaseMissing
from statscache.web.errors import ApiError, BadParameter
from statscache.web.formats import json_bytes

log = logging.getLogger(__name__)


def error_response(status: int, error: str, detail: str) -> Response:
    if _wants_page():
        page = render_template("error.html", title=error.capitalize(), heading=error.capitalize(), detail=detail)
        return Response(page, status=status, mimetype="text/html")
    return Response(json_bytes({"error": error, "detail": detail}), status=status, mimetype="application/json")


def _wants_page() -> bool:
    """Whether the request is for a page by a client that reads HTML (a browser), not for the API."""
    if not has_request_context() or request.path.startswith("/api/"):
        return False
    return request.accept_mimetypes.accept_html


def install(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        response = error_response(error.status, error.error, error.detail)
        response.headers.update(error.headers)
        return response

    @app.errorhandler(BadParameter)
    def bad_parameter(error: BadParameter) -> Response:
        return error_response(400, "bad parameter", str(error))

    @app.errorhandler(DatabaseMissing)
    def database_missing(error: DatabaseMissing) -> Response:
        # Gone after it was there (once there, a table is not looked for again): the daemon will make it anew.
        response = error_response(503, "no data yet", "the statscache daemon has not created its database yet")
        response.headers["Retry-After"] = "10"
        return response

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError) -> Response:
        # The database cannot be reached or read just now (down, locked past the busy timeout, unreadable):
        # the client may try again; the operator gets one line, not a traceback per request.
        log.warning(
            "statscache web: database unavailable: %s", str(error.orig).splitlines()[0] if error.orig else error
        )
        response = error_response(503, "database unavailable", "statscache cannot read its database just now")
        response.headers["Retry-After"] = "10"
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        response = error_response(error.code or 500, (error.name or "error").lower(), error.description or "")
        for name, value in error.get_headers():
            if name.lower() == "allow":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("statscache web: unexpected error")
        return error_response(500, "internal error", "statscache failed to answer; the error is in its log")
