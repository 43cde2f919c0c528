"""A month of Fedora release-engineering traffic as fedmsg carried it in 2015-2016, for the releng dashboard's tests.

:func:`month` returns the envelopes (datagrepper/fedmsg-era form, as in tests/data/fedora-examples.jsonl)
of ``days`` days ending at ``now``, in time order, the same for the same arguments. Each envelope is
``{"i", "msg_id", "timestamp", "topic", "msg", "username"}``: ``msg_id`` is ``<year>-<uuid4>``,
``timestamp`` a float (no two messages share a whole second, so datagrepper's order, by timestamp
alone, is the generated order), ``username`` the Unix user that sent it (fedmsg's envelope field;
datanommer does not keep it). Nothing later than ``now`` is in it: a run whose end falls after
``now`` is still in progress. The release-engineering part is placed relative to ``now`` (runs
start whole days before it), so what the dashboard shows is the same for any ``now`` and a seed;
only the ordinary traffic follows the hours of the day.

What it holds (bodies shaped like fedmsg_meta_fedora_infrastructure's test messages):

* Composes, pre-Pungi-4 style (``compose.<rawhide|branched>[.<stage>].<start|complete>``,
  ``{"log": "start"|"done", "branch": "rawhide"|"24", "arch": ...}``; the topic says ``branched``,
  the body the version). Per branch and arch a run is ``compose.start``, then each stage's start
  and complete, then ``compose.complete``; a failed stage has no complete and ends the run.
  Stages per arch (:data:`STAGES`): primary (``""``, sometimes sent without ``arch``) has mash,
  pungify, image (a stage the dashboard never shows) and rsync, every day; ``arm`` daily without
  image (rawhide's last run began a day before ``now``: its mash completed 20-22 hours before,
  stale for a compose cell); ``ppc`` every other day; ``s390`` has no pungify, runs every third day on branched and
  stopped running on rawhide 17 days before ``now``; ``daily`` (rawhide) is a mash alone, daily.
  The latest rawhide primary run started 3 hours before ``now`` and is in progress.
* bodhi's repository syncs, ``bodhi.updates.fedora.sync`` (23 and 22 updates and updates-testing,
  22's stable only every other day, 24 updates-testing, 21 once early on) and
  ``bodhi.updates.epel.sync`` (7 and 6 epel and epel-testing, 5 weekly).
* koji tasks, ``buildsys.task.state.change`` (``old``/``new`` FREE->OPEN->CLOSED|FAILED, ``info``
  with koji's ``request``, ``children`` and ``result``): every night after a primary compose's
  pungify, masher submits per branch the ``livecd`` spins (:data:`SPINS` x x86_64/i686, request
  ``[name, version, arch, target, ksfile, opts]``, one ``createLiveCD`` child), the armhfp
  ``appliance`` builds (:data:`APPLIANCES`, ``opts.format`` raw or qcow2, one
  ``createAppliance`` child) and the ``image`` builds (:data:`IMAGES`, request ``[name, version,
  arches, target, inst_tree, opts]`` with ``opts.format`` and ``opts.release``, one
  ``createImage`` child per arch, listed newest first); ``srpm`` is the request's name and
  ``opts.release`` the night's date. Fedora 23's Base and Atomic images are rebuilt weekly.
  Children send their own state changes. Also masher's ``runroot`` tasks and other people's
  scratch ``image``/``livecd`` builds (both to be ignored by the dashboard).
  The parent's state changes before its children exist list no children.
* fedimg's uploads, ``fedimg.image.upload`` (``started``, then ``completed`` with ``extra.id``
  or ``failed``, retried) of every closed Base and Atomic image to :data:`REGIONS`
  (destination ``"EC2 (us-east-1)"``; us-east-1 twice, hvm and paravirtual), image names
  ``Fedora-Cloud-Base-rawhide-20160315.x86_64``; some failed re-uploads after a completed one,
  and, 90 minutes before ``now``, a re-upload of a five-day-old rawhide Atomic image.
* Ordinary traffic (koji builds, tags and packagers' tasks, repo regenerations, bodhi requests
  and comments, git pushes, copr builds, badges, wiki edits) at :data:`ORDINARY_RATIO` times the
  release-engineering volume, more of it in European and American daytime.

A 31-day month holds about 6,300-6,700 release-engineering messages and three times as many others
(25,000-27,000 in all).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DAY = 86400.0
HOUR = 3600.0
MINUTE = 60.0
PREFIX = "org.fedoraproject.prod"

#: Stages of a compose run per arch, in order; the run's own compose.start/complete wrap them.
STAGES: dict[str, tuple[str, ...]] = {
    "": ("mash", "pungify", "image", "rsync"),
    "arm": ("mash", "pungify", "rsync"),
    "ppc": ("mash", "pungify", "rsync"),
    "s390": ("mash", "rsync"),
    "daily": ("mash",),
}
#: Hours a stage takes (uniformly between the two).
DURATIONS = {"mash": (2.0, 3.5), "pungify": (0.4, 1.0), "image": (0.8, 2.0), "rsync": (0.2, 0.8)}
#: Chance that a stage fails (no complete; the run stops there).
STAGE_FAILURE = 0.05

SPINS = ("Workstation", "KDE")
LIVE_ARCHES = ("x86_64", "i686")
#: (name, format) of the armhfp appliances.
APPLIANCES = (("Fedora-Minimal-armhfp", "raw"), ("Fedora-Xfce-armhfp", "raw"), ("Fedora-Minimal-armhfp", "qcow2"))
#: name -> (arches, formats) of the image builds.
IMAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Fedora-Cloud-Base": (("x86_64", "i386"), ("qcow2", "raw-xz")),
    "Fedora-Cloud-Atomic": (("x86_64",), ("qcow2", "raw-xz")),
    "Fedora-Cloud-Atomic-Vagrant": (("x86_64",), ("vagrant-libvirt", "vagrant-virtualbox")),
    "Fedora-Docker-Base": (("x86_64",), ("docker",)),
}
#: Images fedimg uploads to EC2.
UPLOADED = ("Fedora-Cloud-Base", "Fedora-Cloud-Atomic")
REGIONS = ("us-east-1", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1")
TASK_FAILURE = 0.08
UPLOAD_FAILURE = 0.07
#: Chance of a failed re-upload after a completed upload.
FAILED_REUPLOAD = 0.04
ORDINARY_RATIO = 3.0

PACKAGERS = ("ralph", "kevin", "pbrobinson", "sharkcz", "dvratil", "pingou", "churchyard", "limb", "jkeating", "ausil")
PACKAGES = ("python-requests", "kernel", "firefox", "ansible", "glibc", "gnome-shell", "plasma-workspace", "64tass")
PACKAGES += ("eclipse-ptp", "systemd", "rpm", "nodejs-tape", "golang", "fedmsg", "python-websocket-client", "vim")

Body = dict[str, Any]


@dataclass
class _Traffic:
    """The events of the month so far: (timestamp, topic, body, sending user); none after ``now``."""

    start: float
    now: float
    rng: random.Random
    events: list[tuple[float, str, Body, str]] = field(default_factory=list)
    used_task_ids: set[int] = field(default_factory=set)

    def add(self, when: float, topic: str, body: Body, sender: str) -> None:
        if self.start <= when <= self.now:  # before the month, or not happened yet
            self.events.append((when, f"{PREFIX}.{topic}", body, sender))

    def task_ids(self, when: float, count: int) -> list[int]:
        """``count`` consecutive free koji task ids, as koji handed them out around ``when``.

        A block never straddles a multiple of 10,000: koji's work directories are
        ``tasks/<id % 10000>/<id>``, and the dashboard walks them down by one per child.
        """
        base = 13_000_000 + int((when - self.start) / DAY * 12_000)
        while True:
            first = base + self.rng.randrange(2_000)
            block = range(first, first + count)
            if first % 10_000 < 10_000 - count and not self.used_task_ids.intersection(block):
                self.used_task_ids.update(block)
                return list(block)

    def envelopes(self) -> list[Body]:
        """The events in time order, as envelopes, no two in the same whole second."""
        ordered = sorted(self.events, key=lambda event: event[0])
        times = _distinct_seconds([event[0] for event in ordered])
        return [
            self._envelope(when, topic, body, sender)
            for when, (_, topic, body, sender) in zip(times, ordered, strict=True)
        ]

    def _envelope(self, when: float, topic: str, body: Body, sender: str) -> Body:
        year = datetime.fromtimestamp(when, tz=UTC).year
        ident = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        return {
            "i": self.rng.randint(1, 60),
            "msg_id": f"{year}-{ident}",
            "timestamp": when,
            "topic": topic,
            "msg": body,
            "username": sender,
        }


def month(now: float, seed: int, branched: str | None = "24", days: int = 31) -> list[Body]:
    """``days`` days of release-engineering and ordinary traffic ending at ``now`` (see the module docstring).

    ``branched`` is the version under development besides rawhide (None: not branched, no branched
    composes, spins or images).
    """
    traffic = _Traffic(start=now - days * DAY, now=now, rng=random.Random(seed))
    versions = ["rawhide"] + ([branched] if branched else [])
    pungified = _composes(traffic, versions, days)
    _bodhi_syncs(traffic, days)
    for version, when, release in pungified:
        _nightly_artifacts(traffic, version, when, release)
    _weekly_images(traffic, "23", days)
    _reupload(traffic, "Fedora-Cloud-Atomic", "rawhide", built_days_ago=5, uploaded=now - 1.5 * HOUR)
    _distractors(traffic, days)
    _ordinary(traffic, round(len(traffic.events) * ORDINARY_RATIO))
    return traffic.envelopes()


def _distinct_seconds(times: list[float]) -> list[float]:
    """The times (ascending) moved back, where needed, so that each has a whole second of its own.

    datagrepper orders by timestamp alone and serves whole seconds: two messages in one second
    would come in either order. Moving back keeps the order, and nothing passes ``now``.
    """
    moved = list(times)
    for index in range(len(moved) - 2, -1, -1):
        later = int(moved[index + 1])
        if int(moved[index]) >= later:
            moved[index] = later - 1 + (moved[index] - int(moved[index]))
    return moved


def _release(when: float) -> str:
    return datetime.fromtimestamp(when, tz=UTC).strftime("%Y%m%d")


# Composes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Schedule:
    """When an arch's runs start: ``hours`` before ``now`` on each day whose index (0 = the last) fits."""

    hours: float
    every: int = 1
    phase: int = 0
    #: Runs only on days at least this many days back (a compose that stopped running).
    not_before: int = 0

    def runs(self, back: int) -> bool:
        return back >= self.not_before and (back - self.phase) % self.every == 0


#: (topic branch, arch) -> schedule. rawhide primary's last run started 3 hours before now.
SCHEDULES: dict[tuple[str, str], _Schedule] = {
    ("rawhide", ""): _Schedule(3),
    ("rawhide", "arm"): _Schedule(24),  # its mash completes 20-22 hours before now
    ("rawhide", "ppc"): _Schedule(9, every=2, phase=1),
    ("rawhide", "s390"): _Schedule(11, every=3, not_before=17),
    ("rawhide", "daily"): _Schedule(20),
    ("branched", ""): _Schedule(8),
    ("branched", "arm"): _Schedule(16),
    ("branched", "ppc"): _Schedule(12, every=2),
    ("branched", "s390"): _Schedule(18, every=3, phase=2),
}


def _composes(traffic: _Traffic, versions: list[str], days: int) -> list[tuple[str, float, str]]:
    """Every compose run of the month; returns (version, end of pungify, release) of primary runs that got there.

    A night's release is the date of its scheduled day (``now`` minus whole days), one per night.
    """
    pungified = []
    for version in versions:
        branch = "rawhide" if version == "rawhide" else "branched"
        for (scheduled, arch), schedule in SCHEDULES.items():
            if scheduled != branch:
                continue
            for back in range(days + 1):
                if not schedule.runs(back):
                    continue
                jitter = traffic.rng.uniform(-20, 20) * MINUTE
                begun = traffic.now - back * DAY - schedule.hours * HOUR + jitter
                done = _compose_run(traffic, branch, version, arch, begun)
                if arch == "" and "pungify" in done:
                    pungified.append((version, done["pungify"], _release(traffic.now - back * DAY)))
    return pungified


def _compose_run(traffic: _Traffic, branch: str, version: str, arch: str, begun: float) -> dict[str, float]:
    """One run's messages; returns when each completed stage completed."""
    rng = traffic.rng
    legacy = arch == "" and rng.random() < 0.3  # older senders left out an empty arch

    def send(topic: str, when: float, log: str) -> None:
        body: Body = {"log": log, "branch": version}
        if not legacy:
            body["arch"] = arch
        traffic.add(when, f"compose.{topic}", body, "masher")

    send(f"{branch}.start", begun, "start")
    clock = begun + rng.uniform(0.5, 2) * MINUTE
    completed: dict[str, float] = {}
    for stage in STAGES[arch]:
        send(f"{branch}.{stage}.start", clock, "start")
        if rng.random() < STAGE_FAILURE:
            return completed
        clock += rng.uniform(*DURATIONS[stage]) * HOUR
        send(f"{branch}.{stage}.complete", clock, "done")
        completed[stage] = clock
        clock += rng.uniform(0.5, 3) * MINUTE
    send(f"{branch}.complete", clock, "done")
    return completed


# bodhi ---------------------------------------------------------------------------------------

#: (product, release, repo) -> when it syncs: daily at ``hours`` before now, on the days of the schedule.
SYNCS: dict[tuple[str, str, str], _Schedule] = {
    ("fedora", "23", "updates"): _Schedule(5),
    ("fedora", "23", "updates-testing"): _Schedule(4),
    ("fedora", "22", "updates"): _Schedule(6, every=2, phase=1),  # the last one is over a day old
    ("fedora", "22", "updates-testing"): _Schedule(7),
    ("fedora", "24", "updates-testing"): _Schedule(10),
    ("fedora", "21", "updates"): _Schedule(13, not_before=27),  # end of life: synced only at the month's start
    ("epel", "7", "epel"): _Schedule(15),
    ("epel", "7", "epel-testing"): _Schedule(16),
    ("epel", "6", "epel"): _Schedule(17),
    ("epel", "6", "epel-testing"): _Schedule(18),
    ("epel", "5", "epel"): _Schedule(19, every=7),
    ("epel", "5", "epel-testing"): _Schedule(21, every=7),
}
#: Chance that a day's sync did not happen (never the last two days: those are the page's).
SYNC_SKIPPED = 0.07


def _bodhi_syncs(traffic: _Traffic, days: int) -> None:
    rng = traffic.rng
    for (product, release, repo), schedule in SYNCS.items():
        for back in range(days + 1):
            if not schedule.runs(back) or (back > 1 and rng.random() < SYNC_SKIPPED):
                continue
            size = rng.randint(20_000_000, 3_000_000_000)
            body = {
                "release": release,
                "repo": repo,
                "bytes": _human(size),
                "raw_bytes": str(size),
                "deleted": str(rng.randint(0, 1500)),
            }
            when = traffic.now - back * DAY - schedule.hours * HOUR + rng.uniform(-30, 30) * MINUTE
            traffic.add(when, f"bodhi.updates.{product}.sync", body, "ftpsync")


def _human(size: int) -> str:
    return f"{size / 2**30:.0f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"


# koji and fedimg -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
    """A koji task about to run: parent method and request, its children's method and arches."""

    method: str
    request: list[Any]
    child_method: str
    child_arches: tuple[str, ...]
    owner: str = "masher"
    #: Minutes the children take (uniformly between the two).
    minutes: tuple[float, float] = (25, 60)


def _nightly_artifacts(traffic: _Traffic, version: str, pungified: float, release: str) -> None:
    """What masher submitted to koji once a primary compose's boot.iso was built."""
    rng = traffic.rng
    target = "rawhide" if version == "rawhide" else f"f{version}-candidate"
    clock = pungified + rng.uniform(2, 8) * MINUTE
    for spin in SPINS:
        for arch in LIVE_ARCHES:
            opts = {"scratch": True, "release": release, "repo": [_repo(version, arch)]}
            name = f"Fedora-Live-{spin}-{arch}"
            request = [name, version, arch, target, f"fedora-live-{spin.lower()}.ks", opts]
            _run_task(traffic, _Task("livecd", request, "createLiveCD", (arch,)), clock)
            clock += rng.uniform(5, 40)
    for name, form in APPLIANCES:
        opts = {"scratch": True, "release": release, "format": form, "repo": [_repo(version, "armhfp")]}
        request = [name, version, "armhfp", target, f"{name.lower()}.ks", opts]
        _run_task(traffic, _Task("appliance", request, "createAppliance", ("armhfp",), minutes=(40, 120)), clock)
        clock += rng.uniform(5, 40)
    for name in IMAGES:
        _image_task(traffic, name, version, release, clock)
        clock += rng.uniform(5, 40)


def _repo(version: str, arch: str) -> str:
    tree = "rawhide" if version == "rawhide" else version
    return f"https://kojipkgs.fedoraproject.org/mash/{tree}/{arch}/os"


def _image_task(traffic: _Traffic, name: str, version: str, release: str, submitted: float) -> None:
    arches, formats = IMAGES[name]
    tree = "rawhide" if version == "rawhide" else version
    opts = {
        "scratch": True,
        "release": release,
        "format": list(formats),
        "kickstart": f"{name.lower()}.ks",
        "distro": "Fedora-20",
        "ksurl": "git://git.fedorahosted.org/git/spin-kickstarts.git?#f24",
    }
    target = "rawhide" if version == "rawhide" else f"f{version}-candidate"
    inst_tree = f"https://kojipkgs.fedoraproject.org/mash/{tree}/$arch/os/"
    request = [name, version, list(arches), target, inst_tree, opts]
    closed = _run_task(traffic, _Task("image", request, "createImage", arches, minutes=(20, 60)), submitted)
    if closed is not None and name in UPLOADED:
        task_id, when = closed
        _uploads(traffic, f"{name}-{version}-{release}", task_id, when)


def _run_task(traffic: _Traffic, task: _Task, submitted: float) -> tuple[int, float] | None:
    """A task and its children, FREE->OPEN->CLOSED|FAILED; returns (x86_64 child id, close time) if it closed."""
    rng = traffic.rng
    parent, *children = traffic.task_ids(submitted, 1 + len(task.child_arches))
    opened = submitted + rng.uniform(0.2, 10) * MINUTE
    _task_change(traffic, task, parent, None, "FREE", "OPEN", opened, [], None)
    failed = rng.random() < TASK_FAILURE
    ended = opened
    finished = []
    for child, arch in zip(children, task.child_arches, strict=True):
        child_open = opened + rng.uniform(0.3, 3) * MINUTE
        _task_change(traffic, task, child, parent, "FREE", "OPEN", child_open, [], None, arch)
        child_end = child_open + rng.uniform(*task.minutes) * MINUTE
        state = "FAILED" if failed and child == children[-1] else "CLOSED"
        _task_change(traffic, task, child, parent, "OPEN", state, child_end, [], None, arch)
        finished.append({"id": child, "arch": arch, "state": state})
        ended = max(ended, child_end)
    closed = ended + rng.uniform(0.2, 2) * MINUTE
    # koji lists children newest first; the result names the first listed child's work directory.
    listed = sorted(finished, key=lambda child: -child["id"])
    result = None if failed else _result(listed[0]["id"] if listed else parent)
    _task_change(traffic, task, parent, None, "OPEN", "FAILED" if failed else "CLOSED", closed, listed, result)
    return None if failed or not children else (children[0], closed)


def _result(child: int) -> str:
    """A parent task's stored result text; its last word starts with the child's work directory."""
    return (
        "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"
        f"<value><string>Results in /mnt/koji/work/tasks/{child % 10000}/{child}</string></value>\n"
        "</param>\n</params>\n</methodResponse>\n"
    )


def _task_change(
    traffic: _Traffic,
    task: _Task,
    task_id: int,
    parent: int | None,
    old: str,
    new: str,
    when: float,
    children: list[dict[str, Any]],
    result: str | None,
    arch: str = "noarch",
) -> None:
    """One ``buildsys.task.state.change`` in the shape of fedmsg's koji plugin (``info`` is koji's task info)."""
    states = {"FREE": 0, "OPEN": 1, "CLOSED": 2, "CANCELED": 3, "ASSIGNED": 4, "FAILED": 5}
    method = task.method if parent is None else task.child_method
    request = task.request if parent is None else _child_request(task, arch)
    info = {
        "id": task_id,
        "method": method,
        "arch": arch,
        "state": states[new],
        "owner": 3199 if task.owner == "masher" else 2000 + PACKAGERS.index(task.owner),
        "parent": parent,
        "label": None if parent is None else arch,
        "request": request,
        "result": result,
        "priority": 20,
        "channel_id": 12,
        "weight": 2.0,
        "waiting": None,
        "awaited": None,
        "children": [{**_child_info(child), "parent": task_id, "method": task.child_method} for child in children],
    }
    body = {
        "attribute": "state",
        "old": old,
        "new": new,
        "id": task_id,
        "parent": parent,
        "method": method,
        "owner": task.owner,
        "srpm": request[0],
        "instance": "primary",
        "info": info,
    }
    traffic.add(when, "buildsys.task.state.change", body, "apache")


def _child_request(task: _Task, arch: str) -> list[Any]:
    """koji's request of createLiveCD/createAppliance/createImage: name, version, release, arch, ..."""
    name, version = task.request[0], task.request[1]
    opts = task.request[-1]
    return [name, version, opts["release"], arch, {"name": task.request[3]}, {"name": "f24-build"}, {"id": 1}, opts]


def _child_info(child: dict[str, Any]) -> dict[str, Any]:
    states = {"CLOSED": 2, "FAILED": 5}
    return {"id": child["id"], "arch": child["arch"], "state": states[child["state"]], "label": child["arch"]}


def _weekly_images(traffic: _Traffic, version: str, days: int) -> None:
    """A released version's Base and Atomic images, rebuilt weekly (not shown by the dashboard)."""
    for back in range(2, days + 1, 7):
        submitted = traffic.now - back * DAY - 6 * HOUR
        for name in UPLOADED:
            _image_task(traffic, name, version, _release(submitted), submitted)


def _uploads(traffic: _Traffic, stem: str, task_id: int, built: float) -> None:
    """fedimg uploading an image to every region; failures are retried once."""
    rng = traffic.rng
    image_name = f"{stem}.x86_64"
    url = f"https://kojipkgs.fedoraproject.org//work/tasks/{task_id % 10000}/{task_id}/{image_name}.raw.xz"
    clock = built + rng.uniform(1, 10) * MINUTE
    for region in REGIONS:
        for virt in ("hvm", "paravirtual") if region == "us-east-1" else ("hvm",):
            clock += rng.uniform(10, 60)
            _upload(traffic, image_name, url, region, virt, clock, retry=True)


def _upload(traffic: _Traffic, image_name: str, url: str, region: str, virt: str, began: float, retry: bool) -> None:
    rng = traffic.rng
    body = {"image_url": url, "image_name": image_name, "destination": f"EC2 ({region})", "service": "EC2"}
    traffic.add(began, "fedimg.image.upload", {**body, "status": "started"}, "fedimg")
    if rng.random() < UPLOAD_FAILURE:
        failed = began + rng.uniform(3, 20) * MINUTE
        traffic.add(failed, "fedimg.image.upload", {**body, "status": "failed", "extra": {}}, "fedimg")
        if retry:
            _upload(traffic, image_name, url, region, virt, failed + rng.uniform(10, 30) * MINUTE, retry=False)
        return
    done = began + rng.uniform(8, 30) * MINUTE
    extra = {"id": f"ami-{rng.getrandbits(32):08x}", "virt_type": virt, "vol_type": "standard"}
    traffic.add(done, "fedimg.image.upload", {**body, "status": "completed", "extra": extra}, "fedimg")
    if rng.random() < FAILED_REUPLOAD:  # someone uploads it again, and that one fails
        again = done + rng.uniform(1, 5) * HOUR
        traffic.add(again, "fedimg.image.upload", {**body, "status": "started"}, "fedimg")
        traffic.add(again + 4 * MINUTE, "fedimg.image.upload", {**body, "status": "failed", "extra": {}}, "fedimg")


def _reupload(traffic: _Traffic, name: str, version: str, built_days_ago: int, uploaded: float) -> None:
    """An old image uploaded again by hand: the newest completed upload is then not the newest image."""
    release = _release(traffic.now - built_days_ago * DAY)  # that night's release (see _composes)
    image_name = f"{name}-{version}-{release}.x86_64"
    url = f"https://kojipkgs.fedoraproject.org//work/tasks/4242/13004242/{image_name}.raw.xz"
    extra = {"id": "ami-0ld1mage", "virt_type": "hvm", "vol_type": "standard"}
    body = {"image_url": url, "image_name": image_name, "destination": "EC2 (us-east-1)", "service": "EC2"}
    traffic.add(uploaded - 12 * MINUTE, "fedimg.image.upload", {**body, "status": "started"}, "fedimg")
    traffic.add(uploaded, "fedimg.image.upload", {**body, "status": "completed", "extra": extra}, "fedimg")


def _distractors(traffic: _Traffic, days: int) -> None:
    """Tasks the dashboard must not show: masher's runroot tasks, other people's scratch images and spins."""
    rng = traffic.rng
    for back in range(days):
        day = traffic.now - (back + 1) * DAY
        request = ["f24-build", "x86_64", ["pungi", "--nosource", "--nodebuginfo"], {"mounts": ["/mnt/koji"]}]
        _run_task(traffic, _Task("runroot", request, "runroot", ()), day + rng.uniform(0, DAY))
        if back % 2 == 0:
            owner = rng.choice(("kevin", "ralph", "pbrobinson"))
            name = rng.choice(tuple(IMAGES))
            arches, formats = IMAGES[name]
            opts = {"scratch": True, "release": _release(day), "format": list(formats)}
            request = [name, "rawhide", list(arches), "rawhide", "https://example/os", opts]
            _run_task(traffic, _Task("image", request, "createImage", arches, owner), day + rng.uniform(0, DAY))
            opts = {"scratch": True, "release": _release(day)}
            request = ["Fedora-Live-Workstation-x86_64", "rawhide", "x86_64", "rawhide", "fedora-live.ks", opts]
            task = _Task("livecd", request, "createLiveCD", ("x86_64",), owner)
            _run_task(traffic, task, day + rng.uniform(0, DAY))


# Ordinary traffic ------------------------------------------------------------------------------


def _ordinary(traffic: _Traffic, count: int) -> None:
    """``count`` messages of other kinds, more of them in European and American daytime."""
    rng = traffic.rng
    kinds = (_build, _build, _build, _packager_task, _packager_task, _tag, _tag, _repo_change, _bodhi_request)
    kinds += (_git_push, _git_push, _copr, _copr, _badge, _wiki)
    span = traffic.now - traffic.start
    made = 0
    while made < count:
        when = traffic.start + rng.uniform(0, span)
        hour = datetime.fromtimestamp(when, tz=UTC).hour
        if not 7 <= hour <= 22 and rng.random() < 0.6:
            continue
        topic, body, sender = rng.choice(kinds)(rng)
        traffic.add(when, topic, body, sender)
        made += 1


def _nvr(rng: random.Random) -> tuple[str, str, str]:
    name = rng.choice(PACKAGES)
    version = f"{rng.randint(0, 5)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
    return name, version, f"{rng.randint(1, 4)}.fc{rng.choice((22, 23, 24, 25))}"


def _build(rng: random.Random) -> tuple[str, Body, str]:
    name, version, release = _nvr(rng)
    body = {
        "build_id": rng.randint(700_000, 760_000),
        "old": 0,
        "new": rng.choice((1, 1, 1, 3)),
        "name": name,
        "version": version,
        "release": release,
        "owner": rng.choice(PACKAGERS),
        "task_id": rng.randint(13_000_000, 13_400_000),
        "attribute": "state",
        "instance": "primary",
    }
    return "buildsys.build.state.change", body, "apache"


def _packager_task(rng: random.Random) -> tuple[str, Body, str]:
    name, version, release = _nvr(rng)
    srpm = f"{name}-{version}-{release}.src.rpm"
    old, new = rng.choice((("FREE", "OPEN"), ("OPEN", "CLOSED"), ("OPEN", "FAILED")))
    method = rng.choice(("build", "buildArch", "buildSRPMFromSCM", "tagBuild"))
    task_id = rng.randint(13_000_000, 13_400_000)
    request = [f"cli-build/{rng.getrandbits(24)}/{srpm}", "rawhide", {"scratch": rng.random() < 0.4}]
    info = {"id": task_id, "method": method, "state": 1, "owner": 2000, "request": request, "children": []}
    body = {
        "attribute": "state",
        "old": old,
        "new": new,
        "id": task_id,
        "parent": None,
        "method": method,
        "owner": rng.choice(PACKAGERS),
        "srpm": srpm,
        "instance": "primary",
        "info": info,
    }
    return "buildsys.task.state.change", body, "apache"


def _tag(rng: random.Random) -> tuple[str, Body, str]:
    name, version, release = _nvr(rng)
    tag = rng.choice(("f23-updates-testing-pending", "f23-updates-pending", "f24", "f22-updates", "epel7-testing"))
    body = {
        "tag": tag,
        "name": name,
        "version": version,
        "release": release,
        "user": rng.choice(("bodhi", "bodhi", *PACKAGERS)),
        "owner": rng.choice(PACKAGERS),
        "tag_id": rng.randint(200, 900),
    }
    return rng.choice(("buildsys.tag", "buildsys.tag", "buildsys.untag")), body, "apache"


def _repo_change(rng: random.Random) -> tuple[str, Body, str]:
    tag = rng.choice(("f24-build", "f23-build", "rawhide-build", "epel7-build"))
    body = {"tag": tag, "tag_id": rng.randint(200, 900), "repo_id": rng.randint(600_000, 700_000)}
    return rng.choice(("buildsys.repo.init", "buildsys.repo.done")), body, "apache"


def _bodhi_request(rng: random.Random) -> tuple[str, Body, str]:
    name, version, release = _nvr(rng)
    title = f"{name}-{version}-{release}"
    user = rng.choice(PACKAGERS)
    update = {
        "title": title,
        "builds": [{"nvr": title}],
        "user": {"name": user},
        "release": {"name": "F23", "long_name": "Fedora 23"},
        "request": "testing",
        "status": "pending",
        "alias": None,
    }
    if rng.random() < 0.5:
        return "bodhi.update.request.testing", {"update": update, "agent": user}, "apache"
    commenter = rng.choice(PACKAGERS)
    comment = {"text": "Works for me.", "karma": 1, "author": commenter, "anonymous": False, "update": update}
    return "bodhi.update.comment", {"comment": comment, "agent": commenter}, "apache"


def _git_push(rng: random.Random) -> tuple[str, Body, str]:
    name, version, _ = _nvr(rng)
    user = rng.choice(PACKAGERS)
    commit = {
        "name": user.title(),
        "email": f"{user}@fedoraproject.org",
        "username": user,
        "repo": name,
        "branch": rng.choice(("master", "f24", "f23")),
        "rev": f"{rng.getrandbits(160):040x}",
        "summary": f"Update to {version}",
        "message": f"Update to {version}\n",
        "stats": {"files": {f"{name}.spec": {"additions": 3, "deletions": 2, "lines": 5}}, "total": {"files": 1}},
        "agent": user,
        "path": f"/srv/git/rpms/{name}.git",
        "seen": False,
    }
    return "git.receive", {"commit": commit}, "root"


def _copr(rng: random.Random) -> tuple[str, Body, str]:
    name, version, release = _nvr(rng)
    user = rng.choice(PACKAGERS)
    build = rng.randint(150_000, 190_000)
    body = {
        "status": rng.choice((0, 1, 1)),
        "what": f"build end: user:{user} copr:{name}-nightly build:{build}",
        "chroot": rng.choice(("fedora-23-x86_64", "fedora-rawhide-x86_64", "epel-7-x86_64")),
        "ip": "172.25.83.110",
        "user": user,
        "who": "backend.worker-6023-PC",
        "pid": rng.randint(1000, 9999),
        "copr": f"{name}-nightly",
        "version": f"{version}-{release}",
        "build": build,
        "owner": user,
        "pkg": name,
    }
    return rng.choice(("copr.build.start", "copr.build.end")), body, "copr"


def _badge(rng: random.Random) -> tuple[str, Body, str]:
    user = rng.choice(PACKAGERS)
    badge = {"name": "Junior Packager", "description": "You built 1 package", "image": "https://b/junior.png"}
    return "fedbadges.badge.award", {"badge": badge, "user": {"username": user, "badges_user_id": 42}}, "fedbadges"


def _wiki(rng: random.Random) -> tuple[str, Body, str]:
    user = rng.choice(PACKAGERS)
    title = rng.choice(("Releases/24/Schedule", "Test_Results:Fedora_24_Rawhide_20160315.n.0_Summary", "QA"))
    body = {
        "title": title,
        "user": user,
        "minor_edit": rng.random() < 0.3,
        "summary": "",
        "page_id": rng.randint(1000, 90000),
        "revision": {"rev_id": rng.randint(400_000, 450_000)},
        "url": f"https://fedoraproject.org/wiki/{title}",
        "diff_url": "https://fedoraproject.org/w/index.php?diff=1",
    }
    return "wiki.article.edit", body, "apache"
