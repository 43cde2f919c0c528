"""The generated month of release-engineering traffic (tests/fakes/releng_traffic.py): its promises, checked."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.fakes.releng_traffic import DAY, HOUR, REGIONS, month

NOW = 1_458_000_000.0
P = "org.fedoraproject.prod"


@pytest.fixture(scope="module")
def traffic() -> list[dict[str, Any]]:
    return month(NOW, seed=3)


def is_releng(envelope: dict[str, Any]) -> bool:
    kind = envelope["topic"].removeprefix(P + ".")
    masher = kind == "buildsys.task.state.change" and envelope["msg"]["owner"] == "masher"
    return masher or kind.startswith(("compose.", "bodhi.updates.", "fedimg."))


def test_a_month_is_the_same_for_the_same_seed_and_ends_at_now(traffic: list[dict[str, Any]]) -> None:
    assert month(NOW, seed=3) == traffic
    assert month(NOW, seed=4) != traffic
    times = [envelope["timestamp"] for envelope in traffic]
    assert times == sorted(times) and times[0] >= NOW - 31 * DAY and times[-1] <= NOW
    assert len({int(t) for t in times}) == len(times)  # one message a second at most
    assert len({envelope["msg_id"] for envelope in traffic}) == len(traffic)
    assert {"i", "msg_id", "timestamp", "topic", "msg", "username"} == set(traffic[0])


def test_a_few_thousand_releng_messages_among_several_times_as_many_others(traffic: list[dict[str, Any]]) -> None:
    releng = sum(map(is_releng, traffic))
    assert 4000 < releng < 9000
    assert len(traffic) - releng >= 3 * releng - 10


def test_composes_have_every_stage_arch_and_runs_in_progress(traffic: list[dict[str, Any]]) -> None:
    composes = [e for e in traffic if e["topic"].startswith(f"{P}.compose.")]
    topics = Counter(e["topic"].removeprefix(f"{P}.compose.") for e in composes)
    for branch in ("rawhide", "branched"):
        for stage in ("", ".mash", ".pungify", ".image", ".rsync"):
            assert topics[f"{branch}{stage}.start"] and topics[f"{branch}{stage}.complete"]
    assert {e["msg"].get("arch") for e in composes} == {None, "", "arm", "ppc", "s390", "daily"}
    assert {e["msg"]["branch"] for e in composes} == {"rawhide", "24"}
    assert not [e for e in composes if e["msg"].get("arch") == "s390" and "pungify" in e["topic"]]
    last = [e for e in composes if e["topic"].startswith(f"{P}.compose.rawhide.") and not e["msg"].get("arch")][-1]
    assert last["topic"] != f"{P}.compose.rawhide.complete" and last["timestamp"] > NOW - 4 * HOUR


def test_tasks_and_uploads_have_the_shapes_the_dashboard_reads(traffic: list[dict[str, Any]]) -> None:
    tasks = [e["msg"] for e in traffic if e["topic"] == f"{P}.buildsys.task.state.change"]
    masher = [t for t in tasks if t["owner"] == "masher"]
    assert {t["method"] for t in masher} >= {"livecd", "appliance", "image", "createImage", "createLiveCD", "runroot"}
    assert {t["method"] for t in tasks if t["owner"] != "masher"} >= {"image", "livecd", "build"}
    closed = [t for t in masher if t["method"] == "image" and t["new"] == "CLOSED"]
    for task in closed:
        name, version, arches, _, _, opts = task["info"]["request"]
        assert task["srpm"] == name and version in ("rawhide", "24", "23") and opts["format"] and opts["release"]
        assert sorted(child["arch"] for child in task["info"]["children"]) == sorted(arches)
        assert f"/{task['info']['children'][0]['id']}<" in task["info"]["result"]
    uploads = [e["msg"] for e in traffic if e["topic"] == f"{P}.fedimg.image.upload"]
    assert {u["status"] for u in uploads} == {"started", "completed", "failed"}
    assert {u["destination"] for u in uploads} == {f"EC2 ({region})" for region in REGIONS}
    for upload in uploads:
        tokens = upload["image_name"].split(".")[0].split("-")
        assert tokens[2] in ("Base", "Atomic") and tokens[3] in ("rawhide", "24", "23") and tokens[4].isdigit()
        if upload["status"] == "completed":
            assert upload["extra"]["id"].startswith("ami-")
