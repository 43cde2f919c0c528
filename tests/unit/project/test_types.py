import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_mypy_is_clean():
    assert importlib.util.find_spec("mypy"), (
        "mypy is a test dependency: install with pip install -e '.[test]' (./test does)"
    )
    # mypy.ini: strict on statscache/, missing imports allowed only for the untyped fedmsg and moksha.
    command = [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "statscache"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
