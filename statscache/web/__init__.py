"""statscache's web app: the API (and pages for people) over the daemon's database.

``create_app()`` reads the same fedmsg configuration as the daemon; the app
only reads the database (through an engine that cannot write, and never creates
it), so it runs in its own process (``statscache-web``, or any WSGI server with
``statscache.app:app``) beside ``fedmsg-hub``. Before the daemon has created its
database, the API answers as for one without statistics: the plugins with
``latest: null``, empty pages, everything a gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import Engine

from statscache import config as config_module
from statscache.plugins import BasePlugin, registry
from statscache.store.engine import make_reader_engine
from statscache.web import answers, headers, telemetry, templating
from statscache.web.api import api
from statscache.web.pages import pages
from statscache.web.probes import probes
from statscache.web.state import State

#: Response headers a page on another site may read (the browser hides others from it).
_EXPOSED = "Link, X-Total-Count, Content-Disposition"


def create_app(
    config: config_module.Config | Mapping[str, Any] | None = None,
    *,
    plugins: Sequence[BasePlugin] | None = None,
    engine: Engine | None = None,
) -> Flask:
    """The Flask app. ``config``: a :class:`~statscache.config.Config`, a raw fedmsg
    configuration dict, or None to read ``fedmsg.d/`` like the daemon does."""
    if config is None:
        import fedmsg.config

        config = fedmsg.config.load_config()
    settings = config if isinstance(config, config_module.Config) else config_module.load(config)
    if plugins is None:
        plugins = registry.load(settings)
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["statscache"] = State(settings, engine or make_reader_engine(settings.sqlalchemy_uri), plugins)
    app.register_blueprint(api)
    app.register_blueprint(pages)
    app.register_blueprint(probes)
    templating.install(app)
    telemetry.install(app)
    answers.install(app)

    @app.after_request
    def cors(response: Response) -> Response:
        if request.path.startswith("/api/"):
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Expose-Headers"] = _EXPOSED
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Accept"
            response.headers["Access-Control-Max-Age"] = "86400"
        return response

    app.after_request(headers.secure)
    return app
