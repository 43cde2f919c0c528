"""What the web app raises on purpose: each is answered as JSON with a 4xx status (:mod:`statscache.web.answers`)."""

from __future__ import annotations

from statscache.exceptions import StatscacheError

#: How much of a bad name or value an error quotes back: enough to recognise, never the whole of a huge one.
_QUOTED = 40


class ApiError(StatscacheError):
    """An error answer: HTTP status, a short error, and a detail that says what to do."""

    def __init__(self, status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers or {}


class BadParameter(StatscacheError):
    """A query parameter that cannot be used; says which and what it accepts."""

    def __init__(self, name: str, accepts: str, value: str | None = None) -> None:
        self.name = name
        self.accepts = accepts
        self.value = value
        got = "" if value is None else f", not {_quoted(value)!r}"
        super().__init__(f"parameter {_quoted(name)!r} must be {accepts}{got}")


def _quoted(text: str) -> str:
    """``text``, cut short if long: error bodies must not grow with what a client sends."""
    return text if len(text) <= _QUOTED else text[:_QUOTED] + "…"


class NotAcceptable(StatscacheError):
    """The client accepts none of the formats the API can write."""
