"""The package's shape: each transport's libraries are known only to its adapter (statscache.hub, statscache.amqp),
no module or package imports itself back, and exceptions live where the README says."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "statscache"
#: Each transport adapter, and the libraries that only it may import.
ADAPTERS = {
    "hub": ("moksha", "twisted", "fedmsg.consumers", "txzmq"),
    "amqp": ("pika", "fedora_messaging.api", "fedora_messaging.twisted"),
}


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at any depth (functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def outside(adapter: str) -> list[tuple[str, Path]]:
    return [(adapter, path) for path in sorted(PACKAGE.rglob("*.py")) if adapter not in path.relative_to(PACKAGE).parts]


@pytest.mark.parametrize(
    ("adapter", "path"),
    [case for adapter in ADAPTERS for case in outside(adapter)],
    ids=lambda value: str(value.relative_to(PACKAGE)) if isinstance(value, Path) else value,
)
def test_only_an_adapter_imports_its_transports_libraries(adapter, path):
    libraries = ADAPTERS[adapter]
    offending = {
        name for name in imported_modules(path) if any(name == lib or name.startswith(lib + ".") for lib in libraries)
    }
    assert not offending, f"{path.relative_to(PACKAGE)} imports {sorted(offending)}: only statscache/{adapter}/ may"


def test_the_check_sees_the_adapters_import_them():
    hub = set().union(*(imported_modules(path) for path in (PACKAGE / "hub").glob("*.py")))
    assert any(name.startswith("moksha") for name in hub) and "fedmsg.consumers" in hub
    amqp = set().union(*(imported_modules(path) for path in (PACKAGE / "amqp").glob("*.py")))
    assert "pika" in amqp


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def statscache_imports(path: Path) -> set[str]:
    """The statscache modules a source file imports, anywhere in it (type-checking imports included)."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from package import module`` imports that module (a name that is no module: the package).
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for name in candidates:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    found.discard(module_name(path))
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one node (or a node importing itself): the import circles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def package_of(module: str) -> str:
    """``statscache.ingest.flusher`` -> ``statscache.ingest``; top-level modules stand alone."""
    return ".".join(module.split(".")[:2])


def test_no_module_imports_itself_back():
    edges = {name: statscache_imports(path) for name, path in MODULES.items()}
    assert cycles(edges) == []


def test_no_package_imports_itself_back():
    """The packages form layers: the one below never reaches up, not even through a third."""
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        edges.setdefault(package_of(name), set()).update(
            package_of(target) for target in statscache_imports(path) if package_of(target) != package_of(name)
        )
    assert cycles(edges) == []


def test_the_circle_check_sees_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def exception_classes() -> list[tuple[str, str]]:
    """(module, class) of every exception class statscache defines."""
    found = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                (
                    base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
                ).endswith(("Error", "Exception", "Refused", "Unavailable", "Timeout"))
                for base in node.bases
            ):
                found.append((name, node.name))
    return found


def test_exceptions_live_where_the_readme_says():
    """Public exceptions in statscache.exceptions or a package's own errors module; the rest private to one module."""
    misplaced = [
        f"{module}.{name}"
        for module, name in exception_classes()
        if not name.startswith("_") and module != "statscache.exceptions" and not module.endswith(".errors")
    ]
    assert not misplaced
    assert ("statscache.history.errors", "HistoryUnavailable") in exception_classes()
