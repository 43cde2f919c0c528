"""Headers every response carries so that a browser treats it only as what it says it is."""

from __future__ import annotations

from flask import Response

#: Answers that are data: nothing in them may load, run or be framed.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
#: Pages for people (none yet): their own scripts and styles, nothing from other hosts, never framed elsewhere.
PAGE_POLICY = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"


def secure(response: Response) -> Response:
    """Forbid content sniffing, and loading anything from other hosts."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    policy = PAGE_POLICY if response.mimetype == "text/html" else DATA_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
