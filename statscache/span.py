"""Spans of time: the one type for "from this moment to that one", and what spans leave uncovered.

Times are UTC epoch seconds (floats), both ends inclusive, to the microsecond
(:data:`TICK`, datagrepper's resolution): spans less than a microsecond apart touch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

#: The resolution of times: datagrepper keeps them to the microsecond.
TICK = 1e-6
#: Spans closer than this touch (a tick apart, give or take float rounding).
TOUCHING = 1.5 * TICK


class Span(NamedTuple):
    """From ``start`` to ``end``, both included (UTC epoch seconds)."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def as_json(self) -> dict[str, str]:
        return {"start": iso(self.start), "end": iso(self.end)}


class Stretch(NamedTuple):
    """A span of time and the plugins (by ident) it concerns: history they miss, or have been handed whole."""

    span: Span
    idents: frozenset[str]


def iso(timestamp: float) -> str:
    """A time as ISO 8601, in UTC."""
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def uncovered(spans: Sequence[Span], since: float, until: float) -> list[Span]:
    """What of ``since .. until`` the (sorted, merged) ``spans`` leave uncovered."""
    gaps: list[Span] = []
    cursor = since
    for start, end in spans:
        if end < cursor:
            continue
        if start > until:
            break
        if start > cursor + TOUCHING:
            gaps.append(Span(cursor, min(start, until)))
        cursor = max(cursor, end)
    if cursor + TOUCHING < until:
        gaps.append(Span(cursor, until))
    return gaps


def merged(spans: Iterable[Span]) -> list[Span]:
    """``spans`` sorted, those that overlap or touch made one."""
    result: list[Span] = []
    for span in sorted(spans):
        if result and span.start <= result[-1].end + TOUCHING:
            result[-1] = Span(result[-1].start, max(result[-1].end, span.end))
        else:
            result.append(span)
    return result
