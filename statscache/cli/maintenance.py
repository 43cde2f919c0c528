"""``statscache``: the AMQP consumer (``consume``), maintenance beside a daemon (``backfill``, ``rebuild``, ``db``,
``replay``), and what would run (``plugins``, ``check-config``).

Both read ``fedmsg.d/`` in the working directory, as ``fedmsg-hub`` does, and
write to the same database; the hub may keep running meanwhile (the ledger
keeps every message counted once, whoever writes it first).
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from statscache import config as config_module
from statscache.cli import database, inspection
from statscache.cli.consume import consume
from statscache.cli.replay import replay
from statscache.cli.sources import raw_settings
from statscache.exceptions import StatscacheError
from statscache.history import archive, fill, gaps, parallel
from statscache.history.backfill import Progress
from statscache.history.client import ROWS_PER_PAGE
from statscache.ingest.meta import MetaReader
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import BasePlugin, registry
from statscache.span import iso
from statscache.store import coverage, levels
from statscache.store.engine import shown_url
from statscache.store.ledger import Ledger

log = logging.getLogger("statscache.cli.maintenance")

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def moment(text: str) -> float:
    """A time on the command line: ISO 8601 (UTC unless it says), epoch seconds, or an age (``90m``, ``7d``)."""
    text = text.strip()
    relative = _RELATIVE.match(text)
    if relative:
        return time.time() - float(relative[1]) * _UNITS[relative[2]]
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: use ISO 8601 (2026-11-01T12:00), epoch seconds, or an age (90m, 12h, 7d)"
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="statscache", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    backfill = commands.add_parser(
        "backfill", help="fetch from datagrepper what the statistics miss in a stretch of time"
    )
    backfill.add_argument("--since", type=moment, required=True, help="start (ISO 8601, epoch seconds, or 7d ago)")
    backfill.add_argument("--until", type=moment, help="end (default: now, less statscache.datagrepper.lag)")
    backfill.add_argument(
        "--plugin", action="append", dest="plugins", metavar="IDENT", help="only this plugin (repeatable)"
    )
    consume = commands.add_parser(
        "consume", help="count today's bus: read a RabbitMQ queue as fedora-messaging's configuration file says"
    )
    consume.add_argument(
        "--conf",
        metavar="FILE",
        help="fedora-messaging configuration (TOML; default $FEDORA_MESSAGING_CONF, then "
        "/etc/fedora-messaging/config.toml); statscache's settings under [consumer_config]",
    )
    database = commands.add_parser("db", help="the database's schema: where it stands, and upgrading it")
    actions = database.add_subparsers(dest="action", required=True, metavar="ACTION")
    shown = actions.add_parser(
        "current", help="print the schema's revision, and whether it is up to date (exit 1: not)"
    )
    upgraded = actions.add_parser("upgrade", help="upgrade the schema to this statscache's, keeping every statistic")
    rebuild = commands.add_parser("rebuild", help="drop plugins' statistics and compute them again from history")
    rebuild.add_argument(
        "idents",
        nargs="+",
        metavar="IDENT",
        help="a plugin's ident, as /api/ lists it (e.g. volume-1h), or a shell-style pattern ('volume-by-user-*')",
    )
    rebuild.add_argument("--since", type=moment, help="recompute from here (default: its epoch or backlog_delta)")
    listed = commands.add_parser("plugins", help="the installed plugins: which run here, their idents and tables")
    listed.add_argument("--json", action="store_true", help="as JSON")
    checked = commands.add_parser(
        "check-config", help="every setting with its value and where it comes from, and every problem (exit 1)"
    )
    replayed = commands.add_parser(
        "replay", help="count saved messages (JSON lines, /raw pages; gzip too) exactly once, offline"
    )
    replayed.add_argument("files", nargs="+", metavar="FILE", help="a file of envelopes")
    for command in (backfill, rebuild):
        command.add_argument(
            "--source",
            metavar="URL",
            help="read history from datanommer's PostgreSQL (read-only) instead of datagrepper: "
            "postgresql+psycopg://user@host/datanommer",
        )
        command.add_argument(
            "--workers",
            type=_workers,
            metavar="N",
            help="with --source: processes reading it, each a window of history at a time (default: the cores)",
        )
        command.add_argument(
            "--window-messages",
            type=_whole,
            default=archive.WINDOW_MESSAGES,
            metavar="N",
            help=f"with --source: messages a window holds, about (default {archive.WINDOW_MESSAGES:,}); "
            "a window is read whole, then recorded as covered",
        )
    for command in (backfill, rebuild, shown, upgraded, listed, checked, replayed):
        command.add_argument(
            "--conf",
            metavar="FILE",
            help="read the settings from [consumer_config] of this fedora-messaging file (default: fedmsg.d/)",
        )
    return parser.parse_args(argv)


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers from 1 to 256")
    return int(text)


def _cores() -> int:
    """The cores this process may run on (a container's or a CPU set's, where the system says), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _whole(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)20s %(levelname)7s] %(message)s")
    if args.command == "consume":
        raise SystemExit(consume(args.conf))
    if args.command in ("plugins", "check-config", "replay"):
        try:
            if args.command == "plugins":
                raise SystemExit(inspection.plugins(args.conf, args.json))
            if args.command == "check-config":
                raise SystemExit(inspection.check_config(args.conf))
            raise SystemExit(replay(args.files, args.conf, quiet=args.quiet))
        except StatscacheError as e:
            raise SystemExit(f"statscache: {e}") from e
    if args.command == "db":
        try:
            raise SystemExit(database.current(args.conf) if args.action == "current" else database.upgrade(args.conf))
        except StatscacheError as e:
            raise SystemExit(f"statscache: {e}") from e
    if args.workers is not None and args.source is None:
        raise SystemExit("statscache: --workers reads the archive's database in parallel: it needs --source")
    try:
        pipeline = _pipeline(args.conf, needs_datagrepper=args.source is None)
    except StatscacheError as e:
        raise SystemExit(f"statscache: {e}") from e
    # From the archive's database when named, else from datagrepper.
    run = (
        _backfill
        if args.source is None
        else functools.partial(
            _from_archive,
            args.source,
            parallel.Reading(args.workers or _cores(), args.window_messages),
            args.conf,
        )
    )
    try:
        if args.command == "backfill":
            idents = _known(pipeline, args.plugins) if args.plugins else None
            until = args.until if args.until is not None else _settled(pipeline)
            complete = run(pipeline, args.since, until, idents, quiet=args.quiet)
        else:
            chosen = _matching(pipeline, args.idents)
            for plugin in chosen:
                _forget(pipeline, plugin)
            idents = {plugin.ident for plugin in chosen}
            complete = run(pipeline, args.since, _settled(pipeline), idents, quiet=args.quiet)
    except KeyboardInterrupt:
        log.warning("interrupted: writing what was fetched so far")
        _close(pipeline, args.source)
        raise SystemExit(130) from None
    _close(pipeline, args.source)
    raise SystemExit(0 if complete else 1)


def _close(pipeline: Pipeline, source: str | None) -> None:
    """Write what the pipeline holds; reading the archive, it holds nothing (the workers wrote, and said so)."""
    if source is None:
        pipeline.close()
    else:
        pipeline.engine.dispose()


def _pipeline(conf: str | None, needs_datagrepper: bool = True) -> Pipeline:
    raw = raw_settings(conf)
    settings = config_module.load(raw)
    if needs_datagrepper and settings.datagrepper_endpoint is None:
        where = conf or "fedmsg.d/"
        raise StatscacheError(
            f"statscache.datagrepper.endpoint is not set ({where}): there is no history to fetch "
            "(or read datanommer's database with --source)"
        )
    # fedmsg.meta reads users and packages with fedmsg's settings; a fedora-messaging file has none: Fedora's.
    return Pipeline.open(settings, registry.load(settings), names=MetaReader() if conf else MetaReader(raw))


def _settled(pipeline: Pipeline) -> float:
    """Now, less the time datagrepper may take to archive a message."""
    return time.time() - pipeline.config.datagrepper_lag.total_seconds()


def _known(pipeline: Pipeline, idents: Sequence[str]) -> set[str]:
    return {_known_plugin(pipeline, ident).ident for ident in idents}


def _known_plugin(pipeline: Pipeline, ident: str) -> BasePlugin:
    for plugin in pipeline.plugins:
        if plugin.ident == ident:
            return plugin
    known = ", ".join(sorted(plugin.ident for plugin in pipeline.plugins))
    raise SystemExit(f"statscache: no plugin {ident!r} runs here; the plugins are: {known}")


def _matching(pipeline: Pipeline, patterns: Sequence[str]) -> list[BasePlugin]:
    """The running plugins that the idents or shell-style patterns name; each pattern must name one at least."""
    chosen: dict[str, BasePlugin] = {}
    for pattern in patterns:
        found = [plugin for plugin in pipeline.plugins if fnmatch.fnmatchcase(plugin.ident, pattern)]
        if not found:
            known = ", ".join(sorted(plugin.ident for plugin in pipeline.plugins))
            raise SystemExit(f"statscache: no plugin {pattern!r} runs here; the plugins are: {known}")
        chosen.update((plugin.ident, plugin) for plugin in found)
    return list(chosen.values())


def _forget(pipeline: Pipeline, plugin: BasePlugin) -> None:
    """Drop the plugin's statistics, coverage and ledger records, in one transaction."""
    with pipeline.session_factory() as session, session.begin():
        # Session.execute is typed as returning a Result; a DELETE's is a CursorResult (SQLAlchemy's advice: cast).
        dropped = cast("CursorResult[Any]", session.execute(delete(plugin.model))).rowcount
        coverage.forget(session, plugin.ident)
        levels.forget(session, plugin.model.__tablename__)
        Ledger().forget(session, plugin.ident)
    log.info("dropped %d rows of %s", dropped, plugin.ident)


def _from_archive(
    source: str,
    reading: parallel.Reading,
    conf: str | None,
    pipeline: Pipeline,
    since: float | None,
    until: float,
    idents: set[str] | None,
    quiet: bool,
) -> bool:
    """Fill what the statistics miss from datanommer's database at ``source``, several windows at a time."""
    stretches = fill.plan(pipeline, until, since=since, idents=idents)
    log.info("%s, up to %s, from the archive's database", gaps.describe(stretches), iso(until))
    if not stretches:
        return True
    began = time.monotonic()
    source_archive = archive.Archive(source)
    # The workers start (importing statscache, opening their pipelines) while the survey runs.
    with parallel.Readers(source, functools.partial(_pipeline, conf, False), reading.workers) as readers:
        try:
            windows = parallel.plan(source_archive, stretches, reading.window_messages)
        except SQLAlchemyError as error:
            raise SystemExit(f"statscache: the archive's database at {shown_url(source)}: {error}") from error
        finally:
            source_archive.close()
        expected = sum(window.expected for window in windows)
        log.info("the archive holds %d messages there: %d windows, %d workers", expected, len(windows), reading.workers)
        bar = tqdm(total=expected, unit="msg", unit_scale=True, disable=quiet, dynamic_ncols=True, file=sys.stderr)

        def on_progress(handed: int) -> None:
            bar.update(handed - bar.n)

        try:
            outcome = readers.read(windows, on_progress)
        finally:
            bar.close()
    elapsed = timedelta(seconds=round(time.monotonic() - began))
    log.info("%d messages in %d windows, %s: %s", outcome.messages, outcome.windows, elapsed, outcome.summary())
    if outcome.failure is not None:
        log.error("stopped short, what is read stays counted (run it again to go on): %s", outcome.failure)
        return False
    return True


def _backfill(pipeline: Pipeline, since: float | None, until: float, idents: set[str] | None, quiet: bool) -> bool:
    stretches = fill.plan(pipeline, until, since=since, idents=idents)
    log.info("%s, up to %s", gaps.describe(stretches), iso(until))
    if not stretches:
        return True
    bar = tqdm(unit="page", disable=quiet, dynamic_ncols=True, file=sys.stderr)
    began = time.monotonic()

    def on_progress(progress: Progress) -> None:
        pipeline.flush_if_due()
        now = time.monotonic()
        bar.total = progress.pages_estimated
        bar.n = progress.pages_done
        rate = progress.messages / (now - began + 1e-9)
        bar.set_postfix_str(f"{progress.messages:,} messages, {rate:,.0f} msg/s")

    runner = fill.make_backfill(pipeline, on_progress)
    expected = None if quiet else runner.survey(stretches)
    if expected is not None:
        bar.total = -(-expected // ROWS_PER_PAGE)
        log.info("datagrepper holds %d messages there", expected)
    try:
        complete = runner.run(stretches, expected)
    finally:
        bar.close()
    progress = runner.progress
    elapsed = time.monotonic() - began
    log.info("%d messages in %d pages, %s", progress.messages, progress.pages_done, timedelta(seconds=round(elapsed)))
    for span, reason in progress.failed:
        log.error("not fetched: %s to %s: %s", iso(span.start), iso(span.end), reason)
    return complete
