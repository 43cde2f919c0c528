"""JSON logs, as deploy/logging/ configures them: statscache consume's [log_config], the hub's fedmsg.d/ file,
and gunicorn's --log-config-json. Every line a JSON object a log collector can read."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.support import recorded_envelopes, recorded_lines
from tests.integration.hub.test_hub import EPOCH, SHUTDOWN_BUDGET
from tests.services.hub import Hub, free_port

pytestmark = pytest.mark.integration

LOGGING = Path(__file__).resolve().parents[3] / "deploy" / "logging"
BIN = Path(sys.executable).parent


def json_lines(text: str) -> list[dict]:
    """Every line that is a JSON object (fedmsg's own start-up lines come before the logging is configured)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def read_until(process: subprocess.Popen[str], wanted: str, timeout: float = 60) -> str:
    """What ``process`` wrote on stderr up to the first line holding ``wanted``."""
    assert process.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if wanted in line:
            return "".join(seen)
    raise AssertionError(f"never logged {wanted!r}:\n{''.join(seen)}")


def test_statscache_consume_applies_its_files_log_config(tmp_path):
    conf = tmp_path / "statscache.toml"
    conf.write_text(
        'amqp_url = "amqp://guest:guest@127.0.0.1:1/%2F"\n'  # no broker: the consumer logs its attempts
        "[consumer_config]\n"
        f'"statscache.sqlalchemy.uri" = "sqlite:///{tmp_path / "statscache.sqlite"}"\n\n'
        + (LOGGING / "consume-json.toml").read_text()
    )
    consumer = subprocess.Popen(
        [str(BIN / "statscache"), "consume", "--conf", str(conf)], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    try:
        logged = read_until(consumer, "statscache plugins:")
    finally:
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(60)
    [record] = [r for r in json_lines(logged) if r["logger"] == "statscache.plugins.registry"]
    assert record["level"] == "INFO" and record["message"].startswith("statscache plugins: ")
    assert set(record) >= {"time", "level", "logger", "message"}


def test_the_hub_logs_json_with_the_fedmsg_d_file(tmp_path, bus):
    hub = Hub(tmp_path, bus, **{"statscache.consumer.epoch": EPOCH})
    shutil.copy(LOGGING / "statscache_json_logs.py", tmp_path / "fedmsg.d")
    hub.start()
    try:
        hub.wait_ready()
        lines = recorded_lines()[:300]
        bus.publish(lines)
        hub.wait_handled(300)
        assert hub.stop(signal.SIGTERM) < SHUTDOWN_BUDGET
    finally:
        hub.kill()
    records = json_lines(hub.log)
    stopped = [r for r in records if r["logger"].startswith("statscache") and "statscache stopped" in r["message"]]
    assert stopped and stopped[-1]["level"] == "INFO"
    statscache_lines = [line for line in hub.log.splitlines() if "statscache." in line and "[statscache" in line]
    assert statscache_lines == []  # none left in the text format
    hub.assert_exact(recorded_envelopes()[:300])


def test_gunicorn_logs_json_with_its_log_config(tmp_path):
    port = free_port()
    web = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--log-config-json",
            str(LOGGING / "gunicorn-json.json"),
            "--bind",
            f"127.0.0.1:{port}",
            "statscache.app:app",
        ],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        logged = read_until(web, "Listening at")
    finally:
        web.terminate()
        web.wait(30)
    listening = [r for r in json_lines(logged) if "Listening at" in r["message"]]
    assert listening and listening[0]["logger"] == "gunicorn.error"
