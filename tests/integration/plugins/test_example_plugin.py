"""The plugin package in examples/: installed, the hub loads it by its entry point and the API serves it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.fakes.support import recorded_envelopes, recorded_lines, stored
from tests.services.hub import ROOT, Bus, Hub, free_port, wait_for

pytestmark = pytest.mark.integration

EXAMPLE = ROOT / "examples" / "statscache-example-plugin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The example installed the way pip installs any package, into a folder put on PYTHONPATH."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            target,
            EXAMPLE,
        ],
        check=True,
        capture_output=True,
    )
    assert list(target.glob("statscache_example_plugin-*.dist-info/entry_points.txt"))
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(ROOT)])}


def test_the_hub_loads_the_example_and_the_api_serves_it(tmp_path, installed):
    bus = Bus()
    hub = Hub(tmp_path, bus, **{"statscache.plugins.enabled": ["volume", "volume-by-environment"]})
    hub.start(env=installed)
    try:
        hub.wait_ready()
        bus.publish(recorded_lines())
        hub.wait_handled(1302)
        assert hub.stop(signal.SIGTERM) < 5
    finally:
        hub.kill()
        bus.close()
    assert "volume-by-environment-1m, volume-by-environment-1h, volume-by-environment-1d" in hub.log
    engine = hub.engine()
    try:
        by_environment = stored(engine, "volume-by-environment-1d")
    finally:
        engine.dispose()
    assert {key for _, key in by_environment} == {"prod"}
    assert sum(by_environment.values()) == len({e["msg_id"] for e in recorded_envelopes()}) == 1300

    port = free_port()
    web = subprocess.Popen(
        [str(Path(sys.executable).with_name("statscache-web")), "--port", str(port)], cwd=tmp_path, env=installed
    )
    try:

        def served():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/volume-by-environment-1d?rows_per_page=100") as r:
                return sum(row["volume"] for row in json.load(r)) == 1300

        wait_for(served, 60, "the web app to serve the example plugin", web)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/") as response:
            listed = {plugin["ident"]: plugin for plugin in json.load(response)}
        assert listed["volume-by-environment-1h"]["name"] == "Volume by environment"
    finally:
        web.terminate()
        web.wait(10)


def test_the_examples_own_tests_pass_against_statscache_testing(installed):
    """The README's plugin guide: a plugin's tests need statscache.testing and nothing else."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=EXAMPLE,
        env=installed,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
