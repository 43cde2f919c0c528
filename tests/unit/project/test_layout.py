"""The package's shape: the bus's libraries are known only to its adapter, statscache.hub."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "statscache"
#: Libraries of the fedmsg-hub transport: only statscache/hub/ may import them.
HUB_ONLY = ("moksha", "twisted", "fedmsg.consumers", "txzmq")


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at any depth (functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def outside_the_hub() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "hub" not in path.relative_to(PACKAGE).parts)


@pytest.mark.parametrize("path", outside_the_hub(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_only_the_hub_adapter_imports_the_hub_libraries(path):
    offending = {
        name for name in imported_modules(path) if any(name == lib or name.startswith(lib + ".") for lib in HUB_ONLY)
    }
    assert not offending, f"{path.relative_to(PACKAGE)} imports {sorted(offending)}: only statscache/hub/ may"


def test_the_check_sees_the_hub_adapter_import_them():
    hub = set().union(*(imported_modules(path) for path in (PACKAGE / "hub").glob("*.py")))
    assert any(name.startswith("moksha") for name in hub) and "fedmsg.consumers" in hub
