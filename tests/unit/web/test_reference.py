"""The API reference's grouping of per-plugin operations, on small hand-written OpenAPI documents."""

from __future__ import annotations

from typing import Any

import pytest

from statscache.web.reference import A_COLUMN, Parameter, group
from statscache.web.templating import schema


def _query(name: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": f"About {name}.", "schema": schema}


def _statistics(table: str, columns: list[str], *parameters: dict[str, Any]) -> dict[str, Any]:
    rows = {"type": "array", "items": {"type": "object", "properties": {name: {} for name in columns}}}
    return {
        "get": {
            "summary": f"The {table}",
            "operationId": f"statistics_{table}",
            "parameters": list(parameters),
            "responses": {
                "200": {"description": "Rows", "content": {"application/json": {"schema": rows}}},
                "400": {"description": "Bad parameter"},
            },
        }
    }


DOCUMENT = {
    "paths": {
        "/api/": {"get": {"operationId": "listPlugins", "responses": {"200": {"description": "Plugins"}}}},
        "/api/volume-1h": _statistics(
            "volume_1h",
            ["timestamp", "volume"],
            _query("page", type="integer"),
            _query("sort", type="string", enum=["timestamp", "volume"]),
            _query("format", type="string"),
        ),
        "/api/by-category-1h": _statistics(
            "by_category_1h",
            ["timestamp", "category", "volume"],
            _query("page", type="integer"),
            _query("sort", type="string", enum=["timestamp", "category", "volume"]),
            _query("category", type="string"),
            _query("format", type="string"),
        ),
    }
}


def test_the_statistics_operations_are_one_group_and_the_others_stay_as_they_are():
    reference = group(DOCUMENT)
    assert [(o.method, o.path, o.operation["operationId"]) for o in reference.general] == [
        ("get", "/api/", "listPlugins")
    ]
    statistics = reference.statistics
    assert statistics is not None
    assert [(p.path, p.ident, p.operation_id, p.summary, p.columns) for p in statistics.paths] == [
        ("/api/volume-1h", "volume-1h", "statistics_volume_1h", "The volume_1h", ("timestamp", "volume")),
        (
            "/api/by-category-1h",
            "by-category-1h",
            "statistics_by_category_1h",
            "The by_category_1h",
            ("timestamp", "category", "volume"),
        ),
    ]
    assert statistics.responses == (("200", "Rows"), ("400", "Bad parameter"))


def test_parameters_are_listed_once_in_order_and_say_what_differs():
    parameters = {p.name: p for p in group(DOCUMENT).statistics.parameters}  # type: ignore[union-attr]
    assert list(parameters) == ["page", "sort", "category", "format"]
    assert parameters["page"] == Parameter("page", "query", False, "About page.", {"type": "integer"})
    assert parameters["sort"].accepts == A_COLUMN and parameters["sort"].only is None
    assert parameters["category"].only == "only for statistics with a category"
    assert parameters["format"].accepts is None and parameters["format"].only is None


def test_a_parameter_that_differs_otherwise_is_not_called_a_column():
    document = {
        "paths": {
            "/api/a": _statistics("a", ["timestamp"], _query("format", enum=["json"]), _query("x", type="string")),
            "/api/b": _statistics("b", ["timestamp", "x"], _query("format", enum=["csv"])),
        }
    }
    parameters = {p.name: p for p in group(document).statistics.parameters}  # type: ignore[union-attr]
    assert parameters["format"].accepts != A_COLUMN and parameters["format"].accepts
    assert parameters["x"].only == "only for some"  # the statistic with a column x does not have it


def test_a_document_without_plugins_has_no_statistics_group():
    reference = group({"paths": {"/api/": DOCUMENT["paths"]["/api/"]}})
    assert reference.statistics is None and len(reference.general) == 1
    assert group({}).general == ()


@pytest.mark.parametrize(
    ("described", "name", "expected"),
    [
        ({"type": "string", "enum": ["asc", "desc"], "default": "desc"}, "order", "asc | desc, default desc"),
        ({"type": "string", "enum": list("abcdefgh")}, "x", "a | b | c | d | e | f | g | h"),
        ({"type": "string", "enum": list("abcdefghi")}, "x", "one of 9 values"),
        ({"type": "string", "enum": list("abcdefghi")}, "ident", "one of the 9 idents listed by /api/"),
        (
            {"type": "array", "items": {"type": "string", "enum": list("abcdefghij")}},
            "x",
            "repeatable: one of 10 values",
        ),
    ],
)
def test_a_long_enum_is_counted_not_listed(described, name, expected):
    assert schema(described, name) == expected
