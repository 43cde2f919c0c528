"""What the API says of a plugin's coverage: its complete stretches, and the gaps between them with why they are there.

A gap is a stretch from where the plugin's statistics should begin (see
:func:`statscache.history.gaps.wanted_since`) up to the end of its last complete
stretch that no complete stretch covers. Past that end nothing is missing yet:
live counting reaches it at the next flush. With nothing complete, everything
from where the statistics should begin up to now is one gap.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from statscache.config import Config
from statscache.history.gaps import wanted_since
from statscache.plugins import BasePlugin
from statscache.span import Span, iso, uncovered
from statscache.store import coverage, quarantine
from statscache.store.coverage import CoveredStretch, FailedStretch
from statscache.store.quarantine import QuarantinedMessage
from statscache.web.state import State

#: Quarantined messages listed by ``/api/<ident>/coverage`` (the newest); all are counted.
RECENT_QUARANTINED = 100
#: The time the gaps of a plugin with nothing complete run up to (tests replace it).
clock: Callable[[], float] = time.time


def gaps_in(complete: Sequence[Span], since: float, now: float) -> list[Span]:
    """What ``complete`` (sorted, merged) leaves out of ``since`` .. its last end, or .. ``now`` when empty."""
    until = complete[-1].end if complete else now
    return uncovered(complete, since, until)


def latest_failure(gap: Span, failed: Sequence[FailedStretch]) -> FailedStretch | None:
    """The most recently noted failure that overlaps the gap (one that only touches an end does not)."""
    overlapping = [f for f in failed if f.start < gap.end and f.end > gap.start]
    return max(overlapping, key=lambda f: f.noted_at, default=None)


# Not a NamedTuple: a field named count would hide tuple.count.
@dataclass(frozen=True)
class Quarantined:
    """How many messages a plugin quarantined, and the newest of them."""

    count: int
    recent: list[QuarantinedMessage]


NOTHING_QUARANTINED = Quarantined(0, [])


def report(
    plugin: BasePlugin,
    config: Config,
    complete: Sequence[Span],
    failed: Sequence[FailedStretch],
    now: float,
    quarantined: Quarantined = NOTHING_QUARANTINED,
) -> dict[str, Any]:
    """The body of ``/api/<ident>/coverage``."""
    since = wanted_since(plugin, config, now)
    backlog = plugin.backlog_delta
    return {
        "ident": plugin.ident,
        "wanted_since": iso(since),
        "complete": [stretch.as_json() for stretch in complete],
        "complete_until": iso(complete[-1].end) if complete else None,
        "gaps": [_gap_json(gap, latest_failure(gap, failed)) for gap in gaps_in(complete, since, now)],
        "backlog_delta_seconds": None if backlog is None else int(backlog.total_seconds()),
        "quarantined": quarantined.count,
        "quarantined_recent": [
            {"msg_id": q.msg_id, "timestamp": iso(q.timestamp), "reason": q.reason, "noted_at": iso(q.noted_at)}
            for q in quarantined.recent
        ],
    }


def summary(plugin: BasePlugin, config: Config, complete: Sequence[Span], now: float) -> dict[str, Any]:
    """A plugin's coverage in the listing of ``/api/``: its last complete stretch, and how many gaps precede it."""
    last = complete[-1] if complete else None
    return {
        "complete_since": None if last is None else iso(last.start),
        "complete_until": None if last is None else iso(last.end),
        "gaps": len(gaps_in(complete, wanted_since(plugin, config, now), now)),
    }


def _gap_json(gap: Span, failure: FailedStretch | None) -> dict[str, Any]:
    return {
        **gap.as_json(),
        "reason": None if failure is None else failure.reason,
        "noted_at": None if failure is None else iso(failure.noted_at),
    }


def read(state: State, ident: str) -> tuple[list[Span], list[FailedStretch]]:
    """The plugin's complete stretches and failed ones, from one moment of the database.

    Either table may not exist yet (the daemon creates them): then there is nothing of it.
    """
    has_covered = state.has_table(CoveredStretch.__tablename__)
    has_failed = state.has_table(FailedStretch.__tablename__)
    if not has_covered and not has_failed:
        return [], []
    with state.snapshot() as connection, Session(bind=connection) as session:
        complete = coverage.covered(session, ident) if has_covered else []
        failed = coverage.failures(session, ident) if has_failed else []
    return complete, failed


def report_of(state: State, plugin: BasePlugin) -> dict[str, Any]:
    """The plugin's coverage report as of now, read from one moment of the database (API and pages alike)."""
    complete, failed = read(state, plugin.ident)
    quarantined = read_quarantined(state, plugin.ident)
    return report(plugin, state.config, complete, failed, clock(), quarantined)


def read_quarantined(state: State, ident: str) -> Quarantined:
    """The messages quarantined for a plugin: their number, and the newest few (none before the table exists)."""
    if not state.has_table(QuarantinedMessage.__tablename__):
        return NOTHING_QUARANTINED
    with state.snapshot() as connection, Session(bind=connection) as session:
        return Quarantined(quarantine.count(session, ident), quarantine.newest(session, ident, RECENT_QUARANTINED))


def read_all(state: State) -> dict[str, list[Span]]:
    """Every plugin's complete stretches, oldest first, in one query (for the listing)."""
    if not state.has_table(CoveredStretch.__tablename__):
        return {}
    by_ident: dict[str, list[Span]] = defaultdict(list)
    statement = select(CoveredStretch.ident, CoveredStretch.start, CoveredStretch.end).order_by(
        CoveredStretch.ident, CoveredStretch.start
    )
    with state.engine.connect() as connection:
        for ident, start, end in connection.execute(statement):
            by_ident[ident].append(Span(start, end))
    return by_ident
