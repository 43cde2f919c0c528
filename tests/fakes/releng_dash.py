"""The old Fedora release-engineering dashboard's display rules, in Python: what it would show, cell for cell.

fedora-infra/fedora-releng-dash is a static page (index.html) whose scripts (js/site/compose.js,
updates.js, artifacts.js, images.js, amis.js) ask datagrepper's ``/raw`` 14 times and fill the page's
divs with the newest events. :func:`view` makes the same requests with the same parameters (see
:func:`queries`) and applies the same rules, returning plain data::

    {"cells": {div id: value, ...}, "errors": [{"source": ..., "error": ...}, ...]}

``cells`` holds every cell the page displays, in page order (the branched ones only when branched:
index.html hides them otherwise); ``errors`` the requests that failed
(the page leaves their cells as they were) and the scripts that stopped on a message they could
not read (the rest of that script's list is not shown). Times (``at``) are the message's
timestamp as datagrepper serves it (epoch seconds, whole); ``stale`` is the page's greying out:
older than 20 hours (composes) or 24 hours (everything else) at ``now``.

Cell kinds and their values:

``<rawhide|branched>-<mash|pungify|rsync|compose>-<arch>`` (compose.js; arch ``""`` (primary), arm, ppc, s390)
    ``{"state": "started"|"completed"|None, "at": float|None, "stale": bool}``: among the request's
    100 newest ``<topic>.start``/``.complete`` messages of 23 days, the newest of each for the arch
    (a message without ``arch`` counts as primary). ``started`` when the start is newer than the
    complete (or there is no complete; never stale), else ``completed`` at the complete;
    ``None`` when neither is there ("(no info found)", ``at`` None). The branched cells exist only
    when branched (a second version under development). index.html has no ``branched-*-arm``
    divs: its "Branched Compose (arm)" column repeats the primary ids, so it shows a copy of
    ``branched-*-`` and branched arm messages are shown nowhere. The ``image`` stage and the
    ``daily`` arch are never shown.
``updates-fedora-<version>-<updates|updates-testing>``, ``updates-epel-<version>-<epel|epel-testing>`` (updates.js)
    ``{"at": float, "stale": bool}`` of the newest ``bodhi.updates.<fedora|epel>.sync`` for that
    ``release``-``repo`` among 100 of 23 days, or ``None`` (no message: the page keeps "...").
    One pair of cells per active collection (:class:`Collections`), in its order.
``image-<srpm, lowercase>-<rawhide|branched>`` (images.js)
    srpm: fedora-cloud-base, fedora-cloud-atomic, fedora-cloud-atomic-vagrant, fedora-docker-base.
    A list, newest first, one entry per ``"<srpm> (<version>)"``: ``{"label", "status", "at",
    "stale", "details", "downloads"}``. From masher's ``buildsys.task.state.change`` containing
    ``createImage`` (100 of 23 days), method ``image`` only, with ``info``; version is
    ``info.request[1]``, shown as ``branched`` when it is the branched version (other versions have
    no cell). ``status``: ``completed``/``failed``/``started`` for CLOSED/FAILED/OPEN, else None
    (the page prints "undefined"). ``details``: datagrepper's ``meta.link`` as served.
    ``downloads``: None unless CLOSED; then one row per ``info.children`` entry, one
    ``{"text", "url"}`` per ``opts.format`` (``https://kojipkgs.fedoraproject.org/work/tasks/<n>/<child
    id>/<name>-<version>-<release>.<arch>.<ext>``, ``n`` read from ``info.result`` and lowered by one per child).
``image-upload-base-<rawhide|branched>`` (amis.js)
    A list, newest first: ``{"image_name", "status", "at", "stale", "destination", "region",
    "link"}`` (``link``: the AWS console's launch wizard for ``extra.id`` in ``region``). From
    ``fedimg.image.upload`` containing ``completed`` (100 of a year); the image name's tokens give
    flavour (cell), version and compose date. Per version the first (newest) message's compose
    date is the "latest": messages of older composes are skipped. Each image name and region once.
``appliance-<rawhide|branched>-armhfp``, ``livecd-<rawhide|branched>-<x86_64|i686>`` (artifacts.js)
    A list, newest first: ``{"label", "status", "at", "stale", "details", "download"}``, one entry
    per label ``"<srpm>[ (<opts.format>)] (<rawhide|branched>)"`` (any version but rawhide is
    "branched"), from masher's 100 newest messages of 23 days, any topic, method ``appliance`` or
    ``livecd``; arch is the srpm's last ``-`` token. ``download``: for a CLOSED task with one child,
    ``https://kojipkgs.fedoraproject.org/work/tasks/<n>/<child id>/<name>-<version>-<release>`` +
    ``.iso`` (no format), ``-sda.qcow2`` or ``-sda.raw.xz``, else None.

Rules are the scripts' own, including their accidents: first match wins in datagrepper's
order, dedupe happens before the cell is looked up (a message for a cell that does not exist still
hides older ones), undefined values print as ``undefined``. What it does not do: relative times
("3 hours ago") and CSS classes are left to the reader (``at``, ``stale``, ``status`` say the same).

datagrepper 1.1.0 answers ``contains=`` only with a start at most 32 weeks back, so the AMI request
(a year) fails there with 400, as it would on today's datagrepper; pass ``ami_delta=AMI_DELTA_ACCEPTED``
to get the AMI cells of a month of traffic. Its ``meta=link`` comes from fedora-messaging schemas:
a fedmsg-era message gets ``null`` (the fedmsg-era datagrepper gave koji's taskinfo page).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import requests

PREFIX = "org.fedoraproject.prod"
#: The dashboard's windows (seconds) and page size.
DELTA = 2_000_000
AMI_DELTA = 31_536_000
#: The longest AMI window datagrepper 1.1.0 accepts with ``contains=`` (32 weeks, less an hour).
AMI_DELTA_ACCEPTED = 32 * 7 * 86400 - 3600
ROWS = 100
COMPOSE_STALE = 20 * 3600
STALE = 24 * 3600
COMPOSE_STAGES = ("mash", "pungify", "rsync", "compose")
COMPOSE_ARCHES = ("", "arm", "ppc", "s390")
IMAGE_SRPMS = ("fedora-cloud-base", "fedora-cloud-atomic", "fedora-cloud-atomic-vagrant", "fedora-docker-base")
KOJI_WORK = "https://kojipkgs.fedoraproject.org/work/tasks/"
AWS_LAUNCH = "https://redirect.fedoraproject.org/console.aws.amazon.com/ec2/v2/home?region="
#: koji task states -> the page's words.
STATUS = {"CLOSED": "completed", "FAILED": "failed", "OPEN": "started"}
#: images.js's renaming of koji image formats into file extensions.
IMAGE_EXTENSIONS = {"raw-xz": "raw.xz", "docker": "tar.xz", "rhevm-ova": "rhevm.ova", "vsphere-ova": "vsphere.ova"}

Page = dict[str, Any]
Cells = dict[str, Any]


@dataclass(frozen=True)
class Collections:
    """What the page read from pkgdb (now gone): versions under development and active collections.

    ``dev``: pkgdb's "Under Development" versions, ``devel`` (rawhide) first; a second one (the
    branched version, e.g. "24") makes the page branched. ``active``: (name, version) of the
    "Active" collections in pkgdb's order, name ``Fedora`` or ``Fedora EPEL``.
    """

    dev: tuple[str, ...] = ("devel",)
    active: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, branched: str | None, fedora: Iterable[str] = (), epel: Iterable[str] = ()) -> Collections:
        active = tuple(("Fedora", v) for v in fedora) + tuple(("Fedora EPEL", v) for v in epel)
        return cls(("devel", branched) if branched else ("devel",), active)

    @property
    def branched(self) -> str | None:
        return self.dev[1] if len(self.dev) > 1 else None


class Query(NamedTuple):
    """One of the dashboard's requests: ``requests.get(url, params=params)``."""

    url: str
    params: tuple[tuple[str, str], ...]


class RequestFailed(Exception):
    """datagrepper did not answer a request with its JSON."""


@dataclass(frozen=True)
class _Request:
    script: str  # which script's rule reads the answer
    subject: str  # its argument: a compose topic prefix, a product, an artifact
    query: Query


Fetch = Callable[[Query], Page]


def queries(base_url: str, collections: Collections, ami_delta: int = AMI_DELTA) -> list[Query]:
    """The dashboard's requests, in the order its scripts make them (14 when branched, 10 when not)."""
    return [request.query for request in _plan(base_url, collections, ami_delta)]


def _plan(base_url: str, collections: Collections, ami_delta: int) -> list[_Request]:
    url = base_url.rstrip("/") + "/raw/"
    window = (("delta", str(DELTA)), ("rows_per_page", str(ROWS)), ("order", "desc"))
    plan = []
    for branch in ("rawhide", "branched") if collections.branched else ("rawhide",):
        for stage in COMPOSE_STAGES:
            prefix = f"{PREFIX}.compose.{branch}" + ("" if stage == "compose" else f".{stage}")
            params = (*window, ("topic", f"{prefix}.start"), ("topic", f"{prefix}.complete"))
            plan.append(_Request("compose", prefix, Query(url, params)))
    for product in ("fedora", "epel"):
        params = (*window, ("meta", "link"), ("topic", f"{PREFIX}.bodhi.updates.{product}.sync"))
        plan.append(_Request("updates", product, Query(url, params)))
    for artifact in ("appliance", "livecd"):
        plan.append(_Request("artifacts", artifact, Query(url, (*window, ("meta", "link"), ("user", "masher")))))
    task_topic = f"{PREFIX}.buildsys.task.state.change"
    params = (*window, ("meta", "link"), ("user", "masher"), ("topic", task_topic), ("contains", "createImage"))
    plan.append(_Request("images", "image", Query(url, params)))
    ami_window = (("delta", str(ami_delta)), ("rows_per_page", str(ROWS)), ("order", "desc"))
    params = (*ami_window, ("meta", "link"), ("topic", f"{PREFIX}.fedimg.image.upload"), ("contains", "completed"))
    plan.append(_Request("amis", "image-upload", Query(url, params)))
    return plan


def http_fetch(session: requests.Session | None = None, timeout: float = 60) -> Fetch:
    """A fetch through ``requests`` (never through a proxy); a non-200 answer raises :class:`RequestFailed`."""
    http = session or requests.Session()
    if session is None:
        http.trust_env = False
    http.headers["Accept"] = "application/json"

    def fetch(query: Query) -> Page:
        response = http.get(query.url, params=list(query.params), timeout=timeout)
        if response.status_code != 200:
            raise RequestFailed(f"{response.status_code}: {response.text[:300]}")
        page: Page = response.json()
        return page

    return fetch


def view(
    base_url: str,
    now: float,
    collections: Collections,
    *,
    fetch: Fetch | None = None,
    ami_delta: int = AMI_DELTA,
    workers: int = 1,
) -> dict[str, Any]:
    """What the dashboard shows at ``now`` (see the module docstring), after its requests to ``base_url``.

    ``fetch`` answers one :class:`Query` with datagrepper's JSON (default: :func:`http_fetch`);
    ``workers`` > 1 makes that many requests at once, as a browser does (6).
    """
    plan = _plan(base_url, collections, ami_delta)
    get = fetch or http_fetch()

    def answer(request: _Request) -> Page | Exception:
        try:
            return get(request.query)
        except Exception as error:  # the page's error callback only logs it
            return error

    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            answers = list(pool.map(answer, plan))
    else:
        answers = [answer(request) for request in plan]
    return _render(plan, answers, now, collections)


def _render(
    plan: Sequence[_Request], answers: Sequence[Page | Exception], now: float, collections: Collections
) -> dict[str, Any]:
    """The page once every answer has been handled, in the order the requests were made."""
    cells = _empty_cells(collections)
    errors: list[dict[str, str]] = []
    for request, page in zip(plan, answers, strict=True):
        if isinstance(page, Exception):
            errors.append({"source": f"{request.script}.js {request.subject}", "error": str(page)})
            continue
        rule = RULES[request.script]
        try:
            rule(page.get("raw_messages") or [], request.subject, now, collections, cells)
        except ScriptError as error:
            errors.append({"source": f"{request.script}.js {request.subject}", "error": f"TypeError: {error}"})
    return {"cells": cells, "errors": errors}


def cell_ids(collections: Collections) -> list[str]:
    """Every cell the page displays, in page order (the branched ones only when branched)."""
    branches = ("rawhide", "branched") if collections.branched else ("rawhide",)
    ids = [
        f"{branch}-{stage}-{arch}"
        for branch in branches
        for arch in COMPOSE_ARCHES
        if not (branch == "branched" and arch == "arm")  # index.html repeats the primary ids there
        for stage in COMPOSE_STAGES
    ]
    for name, version in collections.active:
        if name == "Fedora":
            ids += [f"updates-fedora-{version}-updates", f"updates-fedora-{version}-updates-testing"]
    for name, version in collections.active:
        if name == "Fedora EPEL":
            ids += [f"updates-epel-{version}-epel", f"updates-epel-{version}-epel-testing"]
    ids += [f"image-{srpm}-{branch}" for branch in branches for srpm in IMAGE_SRPMS]
    ids += [f"image-upload-base-{branch}" for branch in branches]
    ids += [f"appliance-{branch}-armhfp" for branch in branches]
    ids += [f"livecd-{branch}-{arch}" for branch in branches for arch in ("x86_64", "i686")]
    return ids


def _empty_cells(collections: Collections) -> Cells:
    """Cells as the page has them before any answer: "..." (None) or an empty list."""
    return {
        ident: [] if ident.startswith(("image-", "appliance-", "livecd-")) else None for ident in cell_ids(collections)
    }


def _stale(at: float, now: float, limit: float = STALE) -> bool:
    return at < now - limit


def _timestamp(message: Mapping[str, Any]) -> float:
    return float(_prop(message, "timestamp"))


# compose.js -----------------------------------------------------------------------------------


def _compose(messages: list[Page], prefix: str, now: float, collections: Collections, cells: Cells) -> None:
    """Per arch, the newest start against the newest complete."""
    branch, stage = _compose_names(prefix)
    for arch in COMPOSE_ARCHES:
        start = _first(messages, ".start", arch)
        complete = _first(messages, ".complete", arch)
        ident = f"{branch}-{stage}-{arch}"
        if ident not in cells:
            continue
        if start is None and complete is None:
            cells[ident] = {"state": None, "at": None, "stale": False}
        elif start is not None and (complete is None or start > complete):
            cells[ident] = {"state": "started", "at": start, "stale": False}
        else:
            assert complete is not None
            cells[ident] = {"state": "completed", "at": complete, "stale": _stale(complete, now, COMPOSE_STALE)}


def _compose_names(prefix: str) -> tuple[str, str]:
    """``org.fedoraproject.prod.compose.rawhide.mash`` -> ("rawhide", "mash"); the bare prefix is "compose"."""
    parts = prefix.split(".")[4:]
    return parts[0], parts[1] if len(parts) > 1 else "compose"


def _first(messages: list[Page], suffix: str, arch: str) -> float | None:
    for message in messages:
        # An absent, null or empty arch is the primary arch (`msg.arch || ""`).
        their = _prop(_prop(message, "msg"), "arch")
        if _prop(message, "topic").endswith(suffix) and (_js_str(their) if _truthy(their) else "") == arch:
            return _timestamp(message)
    return None


# updates.js -----------------------------------------------------------------------------------


def _updates(messages: list[Page], product: str, now: float, collections: Collections, cells: Cells) -> None:
    """The newest sync of each release and repo."""
    seen: set[str] = set()
    for message in messages:
        body = _prop(message, "msg")
        key = _js_str(_prop(body, "release")) + "-" + _js_str(_prop(body, "repo"))
        if key in seen:
            continue
        seen.add(key)
        ident = f"updates-{product}-{key}"
        if ident in cells:
            at = _timestamp(message)
            cells[ident] = {"at": at, "stale": _stale(at, now)}


# images.js ------------------------------------------------------------------------------------


def _images(messages: list[Page], artifact: str, now: float, collections: Collections, cells: Cells) -> None:
    """masher's image builds, one entry per image and version."""
    seen: set[str] = set()
    for message in messages:
        body = _prop(message, "msg")
        if _prop(body, "method") != artifact:  # only the image tasks, not their createImage children
            continue
        srpm = _prop(body, "srpm")
        _js_split(srpm, "-")  # the script splits it first: a task without one stops it
        info = _prop(body, "info")
        if info is UNDEFINED or info is None:
            continue
        version = _prop(_prop(info, "request"), 1)
        label = _js_str(srpm) + " (" + _js_str(version) + ")"
        branch = _branch(version, collections)
        if label in seen:
            continue
        seen.add(label)
        ident = f"image-{_js_lower(srpm)}-{_js_str(branch)}"
        closed = _prop(body, "new") == "CLOSED"
        entry = _task_entry(message, label, now, downloads=_image_downloads(info) if closed else None)
        if ident in cells:
            cells[ident].append(entry)


def _branch(version: Any, collections: Collections) -> Any:
    """The version's cell name: "branched" for the branched version (images.js and amis.js)."""
    if version != "rawhide" and collections.branched is not None and version == collections.branched:
        return "branched"
    return version


def _image_downloads(info: Any) -> list[list[dict[str, str]]]:
    """One row per child, one link per format; the directory number comes down by one per child."""
    request = _prop(info, "request")
    options = _prop(request, 5)
    directory = _js_parse_int(_prop(_js_split(_last_word(info), "/"), 5))
    stem = _js_str(_prop(request, 0)) + "-" + _js_str(_prop(request, 1)) + "-" + _js_str(_prop(options, "release"))
    rows = []
    for child in _js_list(_prop(info, "children")):
        row = []
        arch = _js_str(_prop(child, "arch"))
        for form in _js_list(_prop(options, "format")):
            extension = IMAGE_EXTENSIONS.get(form, form) if isinstance(form, str) else form
            ova = extension in ("vsphere.ova", "rhevm.ova")
            text = extension.split(".")[0] if ova else f"{arch}.{_js_str(extension)}"
            folder = _js_number(directory) + "/" + _js_str(_prop(child, "id")) + "/"
            row.append({"text": text, "url": KOJI_WORK + folder + stem + "." + arch + "." + _js_str(extension)})
        rows.append(row)
        directory -= 1
    return rows


def _last_word(info: Any) -> Any:
    return _js_split(_prop(info, "result"), " ")[-1]


# artifacts.js ---------------------------------------------------------------------------------


def _artifacts(messages: list[Page], artifact: str, now: float, collections: Collections, cells: Cells) -> None:
    """masher's livecd or appliance builds, one entry per label."""
    seen: set[str] = set()
    for message in messages:
        body = _prop(message, "msg")
        if _prop(body, "method") != artifact:
            continue
        srpm = _prop(body, "srpm")
        arch = _js_split(srpm, "-")[-1]
        info = _prop(body, "info")
        label, branch = _js_str(srpm), UNDEFINED
        if info is not UNDEFINED and info is not None:
            request = _prop(info, "request")
            options = _prop(request, len(request) - 1) if isinstance(request, list) else _prop(request, "length")
            if _prop(options, "format") not in (UNDEFINED, None):
                label += " (" + _js_str(_prop(options, "format")) + ")"
            branch = "rawhide" if _prop(request, 1) == "rawhide" else "branched"
            label += " (" + branch + ")"
        children = _prop(info, "children")  # no info: the script stops here
        download = None
        if _prop(body, "new") == "CLOSED" and children not in (UNDEFINED, None) and _js_length(children) == 1:
            download = _artifact_download(info, children)
        if label in seen:
            continue
        seen.add(label)
        ident = f"{artifact}-{_js_str(branch)}-{arch}"
        entry = _task_entry(message, label, now, download=download)
        if ident in cells:
            cells[ident].append(entry)


def _artifact_download(info: Any, children: Any) -> str:
    child = _js_str(_prop(_prop(children, 0), "id"))
    directory = _js_str(_prop(_js_split(_last_word(info), "/"), 5))  # kept as text here, unlike images.js
    request = _prop(info, "request")
    options = _prop(request, 5)
    name = _js_str(_prop(request, 0)) + "-" + _js_str(_prop(request, 1)) + "-" + _js_str(_prop(options, "release"))
    form = _prop(options, "format")
    if form is UNDEFINED:
        name += ".iso"
    elif form is not None and _js_str(form) in ("qcow2", "raw"):  # `==`: ["raw"] == "raw" too
        name += "-sda.qcow2" if _js_str(form) == "qcow2" else "-sda.raw.xz"
    return KOJI_WORK + directory + "/" + child + "/" + name


def _task_entry(message: Page, label: str, now: float, **links: Any) -> dict[str, Any]:
    """One koji task as images.js and artifacts.js list it: its label, state word, time, and links."""
    at = _timestamp(message)
    state = _prop(_prop(message, "msg"), "new")
    return {
        "label": label,
        "status": STATUS.get(state) if isinstance(state, str) else None,
        "at": at,
        "stale": _stale(at, now),
        "details": _meta_link(message),
        **links,
    }


def _meta_link(message: Mapping[str, Any]) -> Any:
    """``meta.link`` as served (None when null; the page would print "null" or "undefined")."""
    link = _prop(_prop(message, "meta"), "link")
    return None if link is UNDEFINED else link


# amis.js --------------------------------------------------------------------------------------


def _amis(messages: list[Page], prefix: str, now: float, collections: Collections, cells: Cells) -> None:
    """Completed uploads of each version's latest images, each image and region once."""
    latest: dict[str, Any] = {}
    seen: set[str] = set()
    for message in messages:
        body = _prop(message, "msg")
        image_name = _prop(body, "image_name")
        tokens = _js_split(_js_split(image_name, ".")[0], "-")
        flavour = _js_lower(_prop(tokens, 2))
        version = _js_lower(_prop(tokens, 3))
        stamp = _prop(tokens, 4)
        destination = _prop(body, "destination")
        region = _js_str(_prop(_js_split(destination, "("), 1), strict=True)[:-1]
        branch = _js_str(_branch(version, collections))
        if latest.get(branch) in (None, UNDEFINED):
            latest[branch] = stamp
        if isinstance(stamp, str) and isinstance(latest[branch], str) and stamp < latest[branch]:
            continue  # an older compose than the version's latest
        if _js_str(image_name) + region in seen:
            continue
        seen.add(_js_str(image_name) + region)
        at = _timestamp(message)
        ami = _js_str(_prop(_prop(body, "extra"), "id"))
        entry = {
            "image_name": _js_str(image_name),
            "status": _js_str(_prop(body, "status")),
            "at": at,
            "stale": _stale(at, now),
            "destination": _js_str(destination),
            "region": region,
            "link": AWS_LAUNCH + region + "#LaunchInstanceWizard:ami=" + ami,
        }
        ident = f"{prefix}-{flavour}-{branch}"
        if ident in cells:
            cells[ident].append(entry)


RULES: dict[str, Callable[[list[Page], str, float, Collections, Cells], None]] = {
    "compose": _compose,
    "updates": _updates,
    "artifacts": _artifacts,
    "images": _images,
    "amis": _amis,
}


# JavaScript's semantics, as far as the scripts rely on them ----------------------------------


class ScriptError(Exception):
    """What a TypeError is in the page's scripts: the rest of that script's loop does not run."""


class _Undefined:
    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Any = _Undefined()


def _prop(value: Any, key: str | int) -> Any:
    """``value[key]``: undefined when missing; a TypeError on undefined or null."""
    if value is UNDEFINED or value is None:
        raise ScriptError(f"Cannot read property {key!r} of {_js_str(value)}")
    if isinstance(value, Mapping):
        return value.get(str(key), UNDEFINED)
    if isinstance(value, (list, str)) and isinstance(key, int):
        return value[key] if 0 <= key < len(value) else UNDEFINED
    return UNDEFINED


def _truthy(value: Any) -> bool:
    if value is UNDEFINED or value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value) if isinstance(value, (bool, int, float, str)) else True


def _js_str(value: Any, strict: bool = False) -> str:
    """``"" + value``; ``strict``: a TypeError for undefined or null (a method call on them)."""
    if strict and (value is UNDEFINED or value is None):
        raise ScriptError(f"Cannot call a method of {value!r}")
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _js_number(value)
    if isinstance(value, list):
        return ",".join("" if item is None or item is UNDEFINED else _js_str(item) for item in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)


def _js_number(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _js_split(value: Any, separator: str) -> list[str]:
    if not isinstance(value, str):
        raise ScriptError(f"{_js_str(value)}.split is not a function")
    return value.split(separator)


def _js_lower(value: Any) -> str:
    if not isinstance(value, str):
        raise ScriptError(f"{_js_str(value)}.toLowerCase is not a function")
    return value.lower()


def _js_length(value: Any) -> float:
    """``value.length``: NaN (compares unequal to everything) when it has none."""
    return len(value) if isinstance(value, (list, str)) else math.nan


def _js_list(value: Any) -> list[Any]:
    """What ``$.each`` walks: a list's items (or a string's characters); a TypeError on undefined or null."""
    if value is UNDEFINED or value is None:
        raise ScriptError(f"Cannot read property 'length' of {_js_str(value)}")
    if isinstance(value, (list, str)):
        return list(value)
    return list(value.values()) if isinstance(value, Mapping) else []


def _js_parse_int(value: Any) -> float:
    match = re.match(r"\s*([+-]?\d+)", _js_str(value))
    return float(int(match.group(1))) if match else math.nan
