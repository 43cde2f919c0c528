"""Cloud images: uploads per region, and tests.

* ``image-upload/<image>/<release>/<arch>/<region>``: fedimg's
  ``fedimg.image.upload`` (``started``, ``completed``, ``failed``), and the copies
  and publications of an uploaded image to other regions (``image.copy``,
  ``image.publish``: each announces one done). The run is the image's full
  name (one build), the detail its AMI's id, and the link launches it.
* The same cells from today's ``fedora_image_uploader.published.v1.<provider>``: one
  message says where an image was published, every region (AWS, with each AMI; Azure),
  storage location (GCP) or container registry at once. The image is its
  subvariant and provider (``Cloud_Base (aws)``), or a container's repository
  (``fedora-minimal (container)``); the run is the compose's id.
* ``image-test/<image>/<release>``: tests of the images (autocloud's
  ``autocloud.image.*``, fedimg's ``image.test``).

An image's name says what it is: ``Fedora-Cloud-Base-24-20160710.0.x86_64`` is
the image ``Fedora-Cloud-Base`` of release ``24``, built on 2016-07-10, for x86_64.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

from statscache.plugins import InvalidKey, Message
from statscache.plugins.builtin.releng.names import ARCHES, arch_list, part, text
from statscache.plugins.milestones import FAILED, STARTED, SUCCEEDED, Milestone

#: Longest image name read (Fedora's run to about 60 characters).
MAX_IMAGE_NAME = 255
#: A release in an image's name: a number of at most three digits, or rawhide.
_RELEASE = re.compile(r"[0-9]{1,3}|rawhide", re.IGNORECASE)
#: Where a name's version or date begins, when it names no release: a dash and a digit.
_DATED = re.compile(r"-[0-9]")
#: A region's name as a link may carry it (``us-east-1``), and an AMI's id.
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]+")
_AMI = re.compile(r"ami-[0-9a-f]{1,32}")
#: The console page that launches an AMI, as the old dashboard linked it (through Fedora's redirector).
LAUNCH = "https://redirect.fedoraproject.org/console.aws.amazon.com/ec2/v2/home?region={region}#LaunchInstanceWizard:ami={ami}"

#: fedimg's and autocloud's statuses -> the phase each marks.
STATUSES = {
    "started": STARTED,
    "queued": STARTED,
    "running": STARTED,
    "completed": SUCCEEDED,
    "success": SUCCEEDED,
    "failed": FAILED,
    "aborted": FAILED,
}


class ImageName(NamedTuple):
    """What an image's name says: its kind, release and architecture."""

    image: str
    release: str
    arch: str


def parse_image(name: str) -> ImageName:
    """``Fedora-Cloud-Base-24-20160710.0.x86_64`` -> (``Fedora-Cloud-Base``, ``24``, ``x86_64``).

    The architecture is a dot-separated part that is one (``unknown`` if none
    is); the release the first dash-separated part after the first that is a
    release (``unknown`` if none is: the image is then what comes before the
    first dash and digit). Splits and one search: linear in the name, which the
    message chooses (a backtracking pattern once took 38 s over a 60 KB name).
    """
    dotted = name.split(".")
    arches = [piece for piece in dotted if piece in ARCHES]
    arch = arches[-1] if arches else "unknown"
    bare = ".".join(piece for piece in dotted if piece != arch) if arches else name
    pieces = bare.split("-")
    for i, piece in enumerate(pieces[1:], start=1):
        if _RELEASE.fullmatch(piece):
            return ImageName("-".join(pieces[:i]), piece.lower(), arch)
    dated = _DATED.search(bare)
    return ImageName(bare if dated is None else bare[: dated.start()], "unknown", arch)


def image_name(name: str) -> ImageName:
    """:func:`parse_image` of a name of at most :data:`MAX_IMAGE_NAME` characters; longer ones are refused.

    The parsed names are remembered (each is announced at every step of its way), in a cache bounded in
    bytes by that length (4,096 names of 255 characters: a few megabytes), where one keyed by whatever
    names the bus sent once kept 800 MB of them.
    """
    if len(name) > MAX_IMAGE_NAME:
        raise InvalidKey(f"image name {name[:80]!r}... is longer than {MAX_IMAGE_NAME} characters")
    return _cached_image(name)


_cached_image = functools.lru_cache(maxsize=4096)(parse_image)


def region_of(destination: str) -> str | None:
    """The region of a destination as fedimg wrote it: ``EC2 (us-east-1)``, ``EC2-eu-west-1`` or ``eu-west-1``."""
    opened = destination.rfind("(")
    if opened >= 0 and destination.endswith(")"):
        destination = destination[opened + 1 : -1]
    elif destination.startswith("EC2-"):
        destination = destination[4:]
    return part(destination)


def _launch(region: str, ami: str | None) -> tuple[str | None, dict[str, Any] | None]:
    """An upload's link (the page that launches its AMI, where the region's name allows) and detail (the AMI)."""
    if ami is None or not _AMI.fullmatch(ami):
        return None, None
    link = LAUNCH.format(region=region, ami=ami) if _REGION.fullmatch(region) else None
    return link, {"ami": ami}


def _parts(found: ImageName) -> tuple[str, str, str] | None:
    image, release, arch = (part(value) for value in found)
    return (image, release, arch) if image and release and arch else None


def fedimg_upload(message: Message, parts: list[str]) -> list[Milestone]:
    if parts[:2] != ["fedimg", "image"] or len(parts) != 3 or parts[2] not in ("upload", "copy", "publish"):
        return []
    name, destination = text(message.msg.get("image_name")), text(message.msg.get("destination"))
    if name is None or destination is None:
        return []
    named, region = _parts(image_name(name)), region_of(destination)
    if named is None or region is None:
        return []
    if parts[2] == "upload":
        status = text(message.msg.get("status")) or ""
        phase = STATUSES.get(status)
        if phase is None:
            return []
    else:  # a copy to another region, or the image made public there: each says it is done
        status, phase = {"copy": "copied", "publish": "published"}[parts[2]], SUCCEEDED
    extra = message.msg.get("extra")
    ami = text(extra.get("id")) if type(extra) is dict else None
    link, detail = _launch(region, ami)
    image, release, arch = named
    return [Milestone(f"image-upload/{image}/{release}/{arch}/{region}", phase, status, name, link, detail)]


def image_test(message: Message, parts: list[str]) -> list[Milestone]:
    tested = parts[:2] == ["autocloud", "image"] or parts[:2] == ["fedimg", "image"] and parts[2:] == ["test"]
    if len(parts) != 3 or not tested:
        return []
    name = text(message.msg.get("image_name"))
    if name is None:
        return []
    status = text(message.msg.get("status")) or parts[2]
    phase = STATUSES.get(status)
    named = _parts(image_name(name))
    if phase is None or named is None:
        return []
    image, release, _ = named
    release = part(message.msg.get("release")) or release
    link = text(message.msg.get("image_url"))
    return [Milestone(f"image-test/{image}/{release}", phase, status, name, link)]


def _places(provider: str, body: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Where an image was published, each with its AMI's id (AWS) or none."""
    if provider == "aws":
        regions = body.get("regions")
        return (
            [(region, ami if type(ami) is str else None) for region, ami in regions.items()]
            if type(regions) is dict
            else []
        )
    listed = body.get({"azure": "regions", "gcp": "storage_locations", "container": "registries"}.get(provider, ""))
    return [(place, None) for place in listed if type(place) is str] if type(listed) is list else []


def image_published(message: Message, parts: list[str]) -> list[Milestone]:
    if len(parts) < 4 or parts[:3] != ["fedora_image_uploader", "published", "v1"]:
        return []
    provider, body = parts[3], message.msg
    release, run = part(body.get("release")), part(body.get("compose_id"))
    if provider == "container":
        repository = text(body.get("repository"))
        image = part(f"{repository.rsplit('/', 1)[-1]} (container)") if repository else None
        arches = body.get("architectures")
        arch = arch_list(arches) if type(arches) is list else None
    else:
        kind = part(body.get("subvariant")) or part(body.get("image_name"))
        image = part(f"{kind} ({provider})") if kind else None
        arch = part(body.get("architecture"))
    if not (image and release and arch):
        return []
    found = []
    for place, ami in _places(provider, body):
        where = part(place)
        if where is None:
            continue
        link, detail = _launch(where, ami)
        found.append(
            Milestone(f"image-upload/{image}/{release}/{arch}/{where}", SUCCEEDED, "published", run, link, detail)
        )
    return found
