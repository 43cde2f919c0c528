"""A worker's side of the socket, run in this process: what it counts, what it reports, how it ends."""

from __future__ import annotations

import json
import socket
import threading
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection

import pytest

from statscache.config import Config
from statscache.ingest.meta import FEDORA_BUS
from statscache.pool import worker as worker_module
from statscache.store.engine import make_engine
from tests.fakes.support import recorded_lines, recount, stored

EPOCH = datetime(2015, 1, 1, tzinfo=UTC)


@pytest.fixture
def run_worker(tmp_path):
    """Start a worker on a thread; returns the consumer's end of its socket and the thread."""
    started = []

    def run(**fedmsg_config):
        ours, theirs = socket.socketpair()
        consumer, worker_end = Connection(ours.detach()), Connection(theirs.detach())
        settings = Config(
            sqlalchemy_uri=f"sqlite:///{tmp_path / 'stats.sqlite'}",
            consumer_epoch=EPOCH,
            plugins_enabled=("volume",),
            producer_frequency=timedelta(milliseconds=100),
        )
        worker = worker_module.Worker(worker_end, settings, {**FEDORA_BUS, **fedmsg_config}, first=True)
        thread = threading.Thread(target=worker.run)
        thread.start()
        started.append((consumer, thread))
        return consumer, thread, settings

    yield run
    for consumer, thread in started:
        consumer.close()
        thread.join(10)


def reports_until_stopped(consumer):
    reports = []
    while True:
        report = consumer.recv()
        reports.append(report)
        if report[0] == "stopped":
            return reports


def sampled(snapshot, name, labels):
    """A sample's value in a worker's report (keyed by family, then sample name and labels)."""
    [value] = [value for key, value in snapshot.items() if key[3:] == (name, labels)]
    return value


def test_a_worker_counts_what_it_is_handed_reports_its_claims_and_ends_on_stop(run_worker):
    consumer, thread, settings = run_worker()
    assert consumer.recv()[0] == "ready"
    lines = recorded_lines()
    consumer.send(("live", datetime.now(tz=UTC).timestamp()))
    consumer.send(("bodies", lines[:700]))
    consumer.send(("bodies", lines[700:]))
    consumer.send(("stop", None))
    reports = reports_until_stopped(consumer)
    thread.join(10)
    assert not thread.is_alive()
    kinds = {report[0] for report in reports}
    assert kinds <= {"flushed", "counted", "stopped"}
    _, unwritten, claim, metrics = reports[-1]
    assert unwritten == 0 and claim is not None
    assert sampled(metrics, "statscache_messages_total", (("outcome", "cached"),)) == len(lines)
    engine = make_engine(settings.sqlalchemy_uri)
    envelopes = [json.loads(line) for line in lines]
    assert stored(engine, "volume-1h") == recount(envelopes, "volume-1h")
    engine.dispose()


def test_a_worker_checks_signatures_with_the_hub_s_settings(run_worker, monkeypatch):
    import fedmsg.crypto

    lines = recorded_lines()[:40]
    ids = [json.loads(line)["msg_id"] for line in lines]
    trusted = set(ids[::2])

    def validate(envelope, **config):
        assert config["validate_signatures"] is True and config["ssldir"] == "/etc/pki/fedmsg"
        return envelope["msg_id"] in trusted

    monkeypatch.setattr(fedmsg.crypto, "validate", validate)
    consumer, thread, settings = run_worker(validate_signatures=True, ssldir="/etc/pki/fedmsg")
    assert consumer.recv()[0] == "ready"
    consumer.send(("bodies", lines))
    consumer.send(("stop", None))
    _, unwritten, _, metrics = reports_until_stopped(consumer)[-1]
    assert sampled(metrics, "statscache_rejected_messages_total", (("reason", "bad-signature"),)) == len(lines) - len(
        trusted
    )
    engine = make_engine(settings.sqlalchemy_uri)
    assert sum(stored(engine, "volume-1d").values()) == len(trusted)
    engine.dispose()


def test_a_worker_whose_consumer_is_gone_writes_its_final_flush_and_ends(run_worker):
    consumer, thread, settings = run_worker()
    assert consumer.recv()[0] == "ready"
    lines = recorded_lines()[:100]
    consumer.send(("bodies", lines))
    consumer.close()  # the hub died
    thread.join(10)
    assert not thread.is_alive()
    engine = make_engine(settings.sqlalchemy_uri)
    assert sum(stored(engine, "volume-1d").values()) == len({json.loads(line)["msg_id"] for line in lines})
    engine.dispose()
