"""History read straight from the archive's database: datanommer's PostgreSQL (``datanommer.models`` 1.5.0), read-only.

Each message becomes the envelope datagrepper's ``/raw`` would serve for it:
its ``msg_id``, ``topic``, ``timestamp`` (epoch seconds, the pipeline keeps the
whole second as for ``/raw``), ``msg``, ``headers``, and its ``users`` and
``packages`` from datanommer's tables, sorted. So a message counts the same
whether it came live, through ``/raw``, or from here.

Each stretch of history is read in one read-only transaction, ordered by
time, its rows streamed from a server-side cursor (memory stays bounded
whatever it holds). As the rows pass a time, everything before it has been
handed in: that much is recorded as coverage with the counts that came from
it (a checkpoint), at most an hour of history at a time, just before a
message's time, so messages sharing a timestamp are never split between two
records. An interrupted fill resumes where its coverage ends; whatever it
reads twice, the ledger counts once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Engine, text

from statscache.history.backfill import Sink
from statscache.span import TICK, Span, Stretch, iso
from statscache.store.engine import make_reader_engine

log = logging.getLogger(__name__)

#: Seconds of history recorded as coverage at once, at most: an hour of Fedora's bus is a few thousand messages.
WINDOW = 3600.0
#: Rows fetched from the server at a time.
BATCH = 2000
#: Seconds of history the survey counts together: the finest a window of parallel reading can be cut.
SLOT = 3600
#: Messages a window of parallel reading aims at: a second or two of a worker's time, so that the workers
#: share the end of a rebuild evenly and an interrupted one loses little.
WINDOW_MESSAGES = 20_000


# One row a message, with its users and packages gathered per message of the same stretch beforehand (datanommer's
# association tables carry the message's timestamp too: the hypertable's key). Two hash joins cost half what a
# lookup per message does. The time as epoch seconds and the headers as text (decoded by orjson) spare the
# client building objects it would only take apart. Messages without a msg_id cannot be counted exactly: skipped.
def _names(entity: str) -> str:
    """The names of ``entity`` (users or packages) of each message of the stretch, through its association table
    (``users_messages`` and ``user_id``, or ``packages_messages`` and ``package_id``)."""
    key = f"{entity.rstrip('s')}_id"
    return f"""
        SELECT a.msg_id, a.msg_timestamp, array_agg(e.name ORDER BY e.name) AS names
        FROM {entity}_messages a JOIN {entity} e ON e.id = a.{key}
        WHERE a.msg_timestamp >= :start AND a.msg_timestamp <= :end
        GROUP BY a.msg_id, a.msg_timestamp"""


_ROWS = text(
    f"""
    SELECT m.msg_id, m.topic, extract(epoch FROM m.timestamp)::float8, m.msg, m.headers::text, u.names, p.names
    FROM messages m
    LEFT JOIN ({_names("users")}) u ON u.msg_id = m.id AND u.msg_timestamp = m.timestamp
    LEFT JOIN ({_names("packages")}) p ON p.msg_id = m.id AND p.msg_timestamp = m.timestamp
    WHERE m.timestamp >= :start AND m.timestamp <= :end AND m.msg_id IS NOT NULL
    ORDER BY m.timestamp, m.id
    """
)

# How many messages each hour holds (a count of the timestamp index: no message is read).
_SURVEY = text(
    """
    SELECT floor(extract(epoch FROM m.timestamp) / :slot)::bigint AS slot, count(*)
    FROM messages m
    WHERE m.timestamp >= :start AND m.timestamp <= :end AND m.msg_id IS NOT NULL
    GROUP BY slot ORDER BY slot
    """
)


class Window(NamedTuple):
    """A stretch of history one worker reads whole, and how many messages the survey found in it."""

    stretch: Stretch
    expected: int


class Archive:
    """datanommer's database, read-only (PostgreSQL runs every transaction READ ONLY)."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = make_reader_engine(url)

    def envelopes(self, span: Span) -> Iterator[dict[str, Any]]:
        """The envelopes of every message sent from ``span.start`` to ``span.end``, both included, oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
                _ROWS, {"start": _naive(span.start), "end": _naive(span.end)}
            )
            for msg_id, topic, moment, msg, headers, users, packages in rows:
                yield {
                    "msg_id": msg_id,
                    "topic": topic,
                    "timestamp": moment,
                    "msg": _decoded(msg, msg_id, moment),
                    "headers": None if headers is None else orjson.loads(headers),
                    "users": users or [],
                    "packages": packages or [],
                }

    def survey(self, span: Span) -> list[tuple[float, int]]:
        """How many messages each hour of ``span`` holds: (the hour's start, its count), empty hours left out."""
        with self.engine.connect() as connection:
            rows = connection.execute(_SURVEY, {"slot": SLOT, "start": _naive(span.start), "end": _naive(span.end)})
            return [(float(slot * SLOT), count) for slot, count in rows]

    def close(self) -> None:
        self.engine.dispose()


def windows(stretch: Stretch, hours: Sequence[tuple[float, int]], per_window: int = WINDOW_MESSAGES) -> list[Window]:
    """Cut ``stretch`` in windows of about ``per_window`` messages each, at the starts of the survey's hours.

    The windows touch end to start (one ends a tick before the next
    begins) and together are the whole stretch; a tie of timestamps sits in
    one hour, so it is never split. An hour denser than ``per_window`` is a
    window of its own: a worker streams it, so memory does not grow with it.
    """
    cut: list[Window] = []
    start, held = stretch.span.start, 0
    for hour, count in hours:
        if held and held + count > per_window and hour > start:
            cut.append(Window(Stretch(Span(start, hour - TICK), stretch.idents), held))
            start, held = hour, 0
        held += count
    cut.append(Window(Stretch(Span(start, stretch.span.end), stretch.idents), held))
    return cut


def fill(
    archive: Archive,
    sink: Sink,
    stretches: Sequence[Stretch],
    every_plugin: frozenset[str],
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Hand in every message of ``stretches``, oldest first, recording coverage as it goes; the messages handed in.

    Rows come ordered by time, so once a row of a later time comes, every
    message before it has been handed in: the stretch up to just before it is
    complete, and recorded so at most every :data:`WINDOW` seconds of history.
    ``on_progress`` gets the messages handed in so far after each record.
    """
    handed = 0
    for stretch in stretches:
        audience = None if stretch.idents >= every_plugin else stretch.idents
        covered = stretch.span.start  # everything from the stretch's start up to here is recorded
        for envelope in archive.envelopes(stretch.span):
            moment = envelope["timestamp"]
            if moment - covered >= WINDOW:
                sink.checkpoint(covered, moment - TICK, stretch.idents)
                covered = moment - TICK
                if on_progress is not None:
                    on_progress(handed)
            sink.handle_history(envelope, audience)
            handed += 1
        sink.checkpoint(covered, stretch.span.end, stretch.idents)
        if on_progress is not None:
            on_progress(handed)
    return handed


def _decoded(body: str, msg_id: str, moment: float) -> Any:
    """A message's body (datanommer keeps it as JSON text); text that is no JSON is passed on as it is, for
    the pipeline to refuse as any malformed message (and count), not to end the whole read."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        log.warning("the archive's message %r of %s: its body is not JSON (%s)", msg_id[:200], iso(moment), error)
        return body


def _naive(epoch_seconds: float) -> datetime:
    """datanommer's timestamps are UTC without a zone."""
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).replace(tzinfo=None)
