"""Links a plugin may serve: http(s) URLs to the hosts the plugin names, and nothing else.

A link in a message is the sender's to choose: a ``javascript:`` URL, or a host
pieced together from a message field (``x/../../evil.example#``), would be
served by statscache as if it vouched for it. A link passes only if it is
short, printable ASCII, http or https, without user info or port, and its host
is one the plugin lists. What a browser might read otherwise than Python does
(backslashes, whitespace, control characters) is refused outright.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection

__all__ = ["MAX_LINK_LENGTH", "safe_link", "host_allowed"]

#: Longest link served (browsers and servers agree on URLs up to 2,000 characters or so).
MAX_LINK_LENGTH = 2048
#: One DNS label, as ``*.`` in a host pattern matches it.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
#: Where the host of an http(s) URL ends (backslashes, which browsers also end it at, are refused before).
_HOST_END = re.compile(r"[/?#]")


def host_allowed(host: str, hosts: Collection[str]) -> bool:
    """Whether ``host`` (lowercase) is one of ``hosts``: names, or ``*.example.org`` for one label before it."""
    if host in hosts:
        return True
    for pattern in hosts:
        suffix = pattern[1:]  # ".example.org" of "*.example.org"
        if pattern.startswith("*.") and host.endswith(suffix) and _LABEL.fullmatch(host[: -len(suffix)]):
            return True
    return False


def safe_link(link: object, hosts: Collection[str]) -> str | None:
    """``link`` itself if it is safe to serve as a link to one of ``hosts``, else None."""
    if type(link) is not str or not 0 < len(link) <= MAX_LINK_LENGTH:
        return None
    if not link.isascii():  # before the cache: what it holds is ASCII, of a known size
        return None
    return _checked(link, hosts if type(hosts) is frozenset else frozenset(hosts))


@functools.lru_cache(maxsize=1024)  # links repeat (an image's, at each step); ASCII of at most 2 KiB: 2 MiB in all
def _checked(link: str, hosts: frozenset[str]) -> str | None:
    # isprintable() refuses tabs, newlines and other controls, which URL parsers drop or keep as they please.
    if not link.isprintable() or " " in link or "\\" in link:
        return None
    scheme = link[:8].lower()
    if scheme.startswith("https://"):
        rest = link[8:]
    elif scheme.startswith("http://"):
        rest = link[7:]
    else:
        return None
    end = _HOST_END.search(rest)
    host = (rest if end is None else rest[: end.start()]).lower()
    # No user info ("known@evil") and no port: the host is a plain name, to be found among the plugin's.
    return link if host and host_allowed(host, hosts) else None
