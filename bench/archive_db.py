"""The rebuild from the archive's database, for ``bench/backfill.py --source db``.

A private PostgreSQL gets datanommer 1.5.0's schema, made by ``datanommer.models`` itself (through the
test suite's datagrepper service, tests/services/datagrepper.py), then COUNT messages of a mix loaded
with COPY (datanommer's own consumer stores about 2,000 a second here: 8 minutes for a million), spread
over DAYS days as Fedora's bus spreads them: ``msg`` as datanommer keeps it (JSON text), the
``sent-at`` header, the category, and each message's users and packages (read by fedmsg.meta, as
Fedora's archive holds them for the messages it has a schema for) in datanommer's association tables.

Then it times, alternating for ``--rounds``:

- bare read: ``SELECT`` and decode every row as the rebuild does (``Archive.envelopes``), no plugin,
  with 1 process, then with WORKERS processes sharing the same windows;
- rebuild: ``statscache backfill --source`` with every built-in plugin into a fresh database
  (SQLite, or a PostgreSQL database of the same server with ``--store postgresql``), with 1 and
  with WORKERS workers.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mix
import psycopg

from statscache.history.archive import Archive, Window
from statscache.history.parallel import plan
from statscache.ingest.envelope import parse_envelope
from statscache.ingest.meta import MetaReader
from statscache.span import Span, Stretch
from tests.services.datagrepper import copy_messages

ROOT = Path(__file__).resolve().parents[1]
STATSCACHE = str(Path(sys.executable).with_name("statscache"))
#: Days the messages are spread over: 50,000 a day for a million, Fedora's pace.
DAYS = 20


def made(name: str, count: int) -> list[dict[str, Any]]:
    """COUNT envelopes of the mix, fresh msg_ids, spread over DAYS days (to the microsecond, as the bus)."""
    envelopes = mix.made(name, count)
    step = DAYS * 86400 / count
    for i, envelope in enumerate(envelopes):
        envelope["timestamp"] = round(mix.START + i * step, 6)
    return envelopes


def _names(envelopes: list[dict[str, Any]]) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Each envelope's users and packages, read once per distinct body of the mix's cycle."""
    reader = MetaReader()
    known: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    users, packages = [], []
    for envelope in envelopes:
        key = id(envelope["msg"])  # the mix's copies share their body
        if key not in known:
            message = parse_envelope(envelope, reader)
            known[key] = (message.users, message.packages)
        users.append(known[key][0])
        packages.append(known[key][1])
    return users, packages


def load(url: str, envelopes: list[dict[str, Any]]) -> None:
    """COPY the envelopes into datanommer's tables at ``url`` (psycopg's URL), as its consumer would store them."""
    users, packages = _names(envelopes)
    copy_messages(url, envelopes, users, packages)


@contextlib.contextmanager
def loaded_archive(name: str, count: int) -> Iterator[tuple[str, str, float, float]]:
    """A private PostgreSQL holding COUNT messages of the mix in datanommer's schema: (SQLAlchemy URL of the
    archive, psycopg URL of the server's ``postgres`` database, first and last message time)."""
    from tests.services.datagrepper import Datagrepper
    from tests.services.postgres import PostgresServer

    with PostgresServer() as postgres, Datagrepper(postgres) as datagrepper:
        began = time.perf_counter()
        envelopes = made(name, count)
        load(datagrepper.database_url, envelopes)
        first, last = envelopes[0]["timestamp"], envelopes[-1]["timestamp"]
        del envelopes
        print(f"  loaded {count:,} messages in datanommer's schema (COPY) in {time.perf_counter() - began:.0f} s")
        server = datagrepper.database_url.rsplit("/", 1)[0] + "/postgres"
        yield datagrepper.database_url.replace("postgresql://", "postgresql+psycopg://"), server, first, last


def _read_bare(window: Window, url: str) -> int:
    archive = Archive(url)
    try:
        return sum(1 for _ in archive.envelopes(window.stretch.span))
    finally:
        archive.close()


def bare_read(url: str, first: float, last: float, workers: int) -> dict[str, float]:
    """Every row selected and decoded as the rebuild reads it, by ``workers`` processes, plugins none."""
    archive = Archive(url)
    windows = plan(archive, [Stretch(Span(first - 1, last + 1), frozenset())])
    archive.close()
    began = time.perf_counter()
    if workers == 1:
        read = sum(_read_bare(window, url) for window in windows)
    else:
        context = multiprocessing.get_context("spawn")
        with context.Pool(workers) as pool:
            read = sum(pool.starmap(_read_bare, [(window, url) for window in windows], chunksize=1))
    return {"seconds": time.perf_counter() - began, "messages": read}


def rebuild(url: str, store: str, first: float, last: float, workers: int, workdir: Path) -> dict[str, float]:
    """``statscache backfill --source`` of every built-in plugin into a fresh database; its wall time."""
    from tests.services.hub import write_config

    directory = Path(tempfile.mkdtemp(dir=workdir))
    epoch = datetime.fromtimestamp(first - 3600, tz=UTC)
    write_config(directory, {"statscache.sqlalchemy.uri": store, "statscache.consumer.epoch": epoch})
    command = [STATSCACHE, "--quiet", "backfill", "--source", url, "--since", str(first - 1)]
    command += ["--until", str(last + 1), "--workers", str(workers)]
    began = time.perf_counter()
    done = subprocess.run(command, cwd=directory, capture_output=True, text=True, env=_environment())
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"the rebuild failed:\n{done.stderr[-3000:]}")
    read = int(_between(done.stderr, "INFO] ", " messages in "))
    return {"seconds": seconds, "messages": read}


def _between(text: str, before: str, after: str) -> str:
    line = next(line for line in text.splitlines() if after in line)
    return line.split(before, 1)[1].split(after, 1)[0]


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONWARNINGS": "ignore"}


def fresh_database(server: str, name: str) -> str:
    """A new PostgreSQL database on the archive's server, for statscache's tables: its SQLAlchemy URL."""
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def compare(name: str, count: int, rounds: int, workers: int, store_kind: str) -> None:
    print(f"rebuild from the archive's database: {count:,} messages of the {name} mix over {DAYS} days")
    with loaded_archive(name, count) as (url, server, first, last), tempfile.TemporaryDirectory() as work:
        workdir = Path(work)
        results: dict[str, list[dict[str, float]]] = {}
        for round_number in range(rounds):
            for processes in sorted({1, workers}):
                for kind in ("bare read", "rebuild"):
                    label = f"{kind}, {processes} process{'es' if processes > 1 else ''}"
                    if kind == "bare read":
                        result = bare_read(url, first, last, processes)
                    else:
                        store = (
                            fresh_database(server, f"statscache_{round_number}_{processes}")
                            if store_kind == "postgresql"
                            else f"sqlite:///{workdir / f'statscache-{round_number}-{processes}.sqlite'}"
                        )
                        result = rebuild(url, store, first, last, processes, workdir)
                    if result["messages"] != count:
                        raise SystemExit(f"{label} read {result['messages']:,} messages, not {count:,}")
                    results.setdefault(label, []).append(result)
                    rate = result["messages"] / result["seconds"]
                    print(f"  round {round_number + 1}  {label:<26} {result['seconds']:7.1f} s  {rate:9,.0f} msg/s")
        best = {label: max(r["messages"] / r["seconds"] for r in runs) for label, runs in results.items()}
        print(f"best of {rounds} (statscache's database: {store_kind}):")
        for label, rate in best.items():
            print(f"  {label:<26} {rate:9,.0f} msg/s")
        for processes in sorted({1, workers}):
            plural = "es" if processes > 1 else ""
            ratio = best[f"rebuild, {processes} process{plural}"] / best[f"bare read, {processes} process{plural}"]
            print(f"  rebuild / bare read, {processes} process{plural}: {ratio:.2f}")
        if workers > 1:
            speedup = best[f"rebuild, {workers} processes"] / best["rebuild, 1 process"]
            print(f"  rebuild speed-up with {workers} workers: {speedup:.2f}x")


if __name__ == "__main__":  # a bare read's worker (spawned) imports this module by name
    sys.exit("run bench/backfill.py --source db")
