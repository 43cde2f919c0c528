"""Reading the archive's database: coverage is recorded as the rows pass, never ahead of a message."""

from __future__ import annotations

import pytest

from statscache.history import archive
from statscache.span import TICK, Span, Stretch


class Rows:
    """An archive of given timestamps (ordered, ties included)."""

    def __init__(self, times: list[float]) -> None:
        self.times = times

    def envelopes(self, span: Span):
        for n, moment in enumerate(self.times):
            if span.start <= moment <= span.end:
                yield {"msg_id": f"m{n}", "timestamp": moment}


class Sink:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def handle_history(self, envelope, audience=None) -> None:
        self.events.append(("message", envelope["timestamp"], audience))

    def checkpoint(self, start, end, idents) -> None:
        self.events.append(("covered", start, end, frozenset(idents)))

    def note_failure(self, start, end, idents, reason) -> None:
        raise AssertionError("nothing fails here")


def test_coverage_follows_the_rows_and_never_splits_a_tie():
    hour = archive.WINDOW
    times = [10.0, 10.0, 20.0, hour + 5, hour + 5, hour + 5, 3 * hour, 3 * hour, 5 * hour + 1]
    sink = Sink()
    stretch = Stretch(Span(0.0, 6 * hour), frozenset({"volume-1h"}))
    count = archive.fill(Rows(times), sink, [stretch], frozenset({"volume-1h", "volume-1d"}))
    covered = [event[1:3] for event in sink.events if event[0] == "covered"]
    # Contiguous, from the stretch's start to its end.
    assert covered[0][0] == 0.0 and covered[-1][1] == 6 * hour
    assert all(a[1] == b[0] for a, b in zip(covered, covered[1:], strict=False))
    # Each record comes after every message it covers, and before any message it does not.
    handed: list[float] = []
    for event in sink.events:
        if event[0] == "message":
            handed.append(event[1])
            assert event[2] == frozenset({"volume-1h"})  # history for some plugins only
        else:
            start, end = event[1:3]
            inside = [t for t in times if start <= t <= end]
            assert all(t in handed for t in inside)
            assert all(t > end for t in times if t not in handed)
    assert sorted(handed) == times and count == len(times)
    assert any(end == hour + 5 - TICK for _, end in covered)  # just before the tie at hour + 5, not inside it


def test_every_plugin_gets_history_without_an_audience():
    sink = Sink()
    stretch = Stretch(Span(0.0, 100.0), frozenset({"a", "b"}))
    archive.fill(Rows([1.0, 2.0]), sink, [stretch], frozenset({"a", "b"}))
    assert [event[2] for event in sink.events if event[0] == "message"] == [None, None]
    assert [event[1:3] for event in sink.events if event[0] == "covered"] == [(0.0, 100.0)]


def test_windows_cut_a_stretch_at_hours_into_about_so_many_messages():
    hour = float(archive.SLOT)
    stretch = Stretch(Span(10.0, 10 * hour + 5), frozenset({"volume-1h"}))
    hours = [(0.0, 3), (hour, 4), (2 * hour, 50), (3 * hour, 1), (7 * hour, 2), (10 * hour, 6)]
    cut = archive.windows(stretch, hours, per_window=8)
    assert [window.expected for window in cut] == [7, 50, 3, 6]
    spans = [window.stretch.span for window in cut]
    # The whole stretch, windows touching end to start, each cut just before an hour begins.
    assert spans[0].start == 10.0 and spans[-1].end == 10 * hour + 5
    assert all(
        b.start - a.end == pytest.approx(TICK) and b.start % hour == 0 for a, b in zip(spans, spans[1:], strict=False)
    )
    assert all(window.stretch.idents == stretch.idents for window in cut)
    # An hour denser than a window is one window of its own, not more.
    assert spans[1] == Span(2 * hour, 3 * hour - TICK)


def test_an_empty_stretch_is_one_window():
    stretch = Stretch(Span(5.0, 50.0), frozenset({"a"}))
    assert archive.windows(stretch, [], per_window=10) == [archive.Window(stretch, 0)]
    # The survey's first hour may begin before the stretch: no window starts before it.
    assert archive.windows(stretch, [(0.0, 30)], per_window=10) == [archive.Window(stretch, 30)]
