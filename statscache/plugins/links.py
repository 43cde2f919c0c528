"""Links a plugin may serve: http(s) URLs to the hosts the plugin names, and nothing else.

A link in a message is the sender's to choose: a ``javascript:`` URL, or a host
pieced together from a message field (``x/../../evil.example#``), would be
served by statscache as if it vouched for it. A link passes only if it is
short, printable ASCII, http or https, without user info or port, and its host
is one the plugin lists. What a browser might read otherwise than Python does
(backslashes, whitespace, control characters) is refused outright.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import urlsplit

__all__ = ["MAX_LINK_LENGTH", "safe_link", "host_allowed"]

#: Longest link served (browsers and servers agree on URLs up to 2,000 characters or so).
MAX_LINK_LENGTH = 2048
#: One DNS label, as ``*.`` in a host pattern matches it.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


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
    # isprintable() refuses tabs, newlines and other controls, which URL parsers drop or keep as they please.
    if not link.isascii() or not link.isprintable() or " " in link or "\\" in link:
        return None
    try:
        parts = urlsplit(link)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    netloc = parts.netloc
    if parts.scheme not in ("http", "https") or not netloc or "@" in netloc or ":" in netloc:
        return None
    return link if host_allowed(netloc.lower(), hosts) else None
