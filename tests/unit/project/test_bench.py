"""The benchmark scripts still start: a script that no longer imports is a figure the README can no longer back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = sorted(path for path in (ROOT / "bench").glob("*.py") if "argparse" in path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_the_benchmark_script_starts(script):
    result = subprocess.run(
        [sys.executable, str(script), "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout


def test_every_benchmark_script_is_checked():
    assert {path.name for path in SCRIPTS} >= {"api.py", "backfill.py", "ingest.py", "ledger.py", "pages.py", "soak.py"}
