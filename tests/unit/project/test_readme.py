from pathlib import Path

import docutils.core

ROOT = Path(__file__).resolve().parents[3]


def test_readme_renders_without_warnings():
    docutils.core.publish_string(
        (ROOT / "README.rst").read_text(encoding="utf-8"),
        writer="null",
        settings_overrides={"report_level": 2, "halt_level": 2},
    )


def test_readme_gives_the_run_and_test_commands_that_exist():
    readme = (ROOT / "README.rst").read_text(encoding="utf-8")
    assert "    ./run --demo\n" in readme and (ROOT / "run").stat().st_mode & 0o111
    assert "statscache-run" in (ROOT / "run").read_text(encoding="utf-8")
    assert "    ./test\n" in readme and (ROOT / "test").stat().st_mode & 0o111
    assert "exec ./test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
