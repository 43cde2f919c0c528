"""The API reference as /docs shows it: the OpenAPI document's operations, the per-plugin ones as one group.

Every plugin has its own path, ``/api/<ident>``, with the same parameters and responses but for a few
details; listing each in full would repeat one table per plugin. :func:`group` keeps the general operations
as they are and folds the per-plugin ones into a single :class:`Statistics`: their parameters and responses
once, then one short :class:`PluginPath` per plugin. It reads only the document, so the page cannot drift
from what ``/api/openapi.json`` says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: The operationId prefix of the per-plugin statistics operations (``statistics_<table>``).
STATISTICS = "statistics_"
#: What ``accepts`` says of a parameter whose values are each plugin's own columns.
A_COLUMN = "a column of the statistic"


@dataclass(frozen=True)
class Operation:
    """One general operation, as the document has it."""

    method: str
    path: str
    operation: dict[str, Any]

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """Its parameters, in the shape the statistics' merged ones have (one table serves both)."""
        return tuple(_parameter(parameter) for parameter in self.operation.get("parameters", []))


@dataclass(frozen=True)
class Parameter:
    """A parameter of the statistics operations, merged over all of them.

    ``schema`` is the first operation's; ``accepts`` replaces what it says when the values differ per plugin
    (``None``: the schema says it); ``only`` names the statistics that have it when not all do (``None``: all).
    """

    name: str
    location: str
    required: bool
    description: str
    schema: dict[str, Any]
    accepts: str | None = None
    only: str | None = None


@dataclass(frozen=True)
class PluginPath:
    """One plugin's statistics path, in a line."""

    path: str
    ident: str
    method: str
    operation_id: str
    summary: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Statistics:
    """The per-plugin statistics operations as one: shared parameters and responses, then each path."""

    parameters: tuple[Parameter, ...]
    responses: tuple[tuple[str, str], ...]  # (status code, description), in the document's order
    paths: tuple[PluginPath, ...]


@dataclass(frozen=True)
class Reference:
    """What the API reference lists: the general operations, then the statistics (``None`` without plugins)."""

    general: tuple[Operation, ...]
    statistics: Statistics | None


def group(document: dict[str, Any]) -> Reference:
    """Split an OpenAPI document's operations into general ones and one group of per-plugin statistics.

    An operation is a statistics one when its operationId starts with :data:`STATISTICS`. Their parameters are
    listed once, in the order the operations give them; one that only some have is marked with what those
    have in common (``"only for statistics with a category"`` when exactly the statistics with a ``category``
    column have it), and one whose schema is each plugin's list of columns accepts :data:`A_COLUMN`.
    """
    general: list[Operation] = []
    statistics: list[tuple[str, str, dict[str, Any]]] = []
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            if str(operation.get("operationId", "")).startswith(STATISTICS):
                statistics.append((method, path, operation))
            else:
                general.append(Operation(method, path, operation))
    if not statistics:
        return Reference(tuple(general), None)
    columns = {path: _columns(operation) for _, path, operation in statistics}
    paths = tuple(
        PluginPath(
            path=path,
            ident=path.rstrip("/").rsplit("/", 1)[-1],
            method=method,
            operation_id=operation["operationId"],
            summary=operation.get("summary", ""),
            columns=columns[path],
        )
        for method, path, operation in statistics
    )
    return Reference(
        tuple(general),
        Statistics(_parameters(statistics, columns), _responses(op for _, _, op in statistics), paths),
    )


def _parameters(
    statistics: list[tuple[str, str, dict[str, Any]]], columns: dict[str, tuple[str, ...]]
) -> tuple[Parameter, ...]:
    order: list[str] = []  # each name once, after the one its first operation puts before it
    seen: dict[str, list[tuple[str, dict[str, Any]]]] = {}  # name -> (path, parameter) of each operation
    for _, path, operation in statistics:
        previous = -1
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if name not in seen:
                order.insert(previous + 1, name)
                seen[name] = []
            seen[name].append((path, parameter))
            previous = order.index(name)
    merged = []
    for name in order:
        having = seen[name]
        first = having[0][1]
        accepts = None
        if any(parameter.get("schema") != first.get("schema") for _, parameter in having):
            # sort: each plugin's stored columns (those computed as a row is served cannot order it).
            is_column = all(
                set(parameter.get("schema", {}).get("enum") or ()) <= set(columns[p]) for p, parameter in having
            )
            accepts = A_COLUMN if is_column else "depends on the statistic (see /api/openapi.json)"
        only = None
        if len(having) < len(statistics):
            with_column = {path for path, named in columns.items() if name in named}
            only = f"only for statistics with a {name}" if with_column == {p for p, _ in having} else "only for some"
        merged.append(_parameter(first, accepts, only))
    return tuple(merged)


def _parameter(described: dict[str, Any], accepts: str | None = None, only: str | None = None) -> Parameter:
    return Parameter(
        name=described["name"],
        location=described.get("in", ""),
        required=bool(described.get("required")),
        description=described.get("description", ""),
        schema=described.get("schema", {}),
        accepts=accepts,
        only=only,
    )


def _responses(operations: Iterable[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    responses: dict[str, str] = {}
    for operation in operations:
        for code, response in operation.get("responses", {}).items():
            responses.setdefault(str(code), response.get("description", ""))
    return tuple(responses.items())


def _columns(operation: dict[str, Any]) -> tuple[str, ...]:
    """The names of the properties of a row of the operation's 200 answer (its first array-of-objects schema)."""
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    for media in content.values():
        rows = media.get("schema", {})
        if rows.get("type") == "array" and "properties" in rows.get("items", {}):
            return tuple(rows["items"]["properties"])
    return ()
