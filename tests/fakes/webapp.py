"""A web app over a database the real pipeline filled with the recorded stream, for tests of the API."""

from __future__ import annotations

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.store import coverage
from statscache.web import create_app
from tests.fakes.sample_plugins import Statuses
from tests.fakes.support import EPOCH, recorded_envelopes


class Dashboard(Statuses):
    name = "Dashboard"
    layout = {"groups": [{"title": "Images", "categories": ["autocloud"]}]}


def sample_plugins(config):
    return [*registry.load(config), Statuses(), Dashboard()]


def make_client(database):
    """A test client over ``database``, filled by the real pipeline with the recorded stream; and its cleanup."""
    config = Config(sqlalchemy_uri=f"sqlite:///{database}", consumer_epoch=EPOCH)
    plugins = sample_plugins(config)
    pipeline = Pipeline.open(config, plugins)
    envelopes = recorded_envelopes()
    for envelope in envelopes:
        pipeline.handle(envelope)
    assert pipeline.flush()
    # Coverage with a gap and its reason, so that /api/<ident>/coverage has something of each to describe.
    first, last = min(e["timestamp"] for e in envelopes), max(e["timestamp"] for e in envelopes)
    with pipeline.session_factory() as session, session.begin():
        idents = [plugin.ident for plugin in plugins]
        coverage.add(session, idents, first, last)
        coverage.note_failure(session, idents, EPOCH.timestamp(), first, "datagrepper answered 502")
    app = create_app(config, plugins=plugins, engine=pipeline.engine)
    return app.test_client(), pipeline.engine.dispose
