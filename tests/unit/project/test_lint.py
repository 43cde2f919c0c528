import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent))


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]])
def test_ruff_is_clean(command):
    assert RUFF, "ruff is a test dependency: install with pip install -e '.[test]' (./test does)"
    paths = ["statscache", "tests", "bench", "examples", "fedmsg.d", "setup.py"]
    result = subprocess.run([RUFF, *command, *paths], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
