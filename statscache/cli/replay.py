"""``statscache replay FILE...``: count saved messages offline, exactly once, with a progress bar.

A file is JSON lines of envelopes (as fedmsg or datagrepper hand them over,
one per line; ``statscache/demo/*.jsonl.gz`` is one), a saved datagrepper
``/raw`` page (``{"raw_messages": [...]}``), or a JSON list of envelopes; any
of them gzipped (``.gz``). Messages are handed in as backfill hands history in:
the ledger counts each ``msg_id`` once, whether a daemon, an earlier replay or
this one wrote it first, so replaying a file twice changes nothing. A line or
an envelope that is not one is logged and counted as rejected, and the replay
goes on. No coverage is recorded: a file says nothing of what it lacks.
"""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import orjson
from tqdm import tqdm

from statscache import config as config_module
from statscache.cli.sources import raw_settings
from statscache.ingest.meta import MetaReader
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry

log = logging.getLogger("statscache.cli.replay")

#: The first bytes of a gzip file.
GZIP_MAGIC = b"\x1f\x8b"


def replay(paths: Sequence[str], conf: str | None, quiet: bool = False) -> int:
    """Count every message of ``paths`` into the configured database; 0 when every file could be read."""
    missing = [path for path in paths if not Path(path).is_file()]
    if missing:
        raise SystemExit(f"statscache replay: no such file: {', '.join(missing)}")
    raw = raw_settings(conf)
    settings = config_module.load(raw)
    pipeline = Pipeline.open(settings, registry.load(settings), names=MetaReader() if conf else MetaReader(raw))
    metrics = pipeline.metrics
    total = sum(Path(path).stat().st_size for path in paths)
    bar = tqdm(total=total, unit="B", unit_scale=True, disable=quiet, dynamic_ncols=True, desc="replay")
    handed = 0
    try:
        for path in paths:
            with open(path, "rb") as file:
                done = 0
                for envelope in _envelopes(file):
                    pipeline.handle_history(envelope)
                    handed += 1
                    if handed % 1000 == 0:
                        position = file.tell()
                        bar.update(position - done)
                        done = position
                        pipeline.flush_if_due()
                bar.update(Path(path).stat().st_size - done)
    except KeyboardInterrupt:
        log.warning("interrupted: writing what was read so far")
        pipeline.close()
        raise SystemExit(130) from None
    finally:
        bar.close()
    pipeline.close()
    if pipeline.pending():
        return 1
    rejected = metrics.value("statscache_messages", outcome="rejected")
    early = metrics.value("statscache_messages", outcome="before_epoch")
    # Each plugin is offered every new message (its share); the most any was offered is how many were new.
    new = max((metrics.value("statscache_counted_messages", plugin=p.ident) for p in pipeline.plugins), default=0)
    print(
        f"{handed:,} messages read from {len(paths)} file(s): {new:,.0f} new, "
        f"{handed - new - rejected - early:,.0f} copies or counted before, {rejected:,.0f} rejected, "
        f"{early:,.0f} before the epoch"
    )
    return 0


def _envelopes(file: IO[bytes]) -> Iterator[Any]:
    """The envelopes of one file, read as it goes; a document spread over several lines (a pretty-printed page)
    is read whole, a page being small."""
    gzipped = file.read(2) == GZIP_MAGIC
    file.seek(0)
    text: IO[bytes] = gzip.GzipFile(fileobj=file) if gzipped else file  # type: ignore[assignment]
    first = _first_nonblank(text)
    if first is None:
        return
    try:
        yield from _contents(orjson.loads(first))
    except orjson.JSONDecodeError:
        if first.lstrip()[:1] not in (b"{", b"["):
            yield first  # not JSON: the pipeline rejects it, logged and counted
        else:
            rest = text.read()
            try:
                document = orjson.loads(first + rest)
            except orjson.JSONDecodeError:  # JSON lines after all, the first of them broken
                yield first
                yield from _lines(io.BytesIO(rest))
            else:
                yield from _contents(document)
            return
    yield from _lines(text)


def _contents(document: Any) -> Iterator[Any]:
    """The envelopes one JSON document holds: a /raw page's, a list's, or itself."""
    if isinstance(document, dict) and isinstance(document.get("raw_messages"), list):
        yield from document["raw_messages"]
    elif isinstance(document, list):
        yield from document
    else:
        yield document


def _lines(text: IO[bytes]) -> Iterator[Any]:
    for line in text:
        if not line.strip():
            continue
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError:
            yield line  # not JSON: the pipeline rejects it, logged and counted
            continue
        yield from _contents(document)


def _first_nonblank(text: IO[bytes]) -> bytes | None:
    for line in text:
        if line.strip():
            return line
    return None
