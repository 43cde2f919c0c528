"""statscache's release-engineering board against the old dashboard it replaces, cell for cell.

A month of release-engineering traffic (tests/fakes/releng_traffic.py: composes with every stage,
update syncs, masher's LiveCD, appliance and image tasks, image uploads, among ordinary traffic) is
loaded into a real datagrepper 1.1.0. The old dashboard's view of it is computed by its own rules
and its own 14 requests (tests/fakes/releng_dash.py). statscache fills its board by backfill from
that same datagrepper, and:

* every cell the dashboard fills shows the same latest event on the board (state, time, links);
* every cell the dashboard leaves empty is one its windows (100 messages, 23 days) cut off, or that
  nothing ever filled;
* the same month delivered live, shuffled, with duplicates, across flushes, leaves the same rows.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.plugins.builtin.releng import RelengDashboard
from statscache.plugins.builtin.releng.updates import repository
from statscache.web import board
from tests.fakes import releng_dash as dash
from tests.fakes.releng_dash import Collections
from tests.fakes.releng_traffic import month
from tests.services.datagrepper import Datagrepper, fedmsg_era_meta
from tests.services.hub import write_config

pytestmark = pytest.mark.integration

STATSCACHE = str(Path(sys.executable).with_name("statscache"))
BRANCHED = "24"
COLLECTIONS = Collections.of(BRANCHED, fedora=("23", "22"), epel=("7", "6", "5"))
SEED = 2016
IDENT = "releng-dashboard"
#: The dashboard's words for koji's task states; the board's others (queued, assigned, canceled) it has none for.
TASK_WORDS = frozenset({"started", "completed", "failed"})


@dataclass
class Compared:
    envelopes: list[dict[str, Any]]
    now: float
    database: str
    #: The dashboard's cells (div id -> value).
    cells: dict[str, Any]
    #: The board's tiles: group id -> (row, column) -> tile.
    tiles: dict[str, dict[tuple[str, str], board.Tile]]


@pytest.fixture(scope="module")
def compared(datagrepper: Datagrepper, tmp_path_factory: pytest.TempPathFactory) -> Compared:
    datagrepper.clear()
    now = time.time()
    envelopes = month(now, SEED, branched=BRANCHED)
    assert datagrepper.copy_in(fedmsg_era_meta(envelopes)) == len(envelopes)
    shown = dash.view(datagrepper.url, now, COLLECTIONS, ami_delta=dash.AMI_DELTA_ACCEPTED)
    assert shown["errors"] == []
    directory = tmp_path_factory.mktemp("releng")
    database = f"sqlite:///{directory / 'statscache.sqlite'}"
    write_config(
        directory,
        {
            "statscache.sqlalchemy.uri": database,
            "statscache.consumer.epoch": datetime.fromtimestamp(now - 40 * 86400, tz=UTC),
            "statscache.datagrepper.endpoint": datagrepper.url,
            "statscache.plugins.enabled": [IDENT],
        },
    )
    since, until = str(int(now - 35 * 86400)), str(int(now) + 1)
    command = [STATSCACHE, "--quiet", "backfill", "--since", since, "--until", until]
    filled = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=600)
    assert filled.returncode == 0, filled.stderr
    return Compared(envelopes, now, database, shown["cells"], laid_out(database, now))


def laid_out(database: str, now: float) -> dict[str, dict[tuple[str, str], board.Tile]]:
    engine = create_engine(database)
    with engine.connect() as connection:
        groups = board.groups(connection, RelengDashboard(), now)
    engine.dispose()
    return {group.id: {(tile.row, tile.column): tile for tile in group.tiles} for group in groups}


def version_of(branch: str) -> str:
    return BRANCHED if branch == "branched" else branch


def seconds(mark: board.Mark | None) -> float | None:
    """A mark's time as datagrepper serves it: whole seconds, as a float."""
    return None if mark is None else float(int(mark.timestamp.timestamp()))


def test_every_compose_stage_shows_its_newest_start_or_completion(compared: Compared) -> None:
    composes = compared.tiles["composes"]
    shown = 0
    for ident, cell in compared.cells.items():
        branch, stage, arch = (ident.split("-", 2) + [""])[:3]
        if branch not in ("rawhide", "branched") or stage not in dash.COMPOSE_STAGES:
            continue
        tile = composes.get((f"{version_of(branch)}/{arch or 'primary'}", stage))
        if cell["state"] is None:  # "(no info found)": nothing in the request's 100 newest messages for it
            assert tile is None or seconds(tile.latest) < window_start(compared, branch, stage), ident
            continue
        assert tile is not None, ident
        state = "started" if tile.state == "started" else "completed"
        at = seconds(tile.started if state == "started" else tile.ended)
        assert (state, at) == (cell["state"], cell["at"]), ident
        if state == "completed":
            assert tile.stale == cell["stale"], ident
            assert tile.duration is not None and tile.duration > 0, ident  # what the dashboard could not show
        shown += 1
    assert shown >= 20


def window_start(compared: Compared, branch: str, stage: str) -> float:
    """The oldest time among the 100 newest messages of a compose request: before it, the dashboard sees nothing."""
    prefix = f"org.fedoraproject.prod.compose.{branch}" + ("" if stage == "compose" else f".{stage}")
    times = sorted(
        (e["timestamp"] for e in compared.envelopes if e["topic"] in (f"{prefix}.start", f"{prefix}.complete")),
        reverse=True,
    )
    inside = [t for t in times if t >= compared.now - dash.DELTA][: dash.ROWS]
    return float(int(inside[-1])) if len(inside) == dash.ROWS else compared.now - dash.DELTA


def test_every_update_repository_shows_its_latest_sync(compared: Compared) -> None:
    updates = compared.tiles["updates"]
    for ident, cell in compared.cells.items():
        if not ident.startswith("updates-"):
            continue
        _, product, version, repo = ident.split("-", 3)
        tile = updates.get((repository(product, version, repo), "sync"))
        if cell is None:
            assert tile is None, ident
            continue
        assert tile is not None and (seconds(tile.succeeded), tile.stale) == (cell["at"], cell["stale"]), ident


def test_each_image_shows_each_regions_newest_completed_upload(compared: Compared) -> None:
    # The dashboard lists, per region, every upload of the images built on or after the date of the newest
    # completed upload it finds (a re-upload of an older image lists the newer ones too); the board keeps
    # each region's newest completed upload, and which regions hold the image of the newest of them.
    uploads = compared.tiles["image-uploads"]
    for branch in ("rawhide", "branched"):
        cell = compared.cells[f"image-upload-base-{branch}"]
        assert cell, branch
        tile = uploads[("Fedora-Cloud-Base/x86_64", version_of(branch))]
        listed = {(entry["image_name"], entry["region"], entry["at"], entry["link"]) for entry in cell}
        newest_listed: dict[str, tuple[Any, ...]] = {}
        for entry in sorted(listed, key=lambda entry: entry[2]):
            newest_listed[entry[1]] = entry
        items = {item.name: item for item in tile.items if item.succeeded is not None}
        for region, entry in newest_listed.items():
            success = items[region].succeeded
            assert (success.run, region, seconds(success), success.link) == entry, (branch, region)
        current = {
            (i.succeeded.run, i.name, seconds(i.succeeded), i.succeeded.link) for i in items.values() if i.current
        }
        assert current and current <= listed, branch
        assert tile.succeeded.run == max(cell, key=lambda entry: entry["at"])["image_name"]
        # What the dashboard could not show: the latest attempt, when it is no success.
        assert tile.latest.order >= tile.succeeded.order


def test_each_koji_image_build_shows_its_newest_task_with_its_files(compared: Compared) -> None:
    tasks = compared.tiles["image-tasks"]
    checked = 0
    for ident, cell in compared.cells.items():
        if not ident.startswith("image-") or ident.startswith("image-upload-"):
            continue
        for entry in cell:
            name, _, version = entry["label"].rpartition(" (")
            found = [tile for (row, column), tile in tasks.items() if row == f"image/{name}" and column == version[:-1]]
            assert len(found) == 1, entry
            check_task(found[0], entry, downloads=[link["url"] for row in entry["downloads"] or [] for link in row])
            checked += 1
    assert checked >= 4


def test_each_livecd_and_appliance_shows_its_newest_task_with_its_image(compared: Compared) -> None:
    tasks = compared.tiles["image-tasks"]
    checked = 0
    for ident, cell in compared.cells.items():
        method = ident.split("-", 1)[0]
        if method not in ("livecd", "appliance"):
            continue
        for entry in cell:
            label, _, _ = entry["label"].rpartition(" (")  # "<srpm>[ (<format>)]" less " (<rawhide|branched>)"
            branch = entry["label"].rsplit(" (", 1)[1][:-1]
            versions = (
                ["rawhide"]
                if branch == "rawhide"
                else [c for (r, c) in tasks if r == f"{method}/{label}" and c != "rawhide"]
            )
            found = [
                tasks[(f"{method}/{label}", version)] for version in versions if (f"{method}/{label}", version) in tasks
            ]
            newest = max(found, key=lambda tile: tile.latest.order)  # the dashboard shows the newest of any branched
            check_task(newest, entry, downloads=[entry["download"]] if entry["download"] else [])
            checked += 1
    assert checked >= 3


def check_task(tile: board.Tile, entry: dict[str, Any], downloads: list[str]) -> None:
    latest = tile.latest
    status = latest.status if latest.status in TASK_WORDS else None
    assert (status, seconds(latest)) == (entry["status"], entry["at"]), entry
    if entry["status"] == "completed":
        assert sorted(latest.files) == sorted(downloads), entry
        assert latest.link == f"https://koji.fedoraproject.org/koji/taskinfo?taskID={latest.run}"


def rows_of(database: str) -> list[tuple[Any, ...]]:
    engine = create_engine(database)
    table = RelengDashboard().model.__table__
    with engine.connect() as connection:
        rows = sorted(tuple(row) for row in connection.execute(select(table)))
    engine.dispose()
    return rows


def test_the_same_month_live_shuffled_and_twice_leaves_the_same_rows(compared: Compared, tmp_path: Path) -> None:
    deliveries = compared.envelopes + random.Random(SEED).sample(compared.envelopes, len(compared.envelopes) // 3)
    random.Random(SEED + 1).shuffle(deliveries)
    database = f"sqlite:///{tmp_path / 'live.sqlite'}"
    config = Config(
        sqlalchemy_uri=database,
        consumer_epoch=datetime.fromtimestamp(compared.now - 40 * 86400, tz=UTC),
        plugins_enabled=(IDENT,),
    )
    pipeline = Pipeline.open(config, registry.load(config))
    rng = random.Random(SEED + 2)
    for envelope in deliveries:
        pipeline.handle(envelope)
        if rng.random() < 0.001:
            assert pipeline.flush()
    assert pipeline.flush()
    pipeline.close()
    assert rows_of(database) == rows_of(compared.database)
