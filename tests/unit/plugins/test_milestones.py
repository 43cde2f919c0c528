"""The milestone kind: each cell and phase keeps its newest mark, whatever the order, the copies and the
flushes; what a plugin may announce is checked."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from statscache.plugins import (
    FAILED,
    STARTED,
    SUCCEEDED,
    Batch,
    InvalidKey,
    Milestone,
    MilestonePlugin,
    board_group,
)
from statscache.plugins.milestones import MAX_DETAIL_BYTES, MAX_MILESTONES
from statscache.store import schema
from statscache.testing import message

CELLS = ["a/x", "a/y", "b/x"]
PHASES = [STARTED, SUCCEEDED, FAILED]


class Marks(MilestonePlugin):
    """Announces what its messages say: ``{"marks": [[cell, phase, status], ...]}``."""

    name = "Marks"
    summary = "Marks"
    description = "The marks its messages list."
    link_hosts = frozenset({"koji.fedoraproject.org"})

    def milestones(self, message: Any) -> list[Milestone]:
        return [Milestone(cell, phase, status) for cell, phase, status in message.msg["marks"]]


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[Any], list[list[Any]]]:
    """Distinct messages (times from a few seconds: ties), then their deliveries: shuffled, some twice,
    cut into flushes."""
    count = draw(st.integers(1, 30))
    messages = []
    for n in range(count):
        marks = draw(st.lists(st.tuples(st.sampled_from(CELLS), st.sampled_from(PHASES)), min_size=1, max_size=3))
        body = {"marks": [[cell, phase, f"m{n}"] for cell, phase in dict.fromkeys(marks)]}
        when = float(draw(st.integers(0, 4)))
        messages.append(message("org.fedoraproject.prod.x.y", body, timestamp=when, msg_id=f"2016-{n:03d}"))
    order = draw(st.permutations(messages + draw(st.lists(st.sampled_from(messages), max_size=10))))
    cuts = sorted(draw(st.lists(st.integers(0, len(order)), max_size=4)))
    flushes = [order[i:j] for i, j in zip([0, *cuts], [*cuts, len(order)], strict=True)]
    return messages, flushes


def stored(plugin: MilestonePlugin, flushes: list[list[Any]]) -> dict[tuple[str, str], tuple[str, str]]:
    """The table after each flush's new messages are written (a copy already written is not handed again)."""
    engine = create_engine("sqlite://")
    schema.prepare(engine, [plugin])
    written: set[str] = set()
    for flush in flushes:
        fresh = {m.msg_id: m for m in flush if m.msg_id not in written}
        written |= set(fresh)
        pairs = [(m.timestamp, plugin.process(m)) for m in fresh.values()]
        with Session(engine) as session, session.begin():
            plugin.update(session, Batch.of(pairs))
    with Session(engine) as session:
        rows = session.scalars(select(plugin.model)).all()
    engine.dispose()
    return {(row.category, row.phase): (row.status, row.msg_id) for row in rows}


@settings(max_examples=150, deadline=None)
@given(deliveries())
def test_each_cell_and_phase_keeps_its_newest_mark_whatever_the_order(drawn):
    messages, flushes = drawn
    expected: dict[tuple[str, str], tuple[float, str, str]] = {}
    for m in messages:
        for cell, phase, status in m.msg["marks"]:
            current = expected.get((cell, phase))
            if current is None or (m.timestamp, m.msg_id) > current[:2]:
                expected[(cell, phase)] = (m.timestamp, m.msg_id, status)
    found = stored(Marks(), flushes)
    assert found == {key: (status, msg_id) for key, (_, msg_id, status) in expected.items()}


def announce(milestones: list[Any]) -> Any:
    class Announcer(Marks):
        name = "Announcer"

        def milestones(self, message: Any) -> list[Any]:
            return milestones

    return Announcer().process(message("org.fedoraproject.prod.x.y", {}, timestamp=1.0, msg_id="2016-1"))


@pytest.mark.parametrize(
    "bad, says",
    [
        (Milestone("a//b", STARTED, "s"), "parts separated by '/'"),
        (Milestone("", STARTED, "s"), "parts separated by '/'"),
        (Milestone("a/", STARTED, "s"), "parts separated by '/'"),
        (Milestone("x" * 256, STARTED, "s"), "parts separated by '/'"),
        (Milestone("a/b", "finished", "s"), "phase is one of"),
        (Milestone("a/b", STARTED, "s\ud800"), "status"),
        (Milestone("a/b", STARTED, "s", run=""), "a run is"),
        (Milestone("a/b", STARTED, "s", detail=["x"]), "is a dict"),
        (Milestone("a/b", STARTED, "s", detail={"x": "y" * MAX_DETAIL_BYTES}), "at most 4096 bytes"),
        (Milestone("a/b", STARTED, "s", detail={"x": {1, 2}}), "is JSON"),
        (("a/b", STARTED, "s", None, None, None), "not a Milestone"),
    ],
)
def test_what_a_plugin_announces_is_checked(bad, says):
    with pytest.raises(InvalidKey, match=says):
        announce([bad])


def test_a_message_marks_at_most_so_many_cells():
    assert len(announce([Milestone(f"a/{n}", STARTED, "s") for n in range(MAX_MILESTONES)])[1]) == MAX_MILESTONES
    with pytest.raises(InvalidKey, match="at most 64 cells"):
        announce([Milestone(f"a/{n}", STARTED, "s") for n in range(MAX_MILESTONES + 1)])


def test_links_are_kept_only_to_the_plugins_hosts():
    good = "https://koji.fedoraproject.org/koji/taskinfo?taskID=1"
    (kept,) = announce(
        [Milestone("a/b", SUCCEEDED, "s", "1", "javascript:alert(1)", {"links": [good, "https://evil.example/"]})]
    )[1]
    assert kept.link is None and kept.detail == {"links": [good]}
    assert announce([]) is None  # nothing announced: no contribution


def test_ties_on_time_go_to_the_larger_msg_id_in_any_order():
    messages = [
        message(
            "org.fedoraproject.prod.x.y",
            {"marks": [["a/x", STARTED, f"m{n}"]]},
            timestamp=float(n % 3),
            msg_id=f"2016-{n}",
        )
        for n in range(20)
    ]
    shuffled = messages[:]
    random.Random(7).shuffle(shuffled)
    once = stored(Marks(), [messages])
    # The newest second is 2 (n = 2, 5, ..., 17); of those msg_ids, "2016-8" is the largest string.
    assert once == {("a/x", STARTED): ("m8", "2016-8")}
    assert stored(Marks(), [shuffled[:7], shuffled[7:] + messages]) == once


def test_a_board_group_is_named_by_a_pattern_of_its_cells():
    group = board_group("uploads", "Uploads", "image-upload/<image>/<region>", ["image"], items=["region"])
    assert group == {
        "id": "uploads",
        "title": "Uploads",
        "prefix": "image-upload/",
        "parts": ["image", "region"],
        "rows": ["image"],
        "columns": [],
        "items": ["region"],
    }
    for bad in ("image-upload/<image>/region", "image-upload/<image>//<region>", "x/<a>/<b"):
        with pytest.raises(ValueError, match="parts named"):
            board_group("g", "G", bad, ["image"])
    with pytest.raises(ValueError, match="rows among them"):
        board_group("g", "G", "x/<a>", ["b"])
