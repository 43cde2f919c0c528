"""The API's OpenAPI 3 description, built from the same declarations that parse requests."""

from __future__ import annotations

from typing import Any

from statscache.web import family
from statscache.web.coverage_report import RECENT_QUARANTINED
from statscache.web.formats import MEDIA_TYPES
from statscache.web.params import MAX_REPEATED, params_for, series_params, top_params
from statscache.web.series import MAX_POINTS, MAX_TOP
from statscache.web.state import State
from statscache.web.top import MAX_TOP as MAX_RANKED

_COLUMN_TYPES = {"timestamp": "number", "int": "integer", "float": "number", "str": "string", "bool": "boolean"}
_ERROR = {"$ref": "#/components/schemas/Error"}
_TEXT = {"type": "string"}


def document(state: State) -> dict[str, Any]:
    settings = state.config
    paths: dict[str, Any] = {
        "/api/": {
            "get": {
                "summary": "The plugins and what they count",
                "operationId": "listPlugins",
                "responses": {
                    "200": _formats({"type": "array", "items": {"$ref": "#/components/schemas/Plugin"}}),
                    "406": _error("None of the formats the client accepts"),
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This description",
                "operationId": "openapi",
                "responses": {"200": {"description": "OpenAPI 3", "content": {"application/json": {"schema": {}}}}},
            }
        },
        "/api/{ident}/layout": {
            "get": {
                "summary": "How pages for people present a plugin's statistics",
                "operationId": "layout",
                "parameters": [_ident_parameter(state)],
                "responses": {
                    "200": {"description": "The layout", "content": {"application/json": {"schema": {}}}},
                    "404": _error("Unknown plugin, or a plugin without layout"),
                },
            }
        },
        "/api/{ident}/board": {
            "get": {
                "summary": "A board's every tile, with its layout, in one answer (releng-dashboard)",
                "operationId": "board",
                "parameters": [_ident_parameter(state)],
                "responses": {
                    "200": {
                        "description": "The board",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Board"}}},
                    },
                    "404": _error("Unknown plugin, or a plugin that keeps no board"),
                },
            }
        },
        "/api/{ident}/coverage": {
            "get": {
                "summary": "The stretches of time for which a plugin's statistics are complete, and the gaps",
                "operationId": "coverage",
                "parameters": [_ident_parameter(state)],
                "responses": {
                    "200": {
                        "description": "The plugin's coverage",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Coverage"}}},
                    },
                    "404": _error("Unknown plugin"),
                },
            }
        },
    }
    paths["/api/{ident}/series"] = {
        "get": {
            "summary": "A plugin's statistics as time series for a chart, in one answer whatever the range holds",
            "operationId": "series",
            "parameters": [
                _ident_parameter(state),
                *(
                    _query_parameter(p.name, p.schema, p.description, p.repeatable)
                    for p in series_params(MAX_TOP, MAX_POINTS)
                ),
            ],
            "responses": {
                "200": {
                    "description": "Points a fixed step apart, one line per top category (or status) and other",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Series"}}},
                },
                "400": _error("A parameter that cannot be used; the detail names it and what it accepts"),
                "404": _error("Unknown plugin"),
            },
        }
    }
    ranked = [plugin.ident for plugin in state.plugins.values() if family.ranks(plugin)]
    paths["/api/{ident}/top"] = {
        "get": {
            "summary": "The categories (users, packages, topics...) with the highest totals over a range, exact",
            "operationId": "top",
            "parameters": [
                {**_ident_parameter(state), "schema": {"type": "string", "enum": ranked} if ranked else _TEXT},
                *(_query_parameter(p.name, p.schema, p.description, p.repeatable) for p in top_params(MAX_RANKED)),
            ],
            "responses": {
                "200": _formats({"type": "array", "items": _ranked_schema()}),
                "400": _error("A parameter that cannot be used; the detail names it and what it accepts"),
                "404": _error("Unknown plugin, or one without categories to rank"),
                "406": _error("None of the formats the client accepts"),
            },
        }
    }
    for plugin in state.plugins.values():
        columns = plugin.model.columns()
        parameters = params_for(
            settings.app_maximum_rows_per_page,
            settings.app_default_rows_per_page,
            plugin.model.filters,
            rollups=family.rolls_up(plugin),
        )
        query = [_query_parameter(p.name, p.schema, p.description, p.repeatable) for p in parameters]
        for parameter in query:
            if parameter["name"] == "sort":
                sortable = [column["name"] for column in columns if column["sortable"]]
                parameter["schema"] = {"type": "string", "enum": sortable}
        paths[f"/api/{plugin.ident}"] = {
            "get": {
                "summary": plugin.summary,
                "description": plugin.description,
                "operationId": f"statistics_{plugin.table_name}",
                "parameters": query,
                "responses": {
                    "200": {
                        **_formats({"type": "array", "items": _row_schema(columns)}),
                        "headers": {
                            "X-Total-Count": {"description": "Rows in the whole result", "schema": {"type": "integer"}},
                            "Link": {
                                "description": "First, previous, next and last pages (relative unless a base URL "
                                "is configured; links that would take the header past 2 KiB are left out)",
                                "schema": _TEXT,
                            },
                        },
                    },
                    "400": _error("A parameter that cannot be used; the detail names it and what it accepts"),
                    "406": _error("None of the formats the client accepts"),
                    "503": _error(
                        "stream=1 while the most exports this server runs at once are running (Retry-After says "
                        "when to try again); or the database has gone"
                    ),
                },
            }
        }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "statscache",
            "version": "1",
            "description": "Exact statistics of a fedmsg bus: each count is of distinct messages in its window.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "detail"],
                    "properties": {"error": _TEXT, "detail": _TEXT},
                },
                "Plugin": _plugin_schema(),
                "Coverage": _coverage_schema(),
                "Series": _series_schema(),
                "Board": _board_schema(),
            }
        },
    }


def _formats(json_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": "JSON (default), CSV or NDJSON, by the format parameter or the Accept header",
        "content": {
            MEDIA_TYPES["json"]: {"schema": json_schema},
            MEDIA_TYPES["csv"]: {"schema": _TEXT},
            MEDIA_TYPES["ndjson"]: {"schema": _TEXT},
            "application/javascript": {"schema": _TEXT},
        },
    }


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _ident_parameter(state: State) -> dict[str, Any]:
    return {
        "name": "ident",
        "in": "path",
        "required": True,
        "description": "The plugin's ident, as listed by /api/",
        "schema": {"type": "string", "enum": list(state.plugins)} if state.plugins else _TEXT,
    }


def _query_parameter(name: str, schema: dict[str, Any], description: str, repeatable: bool) -> dict[str, Any]:
    if repeatable:
        schema = {"type": "array", "items": schema, "maxItems": MAX_REPEATED}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _row_schema(columns: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [column["name"] for column in columns],
        "additionalProperties": False,
        "properties": {column["name"]: _column_schema(column) for column in columns},
    }


def _column_schema(column: dict[str, Any]) -> dict[str, Any]:
    if column["type"] == "list":
        return {"type": "array", "items": _TEXT, "description": column["description"]}
    if column["type"] == "object":
        return {"type": "object", "nullable": True, "description": column["description"]}
    if column["type"] == "timestamp":  # epoch seconds or milliseconds, or ISO 8601, as time_format says
        written = [{"type": "number"}, {"type": "string", "format": "date-time"}]
        return {"oneOf": written, "nullable": True, "description": column["description"]}
    return {"type": _COLUMN_TYPES.get(column["type"], "string"), "nullable": True, "description": column["description"]}


def _plugin_schema() -> dict[str, Any]:
    column = {
        "type": "object",
        "required": ["name", "type", "description", "sortable"],
        "properties": {"name": _TEXT, "type": _TEXT, "description": _TEXT, "sortable": {"type": "boolean"}},
    }
    return {
        "type": "object",
        "required": ["ident", "name", "summary", "description", "interval", "columns", "latest", "url", "coverage"],
        "properties": {
            "ident": _TEXT,
            "name": _TEXT,
            "summary": _TEXT,
            "description": _TEXT,
            "interval": {"type": "integer", "nullable": True, "description": "Window length in seconds"},
            "columns": {"type": "array", "items": column},
            "latest": {
                "type": "number",
                "nullable": True,
                "description": "Event time of the newest message counted (UTC epoch seconds)",
            },
            # Relative (/api/...) unless statscache.app.base_url is set.
            "url": {"type": "string", "format": "uri-reference"},
            "coverage": {
                "type": "object",
                "required": ["complete_since", "complete_until", "gaps"],
                "additionalProperties": False,
                "properties": {
                    "complete_since": _moment("Start of the last complete stretch"),
                    "complete_until": _moment("End of the last complete stretch"),
                    "gaps": {"type": "integer", "minimum": 0, "description": "Gaps before complete_until"},
                },
            },
        },
    }


def _moment(description: str, nullable: bool = True) -> dict[str, Any]:
    return {"type": "string", "format": "date-time", "nullable": nullable, "description": description}


def _coverage_schema() -> dict[str, Any]:
    stretch = {
        "start": _moment("Start (inclusive)", nullable=False),
        "end": _moment("End (inclusive)", nullable=False),
    }
    gap = {
        **stretch,
        "reason": {"type": "string", "nullable": True, "description": "Why the last fetch of it failed (null: none)"},
        "noted_at": _moment("When that failure was noted"),
    }
    quarantined = {
        "msg_id": _TEXT,
        "timestamp": _moment("The message's event time", nullable=False),
        "reason": {"type": "string", "description": "The error the plugin's update raised on it"},
        "noted_at": _moment("When it was quarantined", nullable=False),
    }
    return {
        "type": "object",
        "required": [
            "ident",
            "wanted_since",
            "complete",
            "complete_until",
            "gaps",
            "backlog_delta_seconds",
            "quarantined",
            "quarantined_recent",
        ],
        "additionalProperties": False,
        "properties": {
            "ident": _TEXT,
            "wanted_since": _moment("Where the statistics should begin: the epoch, or backlog_delta ago", False),
            "complete": {"type": "array", "items": _object(stretch), "description": "Complete stretches, oldest first"},
            "complete_until": _moment("End of the last complete stretch"),
            "gaps": {"type": "array", "items": _object(gap), "description": "Missing stretches, oldest first"},
            "backlog_delta_seconds": {"type": "integer", "nullable": True, "description": "History worth having"},
            "quarantined": {
                "type": "integer",
                "minimum": 0,
                "description": "Messages the plugin could not write (poison messages), left out of its statistics",
            },
            "quarantined_recent": {
                "type": "array",
                "items": _object(quarantined),
                "description": f"The latest of them, newest first (at most {RECENT_QUARANTINED})",
            },
        },
    }


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "additionalProperties": False, "properties": properties}


def _board_schema() -> dict[str, Any]:
    mark = _object(
        {
            "status": {"type": "string", "description": "The state as the message words it"},
            "time": {"type": "number", "description": "When (UTC epoch seconds)"},
            "msg_id": _TEXT,
            "run": {"type": "string", "nullable": True, "description": "The run: a compose id, a task id, an image"},
            "link": {"type": "string", "nullable": True, "description": "Where to read more"},
            "detail": {"type": "object", "nullable": True, "description": "A little more: its links, an AMI..."},
        }
    )
    marks = {phase: {**mark, "nullable": True} for phase in ("started", "succeeded", "failed")}
    summary = {
        "state": {"type": "string", "enum": ["started", "succeeded", "failed"], "description": "Its newest mark's"},
        "duration": {"type": "number", "nullable": True, "description": "Seconds its last run took, if known"},
        **marks,
    }
    item = _object(
        {
            "name": {"type": "string", "description": "What tells it apart within its tile (a region); or empty"},
            "category": {"type": "string", "description": "The cell"},
            "current": {"type": "boolean", "description": "Its success is of the tile's newest successful run"},
            **summary,
        }
    )
    tile = _object(
        {
            "row": _TEXT,
            "column": _TEXT,
            "stale": {"type": "boolean", "description": "Nothing new for longer than its group expects"},
            **summary,
            "items": {"type": "array", "items": item},
        }
    )
    group = _object(
        {
            "id": _TEXT,
            "title": _TEXT,
            "columns": {"type": "array", "items": _TEXT},
            "rows": {"type": "array", "items": _TEXT},
            "tiles": {"type": "array", "items": tile},
        }
    )
    return _object(
        {
            "ident": _TEXT,
            "title": _TEXT,
            "now": {"type": "number", "description": "When it was read (UTC epoch seconds)"},
            "layout": {"type": "object", "description": "The plugin's layout: its groups and their parts"},
            "groups": {"type": "array", "items": group},
        }
    )


def _series_schema() -> dict[str, Any]:
    line = {
        "name": _TEXT,
        "values": {"type": "array", "items": {"type": "integer"}, "description": "One value per time"},
        "other": {"type": "boolean", "description": "The sum of every category outside the top ones"},
    }
    seconds = {"type": "number", "description": "UTC epoch seconds"}
    return _object(
        {
            "ident": _TEXT,
            "start": {**seconds, "description": "The first point's start: the range widened to whole steps"},
            "stop": {**seconds, "description": "The last point's end (UTC epoch seconds)"},
            "latest": {**seconds, "nullable": True, "description": "The newest message counted (UTC epoch seconds)"},
            "measure": {"type": "string", "enum": ["volume", "rows"], "description": "What a value counts"},
            "window": {"type": "integer", "minimum": 1, "description": "The plugin's window in seconds"},
            "step": {"type": "integer", "minimum": 1, "description": "Seconds between points: whole windows"},
            "times": {"type": "array", "items": {"type": "integer"}, "description": "Each point's start"},
            "lines": {"type": "array", "items": _object(line)},
        }
    )


def _ranked_schema() -> dict[str, Any]:
    return _object(
        {
            "category": {"type": "string", "description": "What is ranked: a category, user, package, topic..."},
            "volume": {"type": "integer", "minimum": 1, "description": "Its total over the range"},
            "share": {"type": "number", "minimum": 0, "maximum": 1, "description": "Its part of all categories' total"},
        }
    )
