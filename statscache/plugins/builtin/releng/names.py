"""Reading the fields release engineering's messages share: topics, text, names that become cell parts."""

from __future__ import annotations

from statscache.plugins import Message

#: Where composes and koji's work directories are served.
KOJIPKGS = "https://kojipkgs.fedoraproject.org"
KOJI_COMPOSES = f"{KOJIPKGS}/compose/"
BODHI = "https://bodhi.fedoraproject.org"
#: Architectures a name may carry (``Fedora-Cloud-Base-22-20151009.x86_64``, ``Fedora-Live-KDE-i686``).
ARCHES = frozenset(
    {"x86_64", "i386", "i486", "i586", "i686", "aarch64", "armhfp", "armv7hl", "ppc64le", "ppc64", "s390x", "noarch"}
)


def subject(topic: str) -> list[str]:
    """The topic's parts after ``<org>.<site>.<env>``: ``compose.rawhide.mash.start`` -> its four parts."""
    return topic.split(".")[3:]


def environment(topic: str) -> str:
    """``prod``, ``stg`` or ``dev``: the topic's third part."""
    parts = topic.split(".", 3)
    return parts[2] if len(parts) > 3 else ""


def text(value: object) -> str | None:
    """A non-empty string, else None (a field may be missing, null, or of another type)."""
    return value if isinstance(value, str) and value else None


def part(value: object) -> str | None:
    """A value as one part of a cell: text (or a small number) without ``/``; None when there is none."""
    if type(value) is int and 0 <= value < 10**9:  # release numbers are sometimes sent as numbers
        value = str(value)
    found = text(value)
    if found is None or "/" in found:
        return None
    return found.strip() or None


def field(message: Message, *path: str) -> object:
    """``message.msg[path[0]][path[1]]...``, or None where a step is missing or not a dict."""
    value: object = message.msg
    for key in path:
        if type(value) is not dict:
            return None
        value = value.get(key)
    return value


def arch_list(value: object) -> str | None:
    """Architectures a message lists (a list, or a string of them separated by commas or spaces), the known
    ones sorted and joined by commas (``aarch64,x86_64``); None when it lists none."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if type(value) is not list:
        return None
    return ",".join(sorted({arch for arch in value if type(arch) is str and arch in ARCHES})) or None
