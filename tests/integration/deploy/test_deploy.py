"""The deployment files of ``deploy/``: the systemd units verify and the web unit's own command serves; the
container's entrypoint runs what its command names; the image builds where a container engine runs; Fedora's
example configuration passes check-config; the proxies point where the web unit listens."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from statscache.config import Config
from statscache.ingest.pipeline import Pipeline
from statscache.plugins import registry
from tests.fakes.support import EPOCH
from tests.services.hub import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
VENV_BIN = str(Path(sys.executable).parent)
STATSCACHE = str(Path(sys.executable).with_name("statscache"))


def unit_here(unit: Path, directory: Path) -> Path:
    """The unit with its programs taken from this test's virtualenv instead of /opt/statscache."""
    here = directory / unit.name
    here.write_text(unit.read_text().replace("/opt/statscache/bin", VENV_BIN))
    return here


def directives(unit: Path, name: str) -> list[str]:
    return [line.split("=", 1)[1] for line in unit.read_text().splitlines() if line.startswith(f"{name}=")]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_each_systemd_unit_verifies(unit, tmp_path):
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit_here(unit, tmp_path))], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_units_run_the_three_parts(tmp_path):
    commands = {unit.name: directives(unit, "ExecStart")[0] for unit in UNITS}
    assert commands["statscache-hub.service"].endswith("/fedmsg-hub")
    assert " consume --conf /etc/statscache/statscache.toml" in commands["statscache-consume.service"]
    assert (
        "gunicorn" in commands["statscache-web.service"] and "statscache.app:app" in commands["statscache-web.service"]
    )


def test_the_web_unit_command_serves_the_app_with_metrics_summed_over_its_workers(tmp_path, envelopes):
    database = tmp_path / "statscache.sqlite"
    settings = Config(sqlalchemy_uri=f"sqlite:///{database}", consumer_epoch=EPOCH)
    pipeline = Pipeline.open(settings, registry.load(settings))
    for envelope in envelopes[:200]:
        pipeline.handle(envelope)
    pipeline.close()
    conf = tmp_path / "statscache.toml"
    conf.write_text(
        'amqp_url = "amqp://guest:guest@127.0.0.1:1/%2F"\n'
        "[consumer_config]\n"
        f'"statscache.sqlalchemy.uri" = "sqlite:///{database}"\n'
        '"statscache.consumer.epoch" = 2015-01-01T00:00:00Z\n'
    )
    unit = DEPLOY / "systemd" / "statscache-web.service"
    port = free_port()
    command = shlex.split(directives(unit, "ExecStart")[0].replace("/opt/statscache/bin", VENV_BIN))
    command = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in command]
    environment = dict(os.environ)
    for assignment in directives(unit, "Environment"):
        name, value = assignment.split("=", 1)
        environment[name] = value
    assert environment["STATSCACHE_CONF"] == "/etc/statscache/statscache.toml"
    environment["STATSCACHE_CONF"] = str(conf)
    environment["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "multiprocess")  # the unit's RuntimeDirectory
    (tmp_path / "multiprocess").mkdir()
    web = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz/live", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert web.poll() is None and time.monotonic() < deadline, "gunicorn did not come up"
                time.sleep(0.2)
        for _ in range(20):
            with urllib.request.urlopen(f"{base}/api/volume-1d", timeout=10) as response:
                assert json.load(response)  # the rows 200 messages made
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            text = response.read().decode()
        served = {
            (sample.name, sample.labels.get("route"), sample.labels.get("status")): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        # 20 requests over 4 workers: the sum of all of them, whichever worker answered the scrape.
        assert served[("statscache_web_requests_total", "/api/<ident>", "200")] == 20
    finally:
        web.terminate()
        web.wait(30)


def test_the_container_entrypoint_runs_what_its_command_names(tmp_path):
    fakes = tmp_path / "bin"
    fakes.mkdir()
    for program in ("statscache", "fedmsg-hub", "gunicorn", "true"):
        fake = fakes / program
        fake.write_text(f'#!/bin/sh\necho "{program} $* (in $(pwd))"\n')
        fake.chmod(0o755)
    entrypoint = DEPLOY / "container" / "entrypoint"
    environment = {
        "PATH": f"{fakes}:/usr/bin:/bin",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "STATSCACHE_CONF": "/srv/statscache.toml",
    }

    def run(*argv: str) -> str:
        result = subprocess.run(
            ["sh", str(entrypoint), *argv], capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=30
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert run("consume") == f"statscache consume --conf /srv/statscache.toml (in {tmp_path})"
    assert run("web").startswith("gunicorn --workers 4 --timeout 60 --bind 0.0.0.0:8000 --chdir /etc/statscache")
    assert (tmp_path / "metrics").is_dir()
    assert run() == run("web")  # the image's default command
    assert run("statscache", "db", "upgrade") == f"statscache db upgrade (in {tmp_path})"


def _engine() -> str | None:
    for engine in ("podman", "docker"):
        if shutil.which(engine) and subprocess.run([engine, "info"], capture_output=True, timeout=60).returncode == 0:
            return engine
    return None


def test_the_container_image_builds_and_runs(tmp_path):
    engine = _engine()
    if engine is None:
        pytest.skip("no container engine runs here (podman or docker info fails): the image cannot be built")
    tag = f"statscache-test-{os.getpid()}"
    built = subprocess.run(
        [engine, "build", "-f", str(DEPLOY / "Containerfile"), "-t", tag, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    try:
        mounted = f"{DEPLOY / 'fedora' / 'statscache.toml'}:/etc/statscache/statscache.toml:ro"
        checked = subprocess.run(
            [
                engine,
                "run",
                "--rm",
                "-v",
                mounted,
                tag,
                "statscache",
                "check-config",
                "--conf",
                "/etc/statscache/statscache.toml",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "no problems" in checked.stdout
    finally:
        subprocess.run([engine, "rmi", "-f", tag], capture_output=True, timeout=300)


def test_fedoras_example_configuration_passes_check_config(tmp_path):
    result = subprocess.run(
        [STATSCACHE, "check-config", "--conf", str(DEPLOY / "fedora" / "statscache.toml")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "statscache.metrics.host = '0.0.0.0'" in result.stdout


def test_the_proxies_forward_to_where_the_web_unit_listens():
    command = directives(DEPLOY / "systemd" / "statscache-web.service", "ExecStart")[0]
    listens = re.search(r"--bind (\S+)", command)
    assert listens is not None
    for snippet in (DEPLOY / "proxy").iterdir():
        assert f"http://{listens[1]}/" in snippet.read_text(), snippet.name
