"""A hostile datagrepper: every answer is bounded in size, time and plausibility, and nothing refused is counted.

Each test serves the recorded month truthfully, except for the windows of
history that touch one poisoned day: those get the hostile answer. The
backfill must end with bounded requests and bytes, record the poisoned
stretch as a gap with its reason, and leave tables that hold exactly the
genuine messages of the stretches it claims as covered (none of the junk).
"""

from __future__ import annotations

import functools
import itertools
import math
import threading
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from statscache.config import Config
from statscache.history import fill
from statscache.history.backfill import MAX_WINDOW_PAGES, Backfill
from statscache.history.client import History
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from statscache.store import coverage
from statscache.web import create_app
from tests.fakes.fakegrepper import Answer, FakeDatagrepper, RawArchive
from tests.fakes.support import BUILTIN_IDENTS, recount, stored

EPOCH = datetime(2015, 10, 1, tzinfo=UTC).timestamp()
UNTIL = datetime(2015, 11, 1, tzinfo=UTC).timestamp()
# The recorded month runs from the 9th to the 28th: the windows before the poisoned day hold most of it.
POISON = (datetime(2015, 10, 26, tzinfo=UTC).timestamp(), datetime(2015, 10, 27, tzinfo=UTC).timestamp())
#: A poisoned day with complete history after it (the API shows gaps up to the last complete stretch).
EARLY_POISON = (datetime(2015, 10, 15, tzinfo=UTC).timestamp(), datetime(2015, 10, 16, tzinfo=UTC).timestamp())
#: Hostile answers a test's server gives at most, then 500s: the code before the fix would otherwise never stop.
HOSTILE_ANSWERS = 3000
#: Requests a backfill of the recorded month makes when all is well (about 25), with room to spare.
HONEST_REQUESTS = 60
MiB = 1024 * 1024


@pytest.fixture
def pipeline(tmp_path):
    config = Config(
        sqlalchemy_uri=f"sqlite:///{tmp_path / 'stats.sqlite'}",
        consumer_epoch=datetime.fromtimestamp(EPOCH, tz=UTC),
        datagrepper_endpoint="http://127.0.0.1:9/",
        datagrepper_lag=timedelta(seconds=5),
        plugins_enabled=("volume", "volume-by-category"),
    )
    made = Pipeline.open(config, registry.load(config))
    yield made
    made.engine.dispose()


def touches(params: dict[str, str], poison: tuple[float, float]) -> bool:
    return float(params["start"]) <= poison[1] and float(params["end"]) >= poison[0]


def junk(params: dict[str, str], count: int, tag: str) -> list[dict[str, Any]]:
    """``count`` well-formed envelopes that no bus ever carried, inside the window asked for."""
    start, end = float(params["start"]), float(params["end"])
    return [
        {
            "msg_id": f"junk-{tag}-{n}",
            "topic": "org.fedoraproject.prod.junk.flood",
            "timestamp": float(math.ceil(start) + n % max(1, int(end - start))),
            "msg": {},
        }
        for n in range(count)
    ]


def raw_page(params: dict[str, str], serving: int, tag: str, **override: Any) -> tuple[int, bytes]:
    """Page ``page`` of ``serving`` junk messages, as datagrepper would shape it (then ``override``)."""
    rows, number = int(params["rows_per_page"]), int(params["page"])
    on_page = max(0, min(rows, serving - (number - 1) * rows))
    body = {"raw_messages": junk(params, on_page, tag), "count": on_page, "total": serving}
    body["pages"] = math.ceil(serving / rows)
    body.update(override)
    return 200, orjson.dumps(body)


class Hostile:
    """A ``fault`` for FakeDatagrepper: ``behave(params, n)`` answers the n-th request that touches the poison."""

    def __init__(self, behave, poison: tuple[float, float] = POISON) -> None:
        self.behave = behave
        self.poison = poison
        self.answered = 0
        self._lock = threading.Lock()

    def __call__(self, params: dict[str, str]):
        if not touches(params, self.poison):
            return None
        with self._lock:
            self.answered += 1
            number = self.answered
        if number > HOSTILE_ANSWERS:
            return 500, b"the test's hostile server gives up"
        return self.behave(params, number)


def run_backfill(pipeline: Pipeline, history: History) -> tuple[Backfill, bool]:
    """Backfill the month; also whether it ended by itself (a generous bound that only guards against a hang)."""
    runner = Backfill(history, pipeline, frozenset(p.ident for p in pipeline.plugins), concurrency=4, lag=0)
    thread = threading.Thread(target=runner.run, args=(fill.plan(pipeline, UNTIL),), daemon=True)
    thread.start()
    thread.join(timeout=120)
    ended = not thread.is_alive()
    if not ended:
        runner.stop()
        thread.join(timeout=30)
    assert pipeline.flush()
    return runner, ended


def history_for(url: str, pipeline: Pipeline, **settings: Any) -> History:
    settings = {"timeout": timedelta(seconds=2), "retries": 1, "backoff": 0.01, **settings}
    return History(url, metrics=pipeline.metrics, **settings)


def assert_honest(
    pipeline: Pipeline,
    envelopes: list[dict[str, Any]],
    *reason_words: str,
    partial: bool = True,
    poison: tuple[float, float] = POISON,
) -> None:
    """The poisoned day is a gap with its reason; what is claimed as covered is counted exactly, junk never.

    ``partial``: the truthful windows were fetched (not so when datagrepper is out of reach: the run stops).
    """
    with pipeline.session_factory() as session:
        for ident in BUILTIN_IDENTS:
            covered = coverage.covered(session, ident)
            failed = coverage.failures(session, ident)
            middle = sum(poison) / 2
            assert not any(start <= middle <= end for start, end in covered), ident
            assert any(f.start <= middle <= f.end for f in failed), ident
            reasons = " ".join(f.reason for f in failed)
            assert all(word in reasons for word in reason_words), reasons
            genuine = [e for e in envelopes if any(start <= e["timestamp"] <= end for start, end in covered)]
            assert genuine or not partial, ident  # the truthful part of the month was fetched
            # What is neither covered nor a gap is left for later, never claimed: here, nothing.
            spans = sorted([*covered, *((f.start, f.end) for f in failed)])
            assert spans[0][0] <= EPOCH and max(end for _, end in spans) >= UNTIL, ident
            assert all(b[0] <= a[1] + 1e-6 for a, b in zip(spans, spans[1:], strict=False)), ident
            assert stored(pipeline.engine, ident) == recount(genuine, ident), ident


def refused(pipeline: Pipeline) -> float:
    return pipeline.metrics.value("statscache_history_requests", result="refused")


@pytest.mark.parametrize(
    ("claim", "why"),
    [
        pytest.param({"pages": 10**10, "total": 10**12}, "more than any bus sends", id="consistent-but-impossible"),
        pytest.param({"pages": 10**10, "total": 150}, "pages for a total", id="pages-against-total"),
    ],
)
def test_impossible_page_counts_are_refused(pipeline, envelopes, claim, why):
    hostile = Hostile(lambda params, n: raw_page(params, 150, f"pages{n}", **claim))
    with FakeDatagrepper(RawArchive(envelopes), fault=hostile) as server:
        runner, ended = run_backfill(pipeline, history_for(server.url, pipeline))
    assert ended
    assert server.requests <= HONEST_REQUESTS
    assert refused(pipeline) >= 1
    assert runner.progress.failed
    assert_honest(pipeline, envelopes, "refused", why)


def test_a_total_that_keeps_growing_is_refused(pipeline, envelopes):
    # Every answer claims 500 more messages than the one before, and serves them.
    hostile = Hostile(lambda params, n: raw_page(params, 2000 + 500 * n, f"grow{n}"))
    with FakeDatagrepper(RawArchive(envelopes), fault=hostile) as server:
        runner, ended = run_backfill(pipeline, history_for(server.url, pipeline))
    assert ended
    # A window's pages once, then its pieces' first pages once: bounded by the pages a window may have.
    assert server.requests <= HONEST_REQUESTS + 2 * MAX_WINDOW_PAGES
    assert hostile.answered < HOSTILE_ANSWERS
    # Rows held at once, waiting for their windows: a few windows' worth, not the flood.
    assert runner.progress.held_peak <= 3 * runner.max_window_bytes
    assert refused(pipeline) >= 1
    assert_honest(pipeline, envelopes, "total")


def test_junk_rows_of_a_window_refused_later_are_never_counted(pipeline, envelopes):
    # Page 1 of the poisoned window is plausible junk; page 2 is impossible (150 rows on a page of 100).
    def behave(params, n):
        if params["page"] == "1":
            return raw_page(params, 250, f"first{n}")
        return raw_page(params, 250, f"second{n}", raw_messages=junk(params, 150, f"second{n}"), count=150)

    with FakeDatagrepper(RawArchive(envelopes), fault=Hostile(behave, EARLY_POISON)) as server:
        runner, ended = run_backfill(pipeline, history_for(server.url, pipeline))
    assert ended and server.requests <= HONEST_REQUESTS
    assert refused(pipeline) >= 1
    assert_honest(pipeline, envelopes, "refused", "rows", poison=EARLY_POISON)
    # The gap and its reason are what the API shows.
    client = create_app(pipeline.config, plugins=pipeline.plugins, engine=pipeline.engine).test_client()
    gaps = client.get("/api/volume-1h/coverage").get_json()["gaps"]
    assert any("150 rows on a page of 100" in (gap["reason"] or "") for gap in gaps), gaps


@pytest.mark.parametrize(
    "row",
    [
        pytest.param({"timestamp": EPOCH - 86400}, id="outside-the-window"),
        pytest.param({"msg_id": None}, id="no-msg-id"),
        pytest.param({"timestamp": "yesterday"}, id="no-time"),
    ],
)
def test_rows_that_are_not_history_of_the_window_are_refused(pipeline, envelopes, row):
    def behave(params, n):
        rows = junk(params, 50, f"row{n}")
        rows[7] = {**rows[7], **row}
        return raw_page(params, 50, f"row{n}", raw_messages=rows)

    with FakeDatagrepper(RawArchive(envelopes), fault=Hostile(behave)) as server:
        runner, ended = run_backfill(pipeline, history_for(server.url, pipeline))
    assert ended and server.requests <= HONEST_REQUESTS
    assert refused(pipeline) >= 1
    assert_honest(pipeline, envelopes, "refused")


def test_a_count_that_disagrees_with_the_rows_is_refused(pipeline, envelopes):
    hostile = Hostile(lambda params, n: raw_page(params, 50, f"count{n}", count=20))
    with FakeDatagrepper(RawArchive(envelopes), fault=hostile) as server:
        runner, ended = run_backfill(pipeline, history_for(server.url, pipeline))
    assert ended and server.requests <= HONEST_REQUESTS
    assert_honest(pipeline, envelopes, "refused", "count")


def head_drip(params, n):
    """The status line, then a header that never ends, a byte at a time."""
    return Answer(itertools.chain([b"HTTP/1.1 200 OK\r\n", b"X-Slow: "], itertools.repeat(b"z")), drip=0.2, raw=True)


def body_drip(params, n):
    """Headers at once, then a body that never ends, a byte at a time."""
    return Answer(itertools.chain([b'{"raw_messages": ['], itertools.repeat(b" ")), drip=0.2)


@pytest.mark.parametrize("behave", [head_drip, body_drip], ids=["head", "body"])
def test_a_response_that_drips_meets_a_deadline(pipeline, envelopes, behave):
    # Each byte comes well within the 1 s timeout; the answer as a whole never does.
    hostile = Hostile(behave)
    with FakeDatagrepper(RawArchive(envelopes), fault=hostile) as server:
        runner, ended = run_backfill(pipeline, history_for(server.url, pipeline, timeout=timedelta(seconds=1)))
    assert ended, "the backfill hung on a dripping answer"
    assert hostile.answered <= 2  # one request and its one retry
    assert pipeline.metrics.value("statscache_history_requests", result="failed") >= 1
    # datagrepper is out of reach: the run stops, and every window not finished is a gap.
    assert_honest(pipeline, envelopes, "deadline", partial=False)


def endless_page(params, n):
    """A page that never ends: well-formed rows, 64 MiB of them, with no Content-Length."""
    row = orjson.dumps(junk(params, 1, f"huge{n}")[0]) + b","
    return Answer(itertools.chain([b'{"raw_messages": ['], itertools.repeat(row, 64 * MiB // len(row))))


def declared_page(params, n):
    """A page that says up front it is 400 MB long."""
    return Answer([b"{}"], headers={"Content-Type": "application/json", "Content-Length": str(400 * 10**6)})


@functools.cache
def bomb() -> bytes:
    """256 MiB of spaces, gzipped (a few hundred kB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join([*(packer.compress(b" " * MiB) for _ in range(256)), packer.flush()])


def compressed_page(params, n):
    """A small body that inflates to 256 MiB."""
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    return Answer([b"".join([bomb()])], headers={**headers, "Content-Length": str(len(bomb()))})


@pytest.mark.parametrize("behave", [endless_page, declared_page, compressed_page], ids=["streamed", "declared", "gzip"])
def test_a_huge_page_is_cut_off_at_the_cap(pipeline, envelopes, behave):
    hostile = Hostile(behave)
    with FakeDatagrepper(RawArchive(envelopes), fault=hostile) as server:
        history = history_for(server.url, pipeline, max_page_bytes=MiB)
        tracemalloc.start()
        try:
            runner, ended = run_backfill(pipeline, history)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak <= 32 * MiB  # the cap, a chunk, and the genuine month's pages
    assert ended and server.requests <= HONEST_REQUESTS
    assert hostile.answered == 1  # refused, not asked again
    # What the server got to send: the cap, and what the sockets' buffers hold.
    assert server.streamed <= 16 * MiB
    assert refused(pipeline) == 1
    assert_honest(pipeline, envelopes, "refused", "bytes")


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("elsewhere", id="another-host"),
        pytest.param("/other/raw", id="another-path"),
        pytest.param("https", id="another-scheme"),
        pytest.param("loop", id="round-in-circles"),
    ],
)
def test_a_redirect_off_the_endpoint_is_refused(pipeline, envelopes, target):
    flood = [dict(row, msg_id=f"elsewhere-{n}") for n, row in enumerate(envelopes)]
    with FakeDatagrepper(RawArchive(flood)) as elsewhere:
        base = elsewhere.url.rstrip("/")

        def redirect(params, n):
            query = "&".join(f"{k}={v}" for k, v in params.items())
            if target == "elsewhere":
                location = f"{base}/raw?{query}"
            elif target == "https":
                location = f"https://{base.removeprefix('http://')}/raw?{query}"
            elif target == "loop":
                location = f"/raw?{query}"  # within the endpoint, for ever
            else:
                location = f"{target}?{query}"
            return Answer([b""], status=302, headers={"Location": location, "Content-Length": "0"})

        with FakeDatagrepper(RawArchive(envelopes), fault=Hostile(redirect)) as server:
            url = server.url + "datagrepper/" if target in ("/other/raw", "https") else server.url
            if url != server.url:  # the endpoint has a path: serve it there (and /other/raw is outside it)
                server.prefix = "/datagrepper"
            runner, ended = run_backfill(pipeline, history_for(url, pipeline))
        assert elsewhere.requests == 0
    assert ended and server.requests <= HONEST_REQUESTS
    assert refused(pipeline) >= 1
    assert_honest(pipeline, envelopes, "refused", "redirect")


def test_a_redirect_within_the_endpoint_is_followed(pipeline, envelopes):
    moved = {"done": False}

    def redirect_once(params):
        if moved["done"] or params.get("moved"):
            return None
        moved["done"] = True
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return Answer([b""], status=301, headers={"Location": f"/raw?{query}&moved=1", "Content-Length": "0"})

    with FakeDatagrepper(RawArchive(envelopes), fault=redirect_once) as server:
        runner, ended = run_backfill(pipeline, history_for(server.url, pipeline))
    assert ended and not runner.progress.failed
    for ident in BUILTIN_IDENTS:
        assert stored(pipeline.engine, ident) == recount(envelopes, ident)
