"""Health as probes ask it (``/healthz/live``, ``/healthz/ready``), for the web app and the daemon alike.

Live: the process answers. Ready, three checks of the database:

- ``database``: it can be read;
- ``flush``: every plugin is counted by a daemon that committed a flush within
  ``statscache.health.max_flush_age`` (60 s by default; its heartbeat, see
  :mod:`statscache.store.heartbeat`); asked by a daemon, that daemon's own;
- ``gaps``: no plugin has a gap that nothing will fill. With
  ``statscache.datagrepper.endpoint`` set, backfill fetches every gap (and tries
  again until it has); without it, a hole in a plugin's coverage after its
  statistics began (the daemon was down, or lost messages) stays a hole until
  someone runs ``statscache backfill`` from some history. Before a plugin's first
  complete stretch, nothing was ever counted: that is where its statistics begin,
  not a gap.

Answers follow flask-healthz, as datagrepper's do: ``{"status": 200, "title": "OK"}``,
or 503 with a title naming the checks that failed; each check's verdict and
detail beside them.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from statscache.config import Config
from statscache.exceptions import DatabaseMissing
from statscache.history.gaps import wanted_since
from statscache.plugins import BasePlugin
from statscache.span import Span, uncovered
from statscache.store import heartbeat
from statscache.store.coverage import CoveredStretch
from statscache.store.engine import snapshot
from statscache.store.heartbeat import HeartbeatRow

if TYPE_CHECKING:
    from statscache.ingest.pipeline import Pipeline

#: Answers' media type, as flask-healthz serves them (RFC 7807's problem details).
MEDIA_TYPE = "application/problem+json"
#: Plugins named at most in one check's detail (the rest are counted).
NAMED = 10


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Verdict:
    """The checks made, and what a probe is answered."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def status(self) -> int:
        return 200 if self.ok else 503

    def body(self) -> dict[str, Any]:
        failed = [check.name for check in self.checks if not check.ok]
        return {
            "status": self.status,
            "title": "OK" if not failed else f"not ready: {', '.join(failed)}",
            "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in self.checks},
        }


LIVE = Verdict((Check("process", True, "answering"),))


def ready(
    engine: Engine,
    plugins: Sequence[BasePlugin],
    config: Config,
    daemon: str | None = None,
    now: float | None = None,
) -> Verdict:
    """Whether ``plugins``' statistics are being counted, and exact; ``daemon``: asked by that one."""
    moment = time.time() if now is None else now
    try:
        with snapshot(engine) as connection:
            beats, spans = _read(connection)
    except DatabaseMissing:
        return Verdict((Check("database", False, "no database yet: the daemon has not created it"),))
    except SQLAlchemyError as error:
        return Verdict((Check("database", False, f"cannot be read: {_first_line(error)}"),))
    return Verdict(
        (
            Check("database", True, "readable"),
            _flush(beats, plugins, config.max_flush_age.total_seconds(), daemon, moment),
            _gaps(spans, plugins, config, moment),
        )
    )


def of_pipeline(pipeline: Pipeline) -> Callable[[], Verdict]:
    """The readiness of a daemon counting through ``pipeline`` (its heartbeat is its own), to ask at each probe."""
    daemon = None if pipeline.daemon is None else pipeline.daemon.name
    return functools.partial(ready, pipeline.engine, pipeline.plugins, pipeline.config, daemon)


def _read(connection: Connection) -> tuple[list[heartbeat.Heartbeat], dict[str, list[Span]]]:
    tables = set(inspect(connection).get_table_names())
    beats = heartbeat.read(connection) if HeartbeatRow.__tablename__ in tables else []
    spans: dict[str, list[Span]] = defaultdict(list)
    if CoveredStretch.__tablename__ in tables:
        stretches = select(CoveredStretch.ident, CoveredStretch.start, CoveredStretch.end)
        for ident, start, end in connection.execute(stretches.order_by(CoveredStretch.ident, CoveredStretch.start)):
            spans[ident].append(Span(start, end))
    return beats, spans


def _flush(
    beats: list[heartbeat.Heartbeat],
    plugins: Sequence[BasePlugin],
    max_age: float,
    daemon: str | None,
    now: float,
) -> Check:
    if daemon is not None:
        own = next((beat for beat in beats if beat.daemon == daemon), None)
        if own is None:
            return Check("flush", False, "this daemon has not committed a flush yet")
        age = now - own.flushed
        if age > max_age:
            return Check("flush", False, f"this daemon's last flush was {age:.0f} s ago (at most {max_age:g} s)")
        return Check("flush", True, f"last flush {age:.1f} s ago")
    stale = []
    for plugin in plugins:
        newest = max((beat.flushed for beat in beats if plugin.ident in beat.plugins), default=None)
        if newest is None or now - newest > max_age:
            stale.append(plugin.ident)
    if stale:
        return Check(
            "flush",
            False,
            f"no daemon has committed a flush within {max_age:g} s counting {_named(stale)}",
        )
    newest = max((beat.flushed for beat in beats), default=now)
    return Check("flush", True, f"every plugin counted; last flush {now - newest:.1f} s ago")


def _gaps(spans: dict[str, list[Span]], plugins: Sequence[BasePlugin], config: Config, now: float) -> Check:
    if config.datanommer_uri is not None:
        return Check("gaps", True, "backfill reads every gap from statscache.datanommer.uri")
    if config.datagrepper_endpoint is not None:
        return Check("gaps", True, "backfill fetches every gap from statscache.datagrepper.endpoint")
    holed = []
    for plugin in plugins:
        complete = spans.get(plugin.ident, [])
        if not complete:
            continue
        since = max(complete[0].start, wanted_since(plugin, config, now))
        if uncovered(complete, since, complete[-1].end):
            holed.append(plugin.ident)
    if holed:
        return Check(
            "gaps",
            False,
            f"{_named(holed)} miss messages that no backfill will fetch (neither statscache.datanommer.uri "
            "nor statscache.datagrepper.endpoint is set): see /api/<ident>/coverage, and fill them with "
            "statscache backfill",
        )
    return Check("gaps", True, "no plugin misses messages since its statistics began")


def _named(idents: list[str]) -> str:
    shown = ", ".join(idents[:NAMED])
    return shown if len(idents) <= NAMED else f"{shown} and {len(idents) - NAMED} more"


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
