"""What history each plugin misses, grouped so that no stretch of it is fetched twice."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta

from sqlalchemy.orm import Session

from statscache.config import Config
from statscache.plugins import BasePlugin
from statscache.span import Span, Stretch, uncovered
from statscache.store import coverage


def missing_per_plugin(
    session: Session,
    plugins: Sequence[BasePlugin],
    config: Config,
    now: float,
    until: float,
    since: float | None = None,
) -> dict[str, list[Span]]:
    """Each plugin's stretches of ``its start .. until`` that its statistics do not cover.

    A plugin's statistics start at the epoch, or ``backlog_delta`` before
    ``now`` when that is later (``since`` overrides both). Each missing
    stretch begins ``lag`` early: coverage reaches the time of the last
    flush, and a message sent just before it may have arrived just after
    (and been lost with a crash).
    """
    lag = config.datagrepper_lag.total_seconds()
    missing: dict[str, list[Span]] = {}
    for plugin in plugins:
        begin = since if since is not None else wanted_since(plugin, config, now)
        # Only recorded coverage counts: that a plugin has counted messages up to some time
        # says nothing of what it missed before (its first start, a crash); fetching a
        # stretch again costs pages, never exactness.
        stretches = coverage.covered(session, plugin.ident)
        gaps = uncovered(stretches, begin, until)
        missing[plugin.ident] = [Span(max(begin, start - lag), end) for start, end in gaps]
    return missing


def group(missing: Mapping[str, Iterable[Span]]) -> list[Stretch]:
    """Cut the plugins' missing stretches where the set of plugins that miss them changes.

    Each moment is fetched once, for every plugin that misses it; neighbours
    missed by the same plugins are one stretch.
    """
    edges: set[float] = set()
    for intervals in missing.values():
        for start, end in intervals:
            edges.update((start, end))
    cuts = sorted(edges)
    stretches: list[Stretch] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        middle = (start + end) / 2
        idents = frozenset(ident for ident, intervals in missing.items() if any(a <= middle <= b for a, b in intervals))
        if not idents:
            continue
        if stretches and stretches[-1].idents == idents and stretches[-1].span.end == start:
            stretches[-1] = Stretch(Span(stretches[-1].span.start, end), idents)
        else:
            stretches.append(Stretch(Span(start, end), idents))
    return stretches


def describe(stretches: Sequence[Stretch]) -> str:
    """One line for the log: how much history, for how many plugins."""
    if not stretches:
        return "nothing to fetch"
    seconds = sum(s.span.seconds for s in stretches)
    plugins = len(frozenset().union(*(s.idents for s in stretches)))
    return f"{len(stretches)} stretches, {timedelta(seconds=round(seconds))} of history in all, for {plugins} plugins"


def wanted_since(plugin: BasePlugin, config: Config, now: float) -> float:
    """Where a plugin's statistics should begin: the epoch, or its ``backlog_delta`` ago if that is later."""
    since = config.consumer_epoch.timestamp()
    if plugin.backlog_delta is not None:
        since = max(since, now - plugin.backlog_delta.total_seconds())
    return since
