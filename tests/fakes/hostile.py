"""Hostile envelopes shared by the fault tests: the topics every plugin reads, the shapes of their
bodies, and one of each kind of hostile value to put in them."""

from __future__ import annotations

import itertools
from typing import Any

from statscache.ingest.envelope import MAX_TIMESTAMP

#: Topics every built-in plugin reads, so that each reader meets hostile bodies.
TOPICS = [
    f"org.fedoraproject.prod.{subject}"
    for subject in (
        "fedimg.image.upload",
        "fedimg.image.publish",
        "fedimg.image.copy",
        "autocloud.image.success",
        "pungi.compose.status.change",
        "pungi.compose.ostree",
        "pungi.compose.phase.stop",
        "compose.rawhide.mash.complete",
        "compose.branched.start",
        "bodhi.masher.start",
        "bodhi.mashtask.complete",
        "bodhi.compose.sync.done",
        "bodhi.updates.fedora.sync",
        "bodhi.repo.done",
        "bodhi.update.comment",
        "releng.atomic.twoweek.complete",
        "buildsys.build.state.change",
        "buildsys.tag",
        "buildsys.task.state.change",
        "pagure.git.receive",
        "pagure.pull-request.new",
        "pagure.issue.comment.added",
        "git.receive",
        "fas.user.create",
    )
]
#: Fields the plugins (and fedmsg.meta's processors) read.
FIELDS = [
    "image_name",
    "image_url",
    "status",
    "destination",
    "release",
    "location",
    "repo",
    "success",
    "ref",
    "commitid",
    "new",
    "name",
    "build_id",
    "instance",
    "agent",
    "project",
    "pullrequest",
    "pull_request",
    "commit",
    "namespace",
    "user",
    "parent",
    "branch",
    "arch",
    "release_short",
    "release_version",
    "compose_id",
    "owner",
    "update",
    "comment",
    "builds",
    "agent_name",
    "method",
    "id",
    "info",
    "extra",
    "phase_name",
    "srpm",
]


def nested(depth: int, kind: str) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value] if kind == "list" else {"project": value, "name": "leaf"}
    return value


#: Bodies shaped as the plugins expect, "G" a plausible string and "V" any hostile value: a reader
#: gets past its first checks and meets the hostile value where it reads on.
SHAPES = [
    {"agent": "V", "project": {"name": "G", "namespace": "V", "parent": "V", "user": {"name": "V"}}},
    {"pullrequest": {"project": {"name": "G", "namespace": "V", "parent": "G", "user": {"name": "V"}}}},
    {"commit": {"repo": {"name": "G", "namespace": "G", "parent": "G", "user": "V"}}},
    {"ref": "G", "commitid": "V"},
    {"image_name": "V", "release": "V", "status": "V", "image_url": "V", "destination": "V"},
    {"image_name": "G", "release": "V", "status": "G", "image_url": "V", "destination": "G"},
    {"status": "G", "release_short": "V", "release_version": "V", "compose_id": "V", "location": "V"},
    {"status": "G", "compose_id": "V", "location": "G"},
    {"branch": "V", "arch": "V", "location": "V"},
    {"repo": "V", "success": "V", "release": "V"},
    {"repo": "G", "success": "V", "release": "G"},
    {"name": "G", "new": "V", "build_id": "V", "instance": "V", "owner": "V"},
    {"name": "V", "new": 1, "build_id": 7, "instance": "G"},
    {"image_name": "Fedora-Cloud-Base-24-1.0.x86_64", "destination": "V", "status": "completed", "extra": {"id": "V"}},
    {"phase_name": "V", "compose_id": "Fedora-24-20160101.n.0"},
    {"method": "V", "owner": "V", "id": "V", "new": "V", "info": "V"},
    {
        "method": "livecd",
        "owner": "masher",
        "id": 7,
        "new": "CLOSED",
        "srpm": "V",
        "info": {"request": ["V", "V", "V", "t", "ks", {"format": "V", "release": "V"}], "children": [{"id": "V"}]},
    },
    {
        "method": "image",
        "owner": {"name": "releng"},
        "id": 9,
        "new": "CLOSED",
        "srpm": "G",
        "info": {"request": ["G", "G", "V", "t", "tree", {"format": "V", "release": "G"}], "children": "V"},
    },
]
#: One of each kind of hostile value, for the systematic test below.
HOSTILE_VALUES = [
    None,
    True,
    -1,
    10**400,
    1e308,
    float("nan"),
    "",
    "a\x00b",
    "x\ud800",
    "\u202e\ufeff",
    "javascript:alert(1)",
    "https://x/../../evil.example#",
    "-1" * 10_000 + "\nx",
    "Fedora-Cloud" * 2_000 + "-1.x86_64",
    ["fedora"],
    {"name": "fedora"},
    nested(3_000, "list"),
    nested(3_000, "dict"),
]


def filled(template: Any, value: Any) -> Any:
    if isinstance(template, dict):
        return {key: filled(inner, value) for key, inner in template.items()}
    return {"G": "fedora", "V": value}.get(template, template) if isinstance(template, str) else template


def systematic() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every topic with every shape of body holding every hostile value; and envelopes broken each way."""
    bodies_hostile = [
        {"topic": topic, "msg_id": f"shaped-{n}", "timestamp": 1.4e9 + n, "msg": filled(shape, value)}
        | ({"users": [value], "packages": value} if n % 3 == 0 else {})
        for n, (topic, shape, value) in enumerate(itertools.product(TOPICS, SHAPES, HOSTILE_VALUES))
    ]
    broken = [("timestamp", value) for value in (1e12, 1e300, 10**400, -1, MAX_TIMESTAMP, "9999-12-31T23:59:59")]
    broken += [(field, value) for field in ("topic", "msg_id") for value in ("", "a.\x00", "a.\ud800", "a" * 300)]
    broken += [("msg", value) for value in (None, [], "text", 7)]
    envelopes_hostile = [
        {"topic": TOPICS[0], "msg_id": f"broken-{n}", "timestamp": 1.4e9, "msg": {}, field: value}
        for n, (field, value) in enumerate(broken)
    ]
    return bodies_hostile, envelopes_hostile
