"""statscache-run killed outright: its children stop too (the hub with its final flush), none lives on."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from statscache.hub.shutdown import DEADLINE
from tests.services.hub import free_port, write_config

pytestmark = pytest.mark.integration

RUN = str(Path(sys.executable).with_name("statscache-run"))


def web_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/", timeout=2):
            return True
    except OSError:
        return False


def test_children_stop_when_statscache_run_is_killed(tmp_path):
    write_config(tmp_path, {"endpoints": {"local": [f"tcp://127.0.0.1:{free_port()}"]}})
    port = free_port()
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        run = subprocess.Popen([RUN, "--port", str(port)], cwd=tmp_path, stdout=log, stderr=log)
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 90
        while not (web_answers(port) and "Running the MokshaHub reactor" in log_path.read_text()):
            assert run.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.25)
        children = psutil.Process(run.pid).children()
        assert len(children) == 2
        run.send_signal(signal.SIGKILL)
        run.wait()
        _gone, alive = psutil.wait_procs(children, timeout=DEADLINE + 10)
        assert not alive, f"still running after statscache-run was killed: {alive}"
    finally:
        run.kill()
        for child in children:
            if child.is_running():
                child.kill()
    assert "statscache stopped:" in log_path.read_text()  # the hub wrote its final flush
