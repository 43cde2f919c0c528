"""Koji's image tasks (LiveCDs, appliances, cloud and container images): cells
``task/<method>/<name>/<release>/<arch>``, from ``buildsys.task.state.change``.

Only the tasks release engineering runs count (owned by one of :data:`OWNERS`):
anyone may run a scratch build of a kickstart. A task is read from what koji
sends with its state (``info``): its ``request`` names it (``[name, version,
arch, target, ksfile, opts]`` for ``livecd`` and ``appliance``, ``[name,
version, arches, target, inst_tree, opts]`` for ``image``), and when it is
closed, its ``children`` (one ``createImage`` or ``createLiveCD`` task per
architecture) hold what it made, under koji's work directory.

* ``livecd``, ``appliance``: the name is the task's (``Fedora-Live-KDE-x86_64``),
  with the appliance's format when it says one (``Fedora-Arm-Minimal-armhfp (raw)``),
  and the architecture the name's last part;
* ``image`` and today's ``livemedia``, ``kiwiBuild`` and ``imageBuilderBuild``:
  the name is the image's (``Fedora-Cloud-Base``), the architecture the list
  requested (``aarch64,x86_64``).

The release is the request's version (``rawhide``, ``24``). A task's state
gives the phase: ``FREE``, ``ASSIGNED`` and ``OPEN`` start it, ``CLOSED``
succeeds, ``FAILED`` and ``CANCELED`` fail. The run is the task's id, the link
its page in koji, and the detail of a closed one links to the files it made.
"""

from __future__ import annotations

from typing import Any

from statscache.plugins import Message
from statscache.plugins.builtin.releng.names import ARCHES, KOJIPKGS, arch_list, environment, part, text
from statscache.plugins.milestones import FAILED, STARTED, SUCCEEDED, Milestone

#: Koji users whose image tasks are release engineering's (2015's masher; today's composes run as releng).
OWNERS = frozenset({"masher", "releng"})
#: Tasks of one image per architecture, named like their srpm field (``Fedora-Live-KDE-x86_64``).
PER_ARCH = frozenset({"livecd", "appliance"})
#: Tasks of an image over several architectures.
MULTI_ARCH = frozenset({"image", "livemedia", "kiwiBuild", "imageBuilderBuild"})
#: A task's new state -> (phase, status).
STATES = {
    "FREE": (STARTED, "queued"),
    "ASSIGNED": (STARTED, "assigned"),
    "OPEN": (STARTED, "started"),
    "CLOSED": (SUCCEEDED, "completed"),
    "FAILED": (FAILED, "failed"),
    "CANCELED": (FAILED, "canceled"),
}
#: Image formats as koji names them -> the file's extension (the others are their own).
EXTENSIONS = {"raw-xz": "raw.xz", "docker": "tar.xz", "rhevm-ova": "rhevm.ova", "vsphere-ova": "vsphere.ova"}
#: Most files linked per task (a few formats of a few architectures).
MAX_FILES = 24


def task_page(message: Message, task_id: int) -> str:
    host = "koji.stg.fedoraproject.org" if environment(message.topic) == "stg" else "koji.fedoraproject.org"
    return f"https://{host}/koji/taskinfo?taskID={task_id}"


def _work_dir(task_id: int) -> str:
    """Where koji keeps a task's files: ``work/tasks/<id modulo 10000>/<id>/``."""
    return f"{KOJIPKGS}/work/tasks/{task_id % 10000}/{task_id}/"


def _children(info: dict[str, Any]) -> list[tuple[int, str]]:
    """The child tasks' ids and architectures, by id."""
    found = []
    for child in info.get("children") or ():
        if type(child) is dict and type(child.get("id")) is int and child["id"] > 0:
            arch = part(child.get("arch"))
            if arch is not None and arch in ARCHES:
                found.append((child["id"], arch))
    return sorted(found)


def _files(method: str, request: list[Any], opts: dict[str, Any], children: list[tuple[int, str]]) -> list[str]:
    """Links to what a closed task made, named as koji names them: ``<name>-<version>-<release>...``."""
    name, version, release = part(request[0]), part(request[1]), part(opts.get("release"))
    if not (name and version and release):
        return []
    stem = f"{name}-{version}-{release}"
    if method in PER_ARCH:
        if len(children) != 1:
            return []
        fmt = opts.get("format")
        suffix = {None: ".iso", "qcow2": "-sda.qcow2", "raw": "-sda.raw.xz"}.get(fmt if type(fmt) is str else None)
        return [] if suffix is None else [_work_dir(children[0][0]) + stem + suffix]
    formats = opts.get("format")
    if type(formats) is not list:
        return []
    links = []
    for task_id, arch in children:
        for fmt in formats:
            if part(fmt) is not None:
                extension = EXTENSIONS.get(fmt, fmt)
                links.append(f"{_work_dir(task_id)}{stem}.{arch}.{extension}")
    return links[:MAX_FILES]


def _cell(method: str, request: list[Any], opts: dict[str, Any], srpm: str | None) -> str | None:
    # The request's first item names the image (koji's srpm field repeats it, for these tasks, in fedmsg's era).
    if method in PER_ARCH:
        name = part(request[0]) or part(srpm)
        arch = name.rsplit("-", 1)[-1] if name else None
        if arch not in ARCHES:
            arch = part(request[2]) if len(request) > 2 else None
        fmt = part(opts.get("format"))
        if fmt is not None and name is not None:
            name = f"{name} ({fmt})"
    else:
        name = part(request[0]) or part(srpm)
        arch = arch_list(request[2]) if len(request) > 2 else None
    release = part(request[1]) if len(request) > 1 else None
    if not (name and release and arch):
        return None
    return f"task/{method}/{name}/{release}/{arch}"


def image_task(message: Message, parts: list[str]) -> list[Milestone]:
    if parts != ["buildsys", "task", "state", "change"]:
        return []
    body = message.msg
    method, owner, task_id, new = body.get("method"), body.get("owner"), body.get("id"), body.get("new")
    if type(method) is not str or (method not in PER_ARCH and method not in MULTI_ARCH):
        return []
    if type(owner) is dict:  # today's koji messages send the owner as an object
        owner = owner.get("name")
    if type(owner) is not str or owner not in OWNERS or type(task_id) is not int or task_id <= 0:
        return []
    state = STATES.get(new) if type(new) is str else None
    info = body.get("info")
    if state is None or type(info) is not dict:
        return []
    request = info.get("request")
    if type(request) is not list or len(request) < 2:
        return []
    opts = request[-1] if type(request[-1]) is dict else {}
    cell = _cell(method, request, opts, text(body.get("srpm")))
    if cell is None:
        return []
    phase, status = state
    detail = None
    if phase == SUCCEEDED:
        files = _files(method, request, opts, _children(info))
        detail = {"links": files} if files else None
    # Today's koji says where the task's page is; fedmsg's era did not (a link to another host is dropped).
    link = text(info.get("url")) or task_page(message, task_id)
    return [Milestone(cell, phase, status, str(task_id), link, detail)]
