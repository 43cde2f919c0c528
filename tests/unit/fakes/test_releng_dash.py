"""The releng dashboard's display rules (tests/fakes/releng_dash.py) on a few hand-made answers, no datagrepper.

Each answer is what datagrepper would serve for one of the dashboard's requests (newest first);
the expected cells are worked out by hand from index.html and the scripts.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes import releng_dash as dash
from tests.fakes.releng_dash import Collections, Query

NOW = 1_458_000_000.0
HOUR = 3600.0
P = "org.fedoraproject.prod"
BASE = "http://grepper.example/"
BRANCHED = Collections.of("24", fedora=("23", "22"), epel=("7",))


def message(topic: str, at: float, link: str | None = None, **body: Any) -> dict[str, Any]:
    """A message as datagrepper serves it: whole-second timestamp, and ``meta`` when asked for."""
    return {"topic": f"{P}.{topic}", "timestamp": float(int(at)), "msg": body, "meta": {"link": link}}


def task(at: float, new: str, method: str, srpm: str, info: dict[str, Any] | None, link: str = "L") -> dict[str, Any]:
    body = {"method": method, "srpm": srpm, "new": new, "owner": "masher"}
    if info is not None:
        body["info"] = info
    return message("buildsys.task.state.change", at, link, **body)


def params(query: Query) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in query.params:
        grouped.setdefault(key, []).append(value)
    return grouped


def answers(pages: dict[str, list[dict[str, Any]]]) -> dash.Fetch:
    """A fetch answering each request with the page named by its topic (or ``artifacts``), else nothing."""

    def fetch(query: Query) -> dict[str, Any]:
        given = params(query)
        if "contains" in given and "createImage" in given["contains"]:
            name = "images"
        elif "topic" in given:
            name = given["topic"][0].removeprefix(P + ".").removesuffix(".start")
        else:
            name = "artifacts"
        if name == "fail":
            raise dash.RequestFailed("500: boom")
        return {"raw_messages": pages.get(name, [])}

    return fetch


def test_the_requests_are_the_dashboards_fourteen_in_its_order() -> None:
    made = dash.queries(BASE, BRANCHED)
    assert len(made) == 14
    assert {query.url for query in made} == {"http://grepper.example/raw/"}
    window = [("delta", "2000000"), ("rows_per_page", "100"), ("order", "desc")]
    assert list(made[0].params) == [
        *window,
        ("topic", f"{P}.compose.rawhide.mash.start"),
        ("topic", f"{P}.compose.rawhide.mash.complete"),
    ]
    assert list(made[3].params) == [
        *window,
        ("topic", f"{P}.compose.rawhide.start"),
        ("topic", f"{P}.compose.rawhide.complete"),
    ]
    assert made[4].params[-1] == ("topic", f"{P}.compose.branched.mash.complete")
    assert list(made[8].params) == [*window, ("meta", "link"), ("topic", f"{P}.bodhi.updates.fedora.sync")]
    assert made[10] == made[11]  # artifacts.js asks twice, once per artifact
    assert list(made[10].params) == [*window, ("meta", "link"), ("user", "masher")]
    assert list(made[12].params) == [
        *window,
        ("meta", "link"),
        ("user", "masher"),
        ("topic", f"{P}.buildsys.task.state.change"),
        ("contains", "createImage"),
    ]
    assert list(made[13].params) == [
        ("delta", "31536000"),
        ("rows_per_page", "100"),
        ("order", "desc"),
        ("meta", "link"),
        ("topic", f"{P}.fedimg.image.upload"),
        ("contains", "completed"),
    ]
    assert len(dash.queries(BASE, Collections.of(None))) == 10  # no branched composes
    assert dash.queries(BASE, BRANCHED, ami_delta=5)[13].params[0] == ("delta", "5")


def test_cells_follow_index_html() -> None:
    cells = dash.cell_ids(BRANCHED)
    assert cells[:4] == ["rawhide-mash-", "rawhide-pungify-", "rawhide-rsync-", "rawhide-compose-"]
    assert "branched-mash-arm" not in cells and "branched-mash-ppc" in cells  # no such div in index.html
    assert [c for c in cells if c.startswith("updates-")] == [
        "updates-fedora-23-updates",
        "updates-fedora-23-updates-testing",
        "updates-fedora-22-updates",
        "updates-fedora-22-updates-testing",
        "updates-epel-7-epel",
        "updates-epel-7-epel-testing",
    ]
    assert cells[-4:] == [
        "livecd-rawhide-x86_64",
        "livecd-rawhide-i686",
        "livecd-branched-x86_64",
        "livecd-branched-i686",
    ]
    unbranched = dash.cell_ids(Collections.of(None))
    assert not [c for c in unbranched if "branched" in c]


def test_compose_cells_compare_the_newest_start_and_complete_of_each_arch() -> None:
    mash = [
        message("compose.rawhide.mash.complete", NOW - 1 * HOUR, log="done", branch="rawhide", arch="arm"),
        message("compose.rawhide.mash.start", NOW - 2 * HOUR, log="start", branch="rawhide"),  # no arch: primary
        message("compose.rawhide.mash.complete", NOW - 3 * HOUR, log="done", branch="rawhide", arch=""),
        message("compose.rawhide.mash.start", NOW - 4 * HOUR, log="start", branch="rawhide", arch="arm"),
        message("compose.rawhide.mash.start", NOW - 5 * HOUR, log="start", branch="rawhide", arch=""),
        message("compose.rawhide.mash.start", NOW - 6 * HOUR, log="start", branch="rawhide", arch="ppc"),
        message("compose.rawhide.mash.complete", NOW - 21 * HOUR, log="done", branch="rawhide", arch="s390"),
        message("compose.rawhide.mash.start", NOW - 30 * HOUR, log="start", branch="rawhide", arch="s390"),
        message("compose.rawhide.mash.start", NOW - 2 * HOUR, log="start", branch="rawhide", arch="daily"),
    ]
    pungify = [
        message("compose.rawhide.pungify.complete", NOW - 20 * HOUR, log="done", branch="rawhide", arch=""),
        message("compose.rawhide.pungify.start", NOW - 20 * HOUR, log="start", branch="rawhide", arch=""),
    ]
    branched = [
        message("compose.branched.mash.start", NOW - 1 * HOUR, log="start", branch="24", arch="arm"),
        message("compose.branched.mash.complete", NOW - 2 * HOUR, log="done", branch="24", arch=None),
    ]
    pages = {"compose.rawhide.mash": mash, "compose.rawhide.pungify": pungify, "compose.branched.mash": branched}
    cells = dash.view(BASE, NOW, BRANCHED, fetch=answers(pages))["cells"]

    assert cells["rawhide-mash-"] == {"state": "started", "at": NOW - 2 * HOUR, "stale": False}
    assert cells["rawhide-mash-arm"] == {"state": "completed", "at": NOW - 1 * HOUR, "stale": False}
    assert cells["rawhide-mash-ppc"] == {"state": "started", "at": NOW - 6 * HOUR, "stale": False}  # no complete
    assert cells["rawhide-mash-s390"] == {"state": "completed", "at": NOW - 21 * HOUR, "stale": True}
    # Same second: not "after", so completed; exactly 20 hours old is not yet stale.
    assert cells["rawhide-pungify-"] == {"state": "completed", "at": NOW - 20 * HOUR, "stale": False}
    assert cells["rawhide-rsync-"] == {"state": None, "at": None, "stale": False}  # "(no info found)"
    assert cells["branched-mash-"] == {"state": "completed", "at": NOW - 2 * HOUR, "stale": False}  # arch null
    assert "branched-mash-arm" not in cells


def test_update_cells_take_each_release_and_repo_once() -> None:
    fedora = [
        message("bodhi.updates.fedora.sync", NOW - 1 * HOUR, release="23", repo="updates"),
        message("bodhi.updates.fedora.sync", NOW - 2 * HOUR, release="23", repo="updates"),
        message("bodhi.updates.fedora.sync", NOW - 24 * HOUR, release="23", repo="updates-testing"),
        message("bodhi.updates.fedora.sync", NOW - 25 * HOUR, release="22", repo="updates"),
        message("bodhi.updates.fedora.sync", NOW - 3 * HOUR, release="24", repo="updates-testing"),  # not active
    ]
    epel = [message("bodhi.updates.epel.sync", NOW - 5 * HOUR, release="7", repo="epel-testing")]
    pages = {"bodhi.updates.fedora.sync": fedora, "bodhi.updates.epel.sync": epel}
    cells = dash.view(BASE, NOW, BRANCHED, fetch=answers(pages))["cells"]

    assert cells["updates-fedora-23-updates"] == {"at": NOW - 1 * HOUR, "stale": False}
    assert cells["updates-fedora-23-updates-testing"] == {"at": NOW - 24 * HOUR, "stale": False}
    assert cells["updates-fedora-22-updates"] == {"at": NOW - 25 * HOUR, "stale": True}
    assert cells["updates-fedora-22-updates-testing"] is None  # the page keeps its "..."
    assert cells["updates-epel-7-epel-testing"] == {"at": NOW - 5 * HOUR, "stale": False}
    assert "updates-fedora-24-updates-testing" not in cells


def image(
    hours: float, new: str, version: str, children: list[dict[str, Any]], formats: list[str], result: str | None
) -> dict[str, Any]:
    """masher's image task for Fedora-Cloud-Base, ``hours`` before NOW."""
    opts = {"format": formats, "release": "20160314", "scratch": True}
    request = ["Fedora-Cloud-Base", version, ["x86_64", "i386"], "rawhide", "tree", opts]
    info = {"request": request, "children": children, "result": result}
    return task(NOW - hours * HOUR, new, "image", "Fedora-Cloud-Base", info)


RESULT = "<value><string>Results in /mnt/koji/work/tasks/4886/13204886</string></value>\n"
KOJI = "https://kojipkgs.fedoraproject.org/work/tasks/"


def test_image_cells_show_each_image_and_version_once_with_downloads() -> None:
    children = [{"id": 13204886, "arch": "i386"}, {"id": 13204885, "arch": "x86_64"}]
    images = [
        task(NOW - 1 * HOUR, "CLOSED", "createImage", "Fedora-Cloud-Base", {"request": []}),  # a child: ignored
        image(2, "CLOSED", "rawhide", children, ["qcow2", "raw-xz"], RESULT),
        image(3, "FAILED", "rawhide", children, ["qcow2"], None),  # an older one of the same image
        task(NOW - 4 * HOUR, "FAILED", "image", "Fedora-Docker-Base", None),  # no info: skipped
        image(5, "FAILED", "23", [], [], None),  # no cell for 23
        {**image(25, "OPEN", "24", [], [], None), "meta": {"link": None}},
    ]
    cells = dash.view(BASE, NOW, BRANCHED, fetch=answers({"images": images}))["cells"]

    stem = "Fedora-Cloud-Base-rawhide-20160314"
    [entry] = cells["image-fedora-cloud-base-rawhide"]
    assert entry == {
        "label": "Fedora-Cloud-Base (rawhide)",
        "status": "completed",
        "at": NOW - 2 * HOUR,
        "stale": False,
        "details": "L",
        "downloads": [
            [
                {"text": "i386.qcow2", "url": f"{KOJI}4886/13204886/{stem}.i386.qcow2"},
                {"text": "i386.raw.xz", "url": f"{KOJI}4886/13204886/{stem}.i386.raw.xz"},
            ],
            [
                {"text": "x86_64.qcow2", "url": f"{KOJI}4885/13204885/{stem}.x86_64.qcow2"},
                {"text": "x86_64.raw.xz", "url": f"{KOJI}4885/13204885/{stem}.x86_64.raw.xz"},
            ],
        ],
    }
    assert cells["image-fedora-cloud-base-branched"] == [
        {
            "label": "Fedora-Cloud-Base (24)",
            "status": "started",
            "at": NOW - 25 * HOUR,
            "stale": True,
            "details": None,
            "downloads": None,
        }
    ]
    assert cells["image-fedora-docker-base-rawhide"] == []


def test_image_downloads_rename_formats_and_ova_text() -> None:
    info = image(1, "CLOSED", "rawhide", [{"id": 7, "arch": "x86_64"}], ["docker", "vsphere-ova", "vagrant"], RESULT)
    rows = dash._image_downloads(info["msg"]["info"])
    assert [link["text"] for link in rows[0]] == ["x86_64.tar.xz", "vsphere", "x86_64.vagrant"]
    assert rows[0][1]["url"] == f"{KOJI}4886/7/Fedora-Cloud-Base-rawhide-20160314.x86_64.vsphere.ova"
    info["msg"]["info"]["result"] = "no path here"
    assert dash._image_downloads(info["msg"]["info"])[0][0]["url"].startswith(f"{KOJI}NaN/7/")


def live(
    hours: float, new: str, method: str, name: str, version: str, child: int, form: str | None = None
) -> dict[str, Any]:
    """masher's livecd or appliance task (or child) building ``name``, ``hours`` before NOW, with one child."""
    opts: dict[str, Any] = {"release": "20160314", "scratch": True}
    if form:
        opts["format"] = form
    request = [name, version, name.split("-")[-1], "rawhide", "x.ks", opts]
    result = f"Results in /mnt/koji/work/tasks/{child % 10000}/{child}"
    info = {"request": request, "children": [{"id": child}], "result": result}
    return task(NOW - hours * HOUR, new, method, name, info)


def test_livecd_and_appliance_cells() -> None:
    kde64, kde32, minimal = "Fedora-Live-KDE-x86_64", "Fedora-Live-KDE-i686", "Fedora-Minimal-armhfp"
    masher = [
        message("compose.rawhide.start", NOW - 0.5 * HOUR, log="start"),  # masher's, no method: ignored
        live(1, "CLOSED", "livecd", kde64, "rawhide", 13200001),
        live(2, "OPEN", "livecd", kde64, "rawhide", 1),
        live(3, "FAILED", "livecd", kde32, "23", 2),
        live(4, "CLOSED", "livecd", kde32, "24", 13200003),
        live(5, "CLOSED", "createLiveCD", kde32, "24", 3),
        live(6, "CLOSED", "appliance", minimal, "rawhide", 13200004, "raw"),
        live(7, "CLOSED", "appliance", minimal, "rawhide", 13200005, "qcow2"),
        live(30, "FAILED", "appliance", "Fedora-Xfce-armhfp", "24", 9, "raw"),
    ]
    result = dash.view(BASE, NOW, BRANCHED, fetch=answers({"artifacts": masher}))
    cells = result["cells"]

    assert cells["livecd-rawhide-x86_64"] == [
        {
            "label": f"{kde64} (rawhide)",
            "status": "completed",
            "at": NOW - 1 * HOUR,
            "stale": False,
            "details": "L",
            "download": f"{KOJI}1/13200001/{kde64}-rawhide-20160314.iso",
        },
    ]
    # 23 and 24 are both "branched": the newest of the two hides the other.
    assert cells["livecd-branched-i686"] == [
        {
            "label": f"{kde32} (branched)",
            "status": "failed",
            "at": NOW - 3 * HOUR,
            "stale": False,
            "details": "L",
            "download": None,
        },
    ]
    assert [entry["label"] for entry in cells["appliance-rawhide-armhfp"]] == [
        f"{minimal} (raw) (rawhide)",
        f"{minimal} (qcow2) (rawhide)",
    ]
    assert [entry["download"] for entry in cells["appliance-rawhide-armhfp"]] == [
        f"{KOJI}4/13200004/{minimal}-rawhide-20160314-sda.raw.xz",
        f"{KOJI}5/13200005/{minimal}-rawhide-20160314-sda.qcow2",
    ]
    assert cells["appliance-branched-armhfp"][0]["stale"] is True
    assert result["errors"] == []


def test_an_artifact_without_info_stops_the_script() -> None:
    masher = [
        live(1, "CLOSED", "livecd", "Fedora-Live-KDE-x86_64", "rawhide", 11),
        task(NOW - 2 * HOUR, "OPEN", "livecd", "Fedora-Live-Xfce-x86_64", None),
        live(3, "CLOSED", "livecd", "Fedora-Live-Xfce-x86_64", "rawhide", 12),
    ]
    result = dash.view(BASE, NOW, BRANCHED, fetch=answers({"artifacts": masher}))
    shown = [entry["label"] for entry in result["cells"]["livecd-rawhide-x86_64"]]
    assert shown == ["Fedora-Live-KDE-x86_64 (rawhide)"]
    assert [error["source"] for error in result["errors"]] == ["artifacts.js livecd"]


def upload(hours: float, image_name: str, region: str, ami: str) -> dict[str, Any]:
    return message(
        "fedimg.image.upload",
        NOW - hours * HOUR,
        image_name=image_name,
        destination=f"EC2 ({region})",
        status="completed",
        extra={"id": ami, "virt_type": "hvm"},
    )


def test_ami_cells_show_each_versions_latest_images() -> None:
    base = "Fedora-Cloud-Base-rawhide-20160314.x86_64"
    amis = [
        upload(1, "Fedora-Cloud-Atomic-rawhide-20160310.x86_64", "us-east-1", "ami-a"),  # rawhide's latest: 0310
        upload(2, base, "us-east-1", "ami-b"),
        upload(3, base, "us-east-1", "ami-c"),  # the same image and region again
        upload(4, base, "eu-west-1", "ami-d"),
        upload(5, "Fedora-Cloud-Base-rawhide-20160309.x86_64", "us-east-1", "ami-e"),  # older than the latest
        upload(6, "Fedora-Cloud-Base-24-20160314.0.x86_64", "us-west-2", "ami-f"),
        upload(30, "Fedora-Cloud-Base-24-20160313.0.x86_64", "us-west-2", "ami-g"),  # older than 24's latest
        upload(31, "Fedora-Cloud-Base-23-20160301.x86_64", "us-west-2", "ami-h"),  # no cell
    ]
    cells = dash.view(BASE, NOW, BRANCHED, fetch=answers({"fedimg.image.upload": amis}))["cells"]

    launch = "https://redirect.fedoraproject.org/console.aws.amazon.com/ec2/v2/home?region="
    assert cells["image-upload-base-rawhide"] == [
        {
            "image_name": base,
            "status": "completed",
            "at": NOW - 2 * HOUR,
            "stale": False,
            "destination": "EC2 (us-east-1)",
            "region": "us-east-1",
            "link": launch + "us-east-1#LaunchInstanceWizard:ami=ami-b",
        },
        {
            "image_name": base,
            "status": "completed",
            "at": NOW - 4 * HOUR,
            "stale": False,
            "destination": "EC2 (eu-west-1)",
            "region": "eu-west-1",
            "link": launch + "eu-west-1#LaunchInstanceWizard:ami=ami-d",
        },
    ]
    assert [entry["link"][-5:] for entry in cells["image-upload-base-branched"]] == ["ami-f"]
    # Not branched: 24 is no one's "branched", and there is no branched cell.
    unbranched = dash.view(BASE, NOW, Collections.of(None), fetch=answers({"fedimg.image.upload": amis}))["cells"]
    assert "image-upload-base-branched" not in unbranched


def test_a_failed_request_leaves_its_cells_and_is_reported() -> None:
    pages = {"compose.rawhide.mash": [], "fail": []}

    def fetch(query: Query) -> dict[str, Any]:
        if ("topic", f"{P}.bodhi.updates.fedora.sync") in query.params:
            raise dash.RequestFailed("400: Bad Request")
        return answers(pages)(query)

    result = dash.view(BASE, NOW, BRANCHED, fetch=fetch)
    assert result["cells"]["updates-fedora-23-updates"] is None
    assert result["errors"] == [{"source": "updates.js fedora", "error": "400: Bad Request"}]
    assert result["cells"]["rawhide-mash-"] == {"state": None, "at": None, "stale": False}


@pytest.mark.parametrize("workers", [1, 6])
def test_requests_may_be_made_at_once(workers: int) -> None:
    made: list[Query] = []

    def fetch(query: Query) -> dict[str, Any]:
        made.append(query)
        return {"raw_messages": []}

    dash.view(BASE, NOW, BRANCHED, fetch=fetch, workers=workers)
    assert sorted(made) == sorted(dash.queries(BASE, BRANCHED))
