"""Filling a pipeline's gaps: what it misses, its datagrepper client, and the backfill that fetches into it.

Shared by the hub's catch-up (:mod:`statscache.history.catchup`) and the
``statscache backfill`` and ``rebuild`` commands (:mod:`statscache.cli.maintenance`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from statscache.history import gaps
from statscache.history.backfill import Backfill, Progress
from statscache.history.client import History
from statscache.ingest.pipeline import Pipeline
from statscache.span import Stretch


def history_of(pipeline: Pipeline) -> History:
    """The configured datagrepper (``statscache.datagrepper.endpoint`` must be set)."""
    config = pipeline.config
    if config.datagrepper_endpoint is None:
        raise ValueError("statscache.datagrepper.endpoint is not set")
    return History(
        config.datagrepper_endpoint,
        timeout=config.datagrepper_timeout,
        retries=config.datagrepper_retries,
        metrics=pipeline.metrics,
        max_page_bytes=config.datagrepper_max_page_bytes,
    )


def plan(
    pipeline: Pipeline,
    until: float,
    since: float | None = None,
    idents: Collection[str] | None = None,
) -> list[Stretch]:
    """The stretches of history the pipeline's plugins (or those of ``idents``) miss up to ``until``."""
    plugins = [p for p in pipeline.plugins if idents is None or p.ident in idents]
    with pipeline.session_factory() as session:
        missing = gaps.missing_per_plugin(session, plugins, pipeline.config, time.time(), until, since)
    return gaps.group(missing)


def make_backfill(pipeline: Pipeline, on_progress: Callable[[Progress], None] | None = None) -> Backfill:
    config = pipeline.config
    return Backfill(
        history_of(pipeline),
        pipeline.history_sink(),
        frozenset(plugin.ident for plugin in pipeline.plugins),
        concurrency=config.datagrepper_concurrency,
        lag=config.datagrepper_lag.total_seconds(),
        on_progress=on_progress,
    )
