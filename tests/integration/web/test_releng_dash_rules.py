"""The old releng dashboard's rules (tests/fakes/releng_dash.py) on a real datagrepper 1.1.0 holding a generated month.

A month of traffic (tests/fakes/releng_traffic.py) is loaded the way fedmsg's era stored it (users
from fedmsg.meta, so that ``user=masher`` finds masher's koji tasks). What each cell should show is
worked out here from the envelopes themselves, the plain way: which messages each of the
dashboard's requests finds (its filters, newest first, 100 at most), then the page's rule on them;
download links come from the generated task ids, not from parsing koji's result text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.fakes import releng_dash as dash
from tests.fakes.releng_dash import Collections
from tests.fakes.releng_traffic import month
from tests.services.datagrepper import Datagrepper, fedmsg_era_meta

pytestmark = pytest.mark.integration

P = "org.fedoraproject.prod"
TASKS = f"{P}.buildsys.task.state.change"
COLLECTIONS = Collections.of("24", fedora=("23", "22"), epel=("7", "6", "5"))
SEED = 2016
KOJI = "https://kojipkgs.fedoraproject.org/work/tasks/"
EXTENSIONS = {"raw-xz": "raw.xz", "docker": "tar.xz"}

Envelope = dict[str, Any]


@dataclass
class Month:
    envelopes: list[Envelope]
    now: float
    load_seconds: float


@pytest.fixture(scope="module")
def releng_month(datagrepper: Datagrepper) -> Month:
    """A month ending now, in the session's datagrepper (emptied first)."""
    datagrepper.clear()
    now = time.time()
    envelopes = month(now, SEED)
    began = time.monotonic()
    assert datagrepper.copy_in(fedmsg_era_meta(envelopes)) == len(envelopes)
    return Month(envelopes, now, time.monotonic() - began)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False
    session.headers["Accept"] = "application/json"
    yield session
    session.close()


def masher_task(envelope: Envelope) -> bool:
    return envelope["topic"] == TASKS and envelope["msg"]["owner"] == "masher"


def found(
    envelopes: list[Envelope],
    since: float,
    topics: tuple[str, ...] = (),
    masher: bool = False,
    contains: str | None = None,
) -> list[Envelope]:
    """What one request finds: its filters, newest first, at most 100."""
    hits = [
        envelope
        for envelope in envelopes
        if envelope["timestamp"] >= since
        and (not topics or envelope["topic"] in topics)
        and (not masher or masher_task(envelope))
        and (contains is None or contains in json.dumps(envelope["msg"]))
    ]
    return sorted(hits, key=lambda envelope: envelope["timestamp"], reverse=True)[: dash.ROWS]


def at(envelope: Envelope) -> float:
    return float(int(envelope["timestamp"]))  # datagrepper serves whole seconds


def expected_cells(envelopes: list[Envelope], served_at: float, now: float) -> dict[str, Any]:
    """Every cell, as the page's rules make it of the messages datagrepper finds at ``served_at``."""
    since = served_at - dash.DELTA
    cells: dict[str, Any] = {}
    for branch in ("rawhide", "branched"):
        for stage in dash.COMPOSE_STAGES:
            prefix = f"{P}.compose.{branch}" + ("" if stage == "compose" else f".{stage}")
            hits = found(envelopes, since, (f"{prefix}.start", f"{prefix}.complete"))
            for arch in dash.COMPOSE_ARCHES:
                if (branch, arch) != ("branched", "arm"):
                    cells[f"{branch}-{stage}-{arch}"] = compose_cell(hits, arch, now)
    for product in ("fedora", "epel"):
        hits = found(envelopes, since, (f"{P}.bodhi.updates.{product}.sync",))
        cells.update(update_cells(hits, product, now))
    cells.update(image_cells(found(envelopes, since, (TASKS,), masher=True, contains="createImage"), now))
    since_amis = served_at - dash.AMI_DELTA_ACCEPTED
    cells.update(ami_cells(found(envelopes, since_amis, (f"{P}.fedimg.image.upload",), contains="completed"), now))
    for artifact in ("appliance", "livecd"):
        cells.update(artifact_cells(found(envelopes, since, masher=True), artifact, now))
    lists = ("image", "appliance", "livecd")  # cells nothing was added to: empty lists, or "..." (None)
    return {ident: cells.get(ident, [] if ident.startswith(lists) else None) for ident in dash.cell_ids(COLLECTIONS)}


def compose_cell(hits: list[Envelope], arch: str, now: float) -> dict[str, Any]:
    def newest(log: str) -> float | None:
        mine = [e for e in hits if e["topic"].endswith(f".{log}") and (e["msg"].get("arch") or "") == arch]
        return at(mine[0]) if mine else None

    start, complete = newest("start"), newest("complete")
    if start is None and complete is None:
        return {"state": None, "at": None, "stale": False}
    if complete is None or (start is not None and start > complete):
        return {"state": "started", "at": start, "stale": False}
    return {"state": "completed", "at": complete, "stale": complete < now - 20 * 3600}


def update_cells(hits: list[Envelope], product: str, now: float) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for envelope in reversed(hits):  # the newest of each release and repo is written last
        ident = f"updates-{product}-{envelope['msg']['release']}-{envelope['msg']['repo']}"
        cells[ident] = {"at": at(envelope), "stale": at(envelope) < now - 24 * 3600}
    return cells


def firsts(entries: list[tuple[str, str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """(dedupe key, cell, entry) newest first -> each cell's entries, the first of each key only."""
    seen: set[str] = set()
    cells: dict[str, list[dict[str, Any]]] = {}
    for key, cell, entry in entries:
        if key not in seen:
            seen.add(key)
            cells.setdefault(cell, []).append(entry)
    return cells


def branch_of(version: str) -> str:
    return "branched" if version == COLLECTIONS.branched else version


def image_cells(hits: list[Envelope], now: float) -> dict[str, Any]:
    entries = []
    for envelope in hits:
        body = envelope["msg"]
        if body["method"] != "image":
            continue
        name, version, _, _, _, opts = body["info"]["request"]
        downloads = None
        if body["new"] == "CLOSED":
            stem = f"{name}-{version}-{opts['release']}"
            downloads = [[download(child, stem, form) for form in opts["format"]] for child in body["info"]["children"]]
        entry = {
            "label": f"{name} ({version})",
            "status": dash.STATUS.get(body["new"]),
            "at": at(envelope),
            "stale": at(envelope) < now - 24 * 3600,
            "details": None,  # meta=link: null for a fedmsg-era message in datagrepper 1.1.0
            "downloads": downloads,
        }
        entries.append((entry["label"], f"image-{name.lower()}-{branch_of(version)}", entry))
    return firsts(entries)


def download(child: dict[str, Any], stem: str, form: str) -> dict[str, str]:
    extension = EXTENSIONS.get(form, form)
    directory = f"{child['id'] % 10000}/{child['id']}/"
    return {"text": f"{child['arch']}.{extension}", "url": f"{KOJI}{directory}{stem}.{child['arch']}.{extension}"}


def artifact_cells(hits: list[Envelope], artifact: str, now: float) -> dict[str, Any]:
    entries = []
    for envelope in hits:
        body = envelope["msg"]
        if body["method"] != artifact:
            continue
        name, version, _, _, _, opts = body["info"]["request"]
        branch = "rawhide" if version == "rawhide" else "branched"
        label = body["srpm"] + (f" ({opts['format']})" if "format" in opts else "") + f" ({branch})"
        link = None
        if body["new"] == "CLOSED":
            [child] = body["info"]["children"]
            suffix = {None: ".iso", "raw": "-sda.raw.xz", "qcow2": "-sda.qcow2"}[opts.get("format")]
            link = f"{KOJI}{child['id'] % 10000}/{child['id']}/{name}-{version}-{opts['release']}{suffix}"
        entry = {
            "label": label,
            "status": dash.STATUS.get(body["new"]),
            "at": at(envelope),
            "stale": at(envelope) < now - 24 * 3600,
            "details": None,
            "download": link,
        }
        entries.append((label, f"{artifact}-{branch}-{body['srpm'].split('-')[-1]}", entry))
    return firsts(entries)


def ami_cells(hits: list[Envelope], now: float) -> dict[str, Any]:
    latest: dict[str, str] = {}
    entries = []
    for envelope in hits:
        body = envelope["msg"]
        _, _, flavour, version, compose_date = body["image_name"].split(".")[0].split("-")
        branch = branch_of(version.lower())
        latest.setdefault(branch, compose_date)
        if compose_date < latest[branch]:
            continue
        region = body["destination"].removeprefix("EC2 (").removesuffix(")")
        entry = {
            "image_name": body["image_name"],
            "status": "completed",
            "at": at(envelope),
            "stale": at(envelope) < now - 24 * 3600,
            "destination": body["destination"],
            "region": region,
            "link": f"{dash.AWS_LAUNCH}{region}#LaunchInstanceWizard:ami={body['extra']['id']}",
        }
        entries.append((body["image_name"] + region, f"image-upload-{flavour.lower()}-{branch}", entry))
    return firsts(entries)


def get(http: requests.Session, server: Datagrepper, params: list[tuple[str, str]]) -> dict[str, Any]:
    response = http.get(server.url + "raw/", params=params, timeout=60)
    assert response.status_code == 200, response.text[:500]
    page: dict[str, Any] = response.json()
    return page


def test_datagrepper_answers_the_dashboards_filters_as_production_did(
    releng_month: Month, datagrepper: Datagrepper, http: requests.Session
) -> None:
    envelopes, now = releng_month.envelopes, releng_month.now
    window = [("start", str(now - 32 * 86400)), ("end", str(now + 1)), ("rows_per_page", "1")]

    # user=masher: exactly masher's koji tasks, whatever the topic (artifacts.js asks for no topic).
    masher = [e for e in envelopes if masher_task(e)]
    assert get(http, datagrepper, [*window, ("user", "masher")])["total"] == len(masher) > 1000
    # contains= looks into the message body; topics are ORed.
    images = [e for e in envelopes if e["topic"] == TASKS and "createImage" in json.dumps(e["msg"])]
    page = get(http, datagrepper, [*window, ("topic", TASKS), ("user", "masher"), ("contains", "createImage")])
    assert page["total"] == len([e for e in images if masher_task(e)]) < len(images)
    # package=: what fedmsg.meta named when the month was loaded.
    kernel = sum("kernel" in envelope["packages"] for envelope in fedmsg_era_meta(envelopes))
    assert get(http, datagrepper, [*window, ("package", "kernel")])["total"] == kernel > 100
    pair = (f"{P}.compose.rawhide.mash.start", f"{P}.compose.rawhide.mash.complete")
    page = get(http, datagrepper, [*window, ("topic", pair[0]), ("topic", pair[1])])
    assert page["total"] == len([e for e in envelopes if e["topic"] in pair])
    # meta=link is answered, from the base schema: null where fedmsg.meta gave koji's taskinfo page.
    page = get(http, datagrepper, [*window, ("user", "masher"), ("meta", "link")])
    assert page["raw_messages"][0]["meta"]["link"] is None
    assert page["raw_messages"][0]["users"] == ["masher"]

    # The AMI request asks for a year with contains=, which datagrepper 1.1.0 refuses.
    ami_query = dash.queries(datagrepper.url, COLLECTIONS)[-1]
    assert ("contains", "completed") in ami_query.params
    response = http.get(ami_query.url, params=list(ami_query.params), timeout=60)
    assert response.status_code == 400 and "eight months" in response.text


def test_the_page_shows_what_the_traffic_says(releng_month: Month, datagrepper: Datagrepper) -> None:
    before = time.time()
    shown = dash.view(datagrepper.url, before, COLLECTIONS, ami_delta=dash.AMI_DELTA_ACCEPTED)
    at_once = dash.view(datagrepper.url, before, COLLECTIONS, ami_delta=dash.AMI_DELTA_ACCEPTED, workers=6)
    after = time.time()

    assert shown["errors"] == at_once["errors"] == []
    # A message right at the 23-day edge may be in or out, as the requests were made in between.
    early, late = (expected_cells(releng_month.envelopes, served_at, before) for served_at in (before, after))
    assert list(shown["cells"]) == list(early) == dash.cell_ids(COLLECTIONS)
    for view in (shown, at_once):
        for ident, value in view["cells"].items():
            assert value in (early[ident], late[ident]), ident


def test_the_month_exercises_every_rule(releng_month: Month, datagrepper: Datagrepper) -> None:
    now = time.time()
    cells = dash.view(datagrepper.url, now, COLLECTIONS, ami_delta=dash.AMI_DELTA_ACCEPTED)["cells"]
    composes = [value for ident, value in cells.items() if ident.startswith(("rawhide-", "branched-"))]
    assert {"started", "completed", None} == {value["state"] for value in composes}
    assert {True, False} == {value["stale"] for value in composes if value["state"] == "completed"}
    assert cells["rawhide-compose-"]["state"] == "started"  # the run that began three hours ago
    arm = cells["rawhide-mash-arm"]  # completed 20-22 hours ago: stale for a compose (not for the rest)
    assert arm["state"] == "completed" and arm["stale"] and arm["at"] > now - 22.5 * 3600
    assert cells["rawhide-pungify-s390"]["state"] is None  # s390 has no pungify
    assert cells["rawhide-mash-s390"]["state"] is None  # beyond the 100 newest mash messages
    assert cells["updates-fedora-22-updates"]["stale"] and not cells["updates-fedora-23-updates"]["stale"]

    # The newest completed rawhide upload is an old image uploaded again: newer composes show too.
    rawhide_amis = cells["image-upload-base-rawhide"]
    assert len({entry["image_name"] for entry in rawhide_amis}) >= 2
    assert {entry["status"] for entry in rawhide_amis + cells["image-upload-base-branched"]} == {"completed"}
    for branch in ("rawhide", "branched"):
        assert all(len(cells[f"image-{srpm}-{branch}"]) == 1 for srpm in dash.IMAGE_SRPMS)
    labels = {entry["label"] for entry in cells["appliance-branched-armhfp"]}
    assert {"Fedora-Minimal-armhfp (raw) (branched)", "Fedora-Minimal-armhfp (qcow2) (branched)"} <= labels
    assert cells["livecd-branched-x86_64"] and cells["livecd-branched-i686"]
