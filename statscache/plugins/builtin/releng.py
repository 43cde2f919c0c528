"""The release engineering dashboard: the latest event of each compose, image, push and artifact.

One row per category, replaced by newer events, so that one request to the
plugin's ``/api/<ident>`` answers the whole dashboard. Each kind of message
has a small reader below that names its category, status and link.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import timedelta

from statscache.plugins import Event, InvalidKey, LatestEventPlugin, Message

KOJI_COMPOSES = "https://kojipkgs.fedoraproject.org/compose/"
BODHI = "https://bodhi.fedoraproject.org"
#: Where release engineering's messages link to: composes and images, published trees, bodhi.
RELENG_HOSTS = frozenset({"kojipkgs.fedoraproject.org", "dl.fedoraproject.org", "bodhi.fedoraproject.org"})


def _subject(topic: str) -> list[str]:
    """The topic's parts after ``<org>.<site>.<env>``: ``compose.rawhide.mash.start`` -> its four parts."""
    return topic.split(".")[3:]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def legacy_compose(message: Message, parts: list[str]) -> Event | None:
    """Pre-Pungi-4 composes: ``compose.<branch>[.<stage>].<start|complete>``, per branch and architecture."""
    if len(parts) < 3 or parts[0] != "compose" or parts[-1] not in ("start", "complete", "done", "stop"):
        return None
    branch = _text(message.msg.get("branch")) or parts[1]
    arch = _text(message.msg.get("arch")) or "primary"
    stage = " ".join(parts[2:-1])
    status = f"{stage} {parts[-1]}" if stage else parts[-1]
    link = _text(message.msg.get("location")) or KOJI_COMPOSES
    return Event(f"compose/{branch.lower()}/{arch}", status, link)


def pungi_compose(message: Message, parts: list[str]) -> Event | None:
    """Pungi 4 composes (every architecture at once): ``pungi.compose.status.change``."""
    if parts != ["pungi", "compose", "status", "change"]:
        return None
    status = _text(message.msg.get("status"))
    release = _text(message.msg.get("release_short"))
    version = _text(message.msg.get("release_version"))
    if status is None:
        return None
    if release and version:
        name = f"{release}-{version}".lower()
    else:  # older messages only carry the compose id, e.g. Fedora-Rawhide-20170406.n.0
        compose_id = _text(message.msg.get("compose_id")) or ""
        name = compose_id.rsplit("-", 1)[0].lower() or "unknown"
    return Event(f"compose/{name}/all", status.lower(), _text(message.msg.get("location")) or KOJI_COMPOSES)


#: Architectures an image name may end with (``.x86_64``), after its date.
ARCHES = frozenset(
    {"x86_64", "i386", "i486", "i586", "i686", "aarch64", "armhfp", "armv7hl", "ppc64le", "ppc64", "s390x"}
)
#: Longest image name read (Fedora's run to about 60 characters).
MAX_IMAGE_NAME = 255
#: Where an image name's version or date begins: a dash and a digit.
_DATED = re.compile(r"-[0-9]")


def parse_family(name: str) -> str:
    """``Fedora-Cloud-Base-22-20151009.x86_64`` -> ``Fedora-Cloud-Base.x86_64``: one category per image kind.

    The family is what comes before the first dash followed by a digit, the
    architecture the name's last dot-part if it is one, after that dash. One
    search and one split: linear in the name, which the message chooses (a
    backtracking pattern once took 38 s over a 60 KB name).
    """
    dated = _DATED.search(name)
    if dated is None:
        return name
    family = name[: dated.start()]
    _, dot, arch = name[dated.end() :].rpartition(".")
    return f"{family}.{arch}" if dot and arch in ARCHES else family


def image_family(name: str) -> str:
    """The image kind of a name of at most :data:`MAX_IMAGE_NAME` characters (see :func:`parse_family`).

    Longer names are refused: the cache of families is bounded in bytes by
    that length (4,096 names of 255 characters: a few megabytes), where one
    keyed by whatever names the bus sent once kept 800 MB of them.
    """
    if len(name) > MAX_IMAGE_NAME:
        raise InvalidKey(f"image name {name[:80]!r}... is longer than {MAX_IMAGE_NAME} characters")
    return _cached_family(name)


#: Image names repeat (each is announced at every step of its way): their families are remembered.
_cached_family = functools.lru_cache(maxsize=4096)(parse_family)


def image_upload(message: Message, parts: list[str]) -> Event | None:
    """fedimg uploads of cloud images: ``fedimg.image.<upload|copy|test|publish>``."""
    if parts[:2] != ["fedimg", "image"] or len(parts) != 3:
        return None
    name = _text(message.msg.get("image_name"))
    if name is None:
        return None
    status = _text(message.msg.get("status"))  # copy and publish messages have none: they report a done step
    destination = _text(message.msg.get("destination"))
    where = f" to {destination}" if destination else ""
    # upload, copy, test, publish: the steps of one image's way to the clouds, one row per image kind.
    return Event(
        f"image-upload/{image_family(name)}",
        f"{parts[2]} {status or 'done'}{where}",
        _text(message.msg.get("image_url")),
    )


def image_test(message: Message, parts: list[str]) -> Event | None:
    """autocloud tests of cloud images: ``autocloud.image.<status>``, per image and release."""
    if parts[:2] != ["autocloud", "image"] or len(parts) != 3:
        return None
    name = _text(message.msg.get("image_name"))
    if name is None:
        return None
    release = message.msg.get("release")
    if type(release) is int and 0 <= release < 10**6:  # a release number; a huge int cannot even be printed
        release = str(release)
    suffix = f"/{release}" if _text(release) else ""
    status = _text(message.msg.get("status")) or parts[2]
    return Event(f"image-test/{image_family(name)}{suffix}", status, _text(message.msg.get("image_url")))


def update_push(message: Message, parts: list[str]) -> Event | None:
    """bodhi pushes of updates: ``bodhi.masher.start``, ``bodhi.mashtask.*``, ``bodhi.compose.*``, syncs."""
    if len(parts) < 3 or parts[0] != "bodhi":
        return None
    repo = _text(message.msg.get("repo"))
    if parts[1] in ("masher", "composer") and parts[2] == "start":
        return Event("updates-push/all", "start", BODHI)
    if parts[1] in ("mashtask", "compose") and repo:
        status = " ".join(parts[2:])
        success = message.msg.get("success")
        if isinstance(success, bool):
            status += " (succeeded)" if success else " (failed)"
        return Event(f"updates-push/{repo}", status, BODHI)
    if parts[1] == "updates" and parts[-1] == "sync":  # bodhi.updates.<fedora|epel>.sync
        release = _text(message.msg.get("release")) or parts[2]
        return Event(f"updates-sync/{release}", "synced", BODHI)
    return None


def artifact(message: Message, parts: list[str]) -> Event | None:
    """Built artifacts: OSTree commits and the two-week Atomic release."""
    if parts == ["pungi", "compose", "ostree"]:
        ref = _text(message.msg.get("ref"))
        if ref is None:
            return None
        return Event(f"ostree/{ref}", f"committed {_text(message.msg.get('commitid')) or ''}".strip(), None)
    if parts[:3] == ["releng", "atomic", "twoweek"] and len(parts) == 4:
        return Event("atomic/two-week", parts[3], None)
    return None


#: The readers of each application (the topic's first part after ``<org>.<site>.<env>``).
READERS: dict[str, tuple[Callable[[Message, list[str]], Event | None], ...]] = {
    "pungi": (pungi_compose, artifact),
    "compose": (legacy_compose,),
    "fedimg": (image_upload,),
    "autocloud": (image_test,),
    "bodhi": (update_push,),
    "releng": (artifact,),
}


class RelengDashboard(LatestEventPlugin):
    name = "Releng dashboard"
    summary = "The latest event of each compose, cloud image, update push and built artifact"
    description = (
        "One row per category: composes per branch and architecture (compose/BRANCH/ARCH), cloud image "
        "uploads (image-upload/IMAGE) and tests (image-test/IMAGE/RELEASE), bodhi update pushes per repository "
        "(updates-push/REPO, updates-sync/RELEASE) and built artifacts (ostree/REF, atomic/two-week), each with "
        "the status, time and link of its newest event. A newer event replaces its category's row."
    )
    backlog_delta = timedelta(days=90)
    link_hosts = RELENG_HOSTS
    layout = {
        "title": "Release engineering",
        "groups": [
            {"title": "Composes", "prefix": "compose/", "columns": ["category", "status", "timestamp", "link"]},
            {"title": "Cloud image uploads", "prefix": "image-upload/", "columns": ["category", "status", "timestamp"]},
            {"title": "Cloud image tests", "prefix": "image-test/", "columns": ["category", "status", "timestamp"]},
            {"title": "Update pushes", "prefix": "updates-", "columns": ["category", "status", "timestamp"]},
            {"title": "Built artifacts", "prefix": "ostree/", "columns": ["category", "status", "timestamp"]},
            {"title": "Atomic releases", "prefix": "atomic/", "columns": ["category", "status", "timestamp"]},
        ],
    }

    def accepts(self, topic: str) -> bool:
        parts = _subject(topic)
        return bool(parts) and parts[0] in READERS

    def event(self, message: Message) -> Event | None:
        parts = _subject(message.topic)
        for read in READERS.get(parts[0], ()) if parts else ():
            found = read(message, parts)
            if found is not None:
                return found
        return None
