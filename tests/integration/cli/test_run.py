"""The README's run command: statscache-run --demo starts the daemon and the web app, and stats appear."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.fakes.support import recorded_envelopes
from tests.services.hub import ROOT, free_port, wait_for, write_config

pytestmark = pytest.mark.integration

RUN = str(Path(sys.executable).with_name("statscache-run"))


def get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, dict(response.headers), response.read()


@pytest.fixture
def workdir(tmp_path):
    overrides = {"endpoints": {"local": [f"tcp://127.0.0.1:{free_port()}"]}}
    write_config(tmp_path, overrides)
    return tmp_path


def run_demo_until_counted(workdir: Path, *flags: str, check=None, timeout: float = 90) -> str:
    """Start ./run --demo with flags, wait until the 1,300 sample messages are counted, stop it; its log."""
    port = free_port()
    log = (workdir / "run.log").open("wb")
    process = subprocess.Popen([RUN, "--demo", *flags, "--port", str(port)], cwd=workdir, stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"

        def all_counted():
            _, _, body = get(f"{base}/api/volume-1d?rows_per_page=100")
            return sum(row["volume"] for row in json.loads(body)) == 1300

        wait_for(all_counted, timeout, "the 1,300 sample messages to be counted", process)
        if check is not None:
            check(base)
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    return (workdir / "run.log").read_text()


def test_demo_shows_the_recorded_statistics_on_the_web_then_stops_cleanly(workdir):
    def opens_on_the_overview_with_the_samples_charts(base):
        request = urllib.request.Request(f"{base}/", headers={"Accept": "text/html"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.headers["Content-Type"].startswith("text/html")
            page = response.read().decode()
        assert page.count('class="spark"') >= 10  # a chart for each statistic the sample feeds
        _, _, body = get(f"{base}/api/")
        listed = {plugin["ident"]: plugin for plugin in json.loads(body)}
        assert listed["volume-1d"]["latest"] == max(envelope["timestamp"] for envelope in recorded_envelopes())

    text = run_demo_until_counted(workdir, check=opens_on_the_overview_with_the_samples_charts)
    assert "demo: published 1302 recorded messages" in text
    assert "statscache stopped: received=1302 cached=1302 duplicate=2" in text  # the hub's final flush ran


def test_a_bad_configuration_stops_everything_with_a_clear_message(workdir):
    write_config(workdir, {"statscache.producer.frequncy": 1})  # a typo: neither part may start
    port = free_port()
    process = subprocess.run([RUN, "--port", str(port)], cwd=workdir, capture_output=True, text=True, timeout=120)
    assert process.returncode == 1
    assert "stopping the rest" in process.stderr
    assert "unknown configuration key 'statscache.producer.frequncy'" in process.stderr
    with pytest.raises(urllib.error.URLError):
        get(f"http://127.0.0.1:{port}/api/")


def test_the_app_module_serves_as_a_script_and_exposes_a_wsgi_app(workdir):
    port = free_port()
    script = subprocess.Popen([sys.executable, str(ROOT / "statscache" / "app.py"), "--port", str(port)], cwd=workdir)
    try:
        wait_for(lambda: get(f"http://127.0.0.1:{port}/api/")[0] == 200, 60, "python statscache/app.py", script)
    finally:
        script.terminate()
        script.wait(10)
    # What gunicorn loads: statscache.app:app, configured from the working directory.
    probe = "from statscache.app import app; print('volume-1d' in app.extensions['statscache'].plugins)"
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=workdir, capture_output=True, text=True, timeout=60)
    assert loaded.stdout.strip() == "True", loaded.stderr


def test_demo_over_amqp_counts_the_sample_through_a_local_rabbitmq(workdir):
    """./run --demo --amqp: a private RabbitMQ node, statscache consume and the web app, one file for all."""
    text = run_demo_until_counted(workdir, "--amqp", timeout=120)
    assert "published 1302 sample messages to the local RabbitMQ" in text
    assert "statscache consume stopped: 1302 deliveries taken in" in text
    assert 'amqp_url = "amqp://guest:guest@127.0.0.1:' in (workdir / "statscache-amqp.toml").read_text()


def test_amqp_without_rabbitmq_says_how_to_install_it(workdir):
    import statscache.demo.broker

    script = (
        "import sys, statscache.demo.broker as b; b.SBIN = b.SBIN / 'missing'; "
        "from statscache.cli.run import main; sys.argv = ['statscache-run', '--amqp']; main()"
    )
    assert statscache.demo.broker.SBIN.exists()
    done = subprocess.run([sys.executable, "-c", script], cwd=workdir, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "apt-get install rabbitmq-server" in done.stderr
