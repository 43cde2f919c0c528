"""The release-engineering board's readers, on the bodies each kind of message has: which cell, phase,
status, run, link and detail each message gives, and which messages give none."""

from __future__ import annotations

from typing import Any

import pytest

from statscache.plugins import Milestone
from statscache.plugins.builtin.releng import RelengDashboard
from statscache.testing import from_envelope
from tests.fakes.support import fedora_messaging_examples

KOJI_TASK = "https://koji.fedoraproject.org/koji/taskinfo?taskID={}"
WORK = "https://kojipkgs.fedoraproject.org/work/tasks/{}/{}/"


def milestones(topic: str, body: dict[str, Any], env: str = "prod") -> list[Milestone]:
    message = from_envelope(
        {"topic": f"org.fedoraproject.{env}.{topic}", "msg_id": "2016-x", "timestamp": 1.46e9, "msg": body}
    )
    plugin = RelengDashboard()
    if not plugin.accepts(message.topic):
        return []
    found = plugin.process(message)
    return [] if found is None else list(found[1])


def task(method: str, new: str, request: list[Any], children: list[dict[str, Any]] | None = None, **more: Any):
    info = {"request": request, "children": children or [], "id": more.get("id", 13100000)}
    return {"method": method, "new": new, "old": "OPEN", "owner": "masher", "id": 13100000, "info": info, **more}


def test_a_livecd_task_is_a_cell_per_name_and_release_and_links_its_iso():
    request = ["Fedora-Live-KDE-x86_64", "rawhide", "x86_64", "f24", "fedora-live-kde.ks", {"release": "20160301"}]
    body = task("livecd", "CLOSED", request, [{"id": 13100001, "arch": "x86_64", "method": "createLiveCD"}])
    body["srpm"] = "Fedora-Live-KDE-x86_64"
    iso = WORK.format(1, 13100001) + "Fedora-Live-KDE-x86_64-rawhide-20160301.iso"
    assert milestones("buildsys.task.state.change", body) == [
        Milestone(
            "task/livecd/Fedora-Live-KDE-x86_64/rawhide/x86_64",
            "succeeded",
            "completed",
            "13100000",
            KOJI_TASK.format(13100000),
            {"links": [iso]},
        )
    ]


def test_an_appliance_is_told_apart_by_its_format():
    request = ["Fedora-Arm-Minimal-armhfp", "24", "armhfp", "f24", "arm.ks", {"format": "raw", "release": "1"}]
    body = task("appliance", "CLOSED", request, [{"id": 20007, "arch": "armhfp"}], srpm="Fedora-Arm-Minimal-armhfp")
    (found,) = milestones("buildsys.task.state.change", body)
    assert found.cell == "task/appliance/Fedora-Arm-Minimal-armhfp (raw)/24/armhfp"
    assert found.detail == {"links": [WORK.format(7, 20007) + "Fedora-Arm-Minimal-armhfp-24-1-sda.raw.xz"]}


def test_an_image_task_links_each_format_of_each_architecture():
    opts = {"format": ["qcow2", "raw-xz"], "release": "20160301.0"}
    request = ["Fedora-Cloud-Base", "24", ["x86_64", "i386"], "f24", "tree", opts]
    children = [{"id": 30002, "arch": "x86_64"}, {"id": 30001, "arch": "i386"}]
    (found,) = milestones(
        "buildsys.task.state.change", task("image", "CLOSED", request, children, srpm="Fedora-Cloud-Base")
    )
    assert found.cell == "task/image/Fedora-Cloud-Base/24/i386,x86_64"
    stem = "Fedora-Cloud-Base-24-20160301.0"
    assert found.detail["links"] == [
        WORK.format(1, 30001) + f"{stem}.i386.qcow2",
        WORK.format(1, 30001) + f"{stem}.i386.raw.xz",
        WORK.format(2, 30002) + f"{stem}.x86_64.qcow2",
        WORK.format(2, 30002) + f"{stem}.x86_64.raw.xz",
    ]


@pytest.mark.parametrize(
    "new, phase, status",
    [
        ("FREE", "started", "queued"),
        ("OPEN", "started", "started"),
        ("FAILED", "failed", "failed"),
        ("CANCELED", "failed", "canceled"),
    ],
)
def test_a_tasks_state_is_its_phase(new, phase, status):
    request = ["Fedora-Cloud-Base", "rawhide", ["x86_64"], "f25", "tree", {"format": ["qcow2"], "release": "1"}]
    (found,) = milestones("buildsys.task.state.change", task("image", new, request, srpm="Fedora-Cloud-Base"))
    assert (found.phase, found.status, found.detail) == (phase, status, None)


def test_only_release_engineerings_image_tasks_count():
    request = ["Fedora-Cloud-Base", "rawhide", ["x86_64"], "f25", "tree", {"format": ["qcow2"], "release": "1"}]
    scratch = task("image", "CLOSED", request, owner="someone")
    child = task("createImage", "CLOSED", request)
    assert milestones("buildsys.task.state.change", scratch) == []
    assert milestones("buildsys.task.state.change", child) == []
    today = task("image", "OPEN", request, owner={"name": "releng", "id": 3})  # today's koji sends an object
    (found,) = milestones("buildsys.task.state.change", today, env="stg")
    assert found.link == "https://koji.stg.fedoraproject.org/koji/taskinfo?taskID=13100000"


def test_pungi_phases_are_stages_of_the_compose():
    body = {
        "phase_name": "createiso",
        "compose_id": "Fedora-Rawhide-20160301.n.0",
        "location": "https://kojipkgs.fedoraproject.org/compose/rawhide/x",
    }
    (started,) = milestones("pungi.compose.phase.start", body)
    (stopped,) = milestones("pungi.compose.phase.stop", body)
    assert started.cell == stopped.cell == "compose/Fedora-Rawhide/all/createiso"
    assert (started.phase, stopped.phase, stopped.run) == ("started", "succeeded", "Fedora-Rawhide-20160301.n.0")
    assert milestones("pungi.compose.status.change", {**body, "status": "RUNNING"}) == []


@pytest.mark.parametrize(
    "status, phase", [("FINISHED_INCOMPLETE", "succeeded"), ("DOOMED", "failed"), ("TERMINATED", "failed")]
)
def test_pungi_statuses(status, phase):
    body = {"status": status, "compose_id": "Fedora-Cloud-41-20241020.0", "location": "x"}
    (found,) = milestones("pungi.compose.status.change", body)
    assert (found.cell, found.phase, found.status) == ("compose/Fedora-Cloud-41/all/compose", phase, status)


def test_a_failed_bodhi_compose_is_a_failure_of_its_repository():
    body = {"repo": "f41-updates", "success": False, "ctype": "rpm", "agent": "bodhi"}
    (found,) = milestones("bodhi.compose.complete", body)
    assert (found.cell, found.phase, found.status) == ("updates/f41-updates/push", "failed", "failed")


@pytest.mark.parametrize(
    "product, release, repo, cell",
    [
        ("fedora", "23", "updates", "updates/f23-updates/sync"),
        ("fedora", "23", "updates-testing", "updates/f23-updates-testing/sync"),
        ("epel", "7", "epel", "updates/epel7/sync"),
        ("epel", "6", "epel-testing", "updates/epel6-testing/sync"),
    ],
)
def test_2015_syncs_name_their_repository_as_bodhi_does(product, release, repo, cell):
    (found,) = milestones(f"bodhi.updates.{product}.sync", {"release": release, "repo": repo, "bytes": "1 GiB"})
    assert (found.cell, found.phase, found.status) == (cell, "succeeded", "synced")


def test_a_legacy_compose_stage_per_branch_and_arch():
    (found,) = milestones("compose.branched.pungify.start", {"log": "start", "branch": "24", "arch": "ppc"})
    assert (found.cell, found.phase, found.status) == ("compose/24/ppc/pungify", "started", "start")
    (whole,) = milestones("compose.rawhide.complete", {"log": "done", "branch": "rawhide", "arch": ""})
    assert (whole.cell, whole.phase) == ("compose/rawhide/primary/compose", "succeeded")


def test_an_upload_to_a_region_with_its_ami():
    body = {
        "image_name": "Fedora-Cloud-Base-rawhide-20160301.0.x86_64",
        "destination": "EC2 (ap-northeast-1)",
        "status": "completed",
        "extra": {"id": "ami-0123abcd"},
    }
    (found,) = milestones("fedimg.image.upload", body)
    assert found.cell == "image-upload/Fedora-Cloud-Base/rawhide/x86_64/ap-northeast-1"
    assert found.run == "Fedora-Cloud-Base-rawhide-20160301.0.x86_64" and found.detail == {"ami": "ami-0123abcd"}
    assert found.link.endswith("region=ap-northeast-1#LaunchInstanceWizard:ami=ami-0123abcd")
    odd = {**body, "destination": "EC2 (x/y)"}
    assert milestones("fedimg.image.upload", odd) == []  # a region with a slash is no cell's part


def real(topic_part: str) -> list[dict[str, Any]]:
    return [envelope for envelope in fedora_messaging_examples() if topic_part in envelope["topic"]]


def read(envelope: dict[str, Any]) -> list[Milestone]:
    found = RelengDashboard().process(from_envelope(envelope))
    return [] if found is None else list(found[1])


def test_todays_image_uploads_mark_every_region_they_publish_to():
    # Real bodies of fedora-image-uploader-messages' tests.
    cells = {envelope["topic"].split(".")[6]: read(envelope) for envelope in real("fedora_image_uploader")}
    aws = {found.cell: (found.phase, found.run, found.detail) for found in cells["aws"]}
    assert aws == {
        "image-upload/Cloud_Base (aws)/40/x86_64/us-east-2": (
            "succeeded",
            "Fedora-40-20240501.n.0",
            {"ami": "ami-123"},
        ),
        "image-upload/Cloud_Base (aws)/40/x86_64/us-west-1": (
            "succeeded",
            "Fedora-40-20240501.n.0",
            {"ami": "ami-321"},
        ),
    }
    assert [found.link for found in cells["aws"]] == [
        "https://redirect.fedoraproject.org/console.aws.amazon.com/ec2/v2/home?region=us-east-2#LaunchInstanceWizard:ami=ami-123",
        "https://redirect.fedoraproject.org/console.aws.amazon.com/ec2/v2/home?region=us-west-1#LaunchInstanceWizard:ami=ami-321",
    ]
    assert [found.cell for found in cells["azure"]] == [
        f"image-upload/Cloud_Base (azure)/40/x86_64/{region}" for region in ("eastus", "eastus2", "centralus")
    ]
    assert [found.cell for found in cells["gcp"]] == ["image-upload/Cloud_Base (gcp)/40/x86_64/us"]


def test_todays_koji_tasks_and_pungi_composes():
    (koji,) = real("buildsys.task.state.change")
    assert read(koji) == []  # a scratch build of a package, by koschei: no image task
    image = {**koji, "msg": {**koji["msg"], "method": "image", "owner": "releng"}}
    image["msg"]["info"] = {**koji["msg"]["info"], "request": ["Fedora-Cloud-Base", "41", ["x86_64"], "f41", "t", {}]}
    (found,) = read(image)
    assert found.cell == "task/image/Fedora-Cloud-Base/41/x86_64"
    assert found.link == "https://koji.stg.fedoraproject.org/koji/taskinfo?taskID=42569071"  # the url koji sends
    status, ostree = real("pungi.compose.status.change"), real("pungi.compose.ostree")
    assert [found.cell for envelope in status for found in read(envelope)] == ["compose/L-27/all/compose"]
    assert [found.cell for envelope in ostree for found in read(envelope)] == []  # a ref of three parts: no cell
