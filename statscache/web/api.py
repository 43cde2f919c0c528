"""The routes under ``/api/``: the plugins, their statistics, layouts and coverage, and the API's own description."""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request, url_for
from sqlalchemy import Connection, func, select

from statscache.plugins import BasePlugin
from statscache.plugins.kinds import utc
from statscache.plugins.models import Serving
from statscache.span import Span
from statscache.store import levels
from statscache.store.base import epoch_seconds
from statscache.web import board, coverage_report, family, formats, series, top
from statscache.web.errors import ApiError, BadParameter, NotAcceptable
from statscache.web.params import Query, parse_query, parse_series_query, parse_top_query
from statscache.web.rollups import RolledRows, parse_rollup
from statscache.web.rows import Rows
from statscache.web.state import State

api = Blueprint("api", __name__, url_prefix="/api")

#: The most bytes of ``Link`` header a page carries. Proxies refuse responses whose headers outgrow
#: a buffer of 4 or 8 KiB (nginx's ``proxy_buffer_size``): links that do not fit are left out.
LINK_LIMIT = 2048
#: Which links to keep first when not all fit.
_LINK_PRIORITY = ("next", "prev", "first", "last")


def state() -> State:
    installed: State = current_app.extensions["statscache"]  # Flask types extensions as dict[str, Any]
    return installed


@api.get("/")
def plugins() -> Response:
    """One object per plugin: what it is, its columns, and up to when it is complete."""
    fmt = _format(None)
    latest = state().latest_by_ident()
    covered = coverage_report.read_all(state())
    now = coverage_report.clock()
    described = [
        _describe(plugin, latest.get(plugin.ident), covered.get(plugin.ident, []), now)
        for plugin in state().plugins.values()
    ]
    if fmt == "csv":
        flat = [_flat(item) for item in described]
        names = list(flat[0]) if flat else ["ident"]
        return _respond(formats.csv_text(names, [list(item.values()) for item in flat]), "csv")
    if fmt == "ndjson":
        return _respond(formats.ndjson_objects(described), "ndjson")
    return _respond(formats.json_bytes(described), "json")


@api.get("/openapi.json")
def openapi() -> Response:
    from statscache.web.openapi import document

    return _respond(formats.json_bytes(document(state())), "json")


@api.get("/<ident>")
def statistics(ident: str) -> Response:
    """The rows of one plugin: filtered, ordered, paged (or streamed), in JSON, CSV or NDJSON."""
    plugin = plugin_named(ident)
    settings = state().config
    query = parse_query(
        request.args,
        columns=plugin.model.column_names(),
        maximum_rows=settings.app_maximum_rows_per_page,
        default_rows=settings.app_default_rows_per_page,
        filters=plugin.model.filters,
        default_sort=plugin.model.default_sort,
        rollups=family.rolls_up(plugin),
    )
    fmt = "json" if query.callback is not None else _format(query.format)
    rows = _selected(plugin, query)
    if query.stream:
        if query.callback is not None:
            raise BadParameter("stream", "left out with callback (JSONP is one page)", "1")
        return _stream(rows, fmt)
    if not state().has_table(plugin.model.__tablename__):
        total, values = 0, []  # the daemon has not created it yet: nothing counted
    else:
        with state().snapshot() as connection:
            # The tally finds a page's rows by time: it serves rows ordered by time alone.
            tallied = (
                isinstance(rows, Rows)
                and query.sort is None
                and query.only_categories
                and state().has_tally(rows.plugin, connection)
            )
            page = rows.page(connection, tallied=tallied)
        total, values = page.total, page.values
    if fmt == "csv":
        response = _respond(formats.csv_text(rows.names, values), "csv")
    elif fmt == "ndjson":
        response = _respond(formats.ndjson_bytes(rows.names, values), "ndjson")
    elif query.callback is not None:
        body = formats.jsonp_bytes(query.callback, formats.records(rows.names, values))
        response = Response(body, mimetype="application/javascript")
    else:
        response = _respond(formats.json_bytes(formats.records(rows.names, values)), "json")
    response.headers["X-Total-Count"] = str(total)
    links = _links(query, total)
    if links:
        response.headers["Link"] = links
    return response


def _selected(plugin: BasePlugin, query: Query) -> Rows | RolledRows:
    """The rows a request selects: the plugin's own, or those of its rollup (from the table that holds it)."""
    serving = Serving(now=time.time(), datagrepper=state().config.datagrepper_endpoint)
    if query.interval is None:
        return Rows(plugin, query, serving)
    rollup = parse_rollup(query.interval, plugin)
    kin = _family(plugin)
    same = [member for member in kin.members if rollup.seconds == family.window(member) and not rollup.offset]
    if same:  # a member's windows are the ones asked for: its rows, as they are, the range widened the same
        low = None if query.start is None else utc(rollup.start_of(query.start.timestamp()))
        high = None if query.stop is None else utc(rollup.end_of(query.stop.timestamp()))
        return Rows(same[0], dataclasses.replace(query, start=low, stop=high), serving)
    return RolledRows(kin, rollup, query)


def _family(plugin: BasePlugin, connection: Connection | None = None) -> family.Family:
    """The plugin's family, its source as the database keeps it (read through ``connection``, or a snapshot)."""
    kept: set[str] = set()
    if state().has_table(levels.KEPT.name):
        with nullcontext(connection) if connection is not None else state().snapshot() as reading:
            kept = levels.kept(reading)
    return family.family_of(plugin, list(state().plugins.values()), kept)


@api.get("/<ident>/top")
def top_list(ident: str) -> Response:
    """The categories with the highest totals over a range, exact, with each one's share of the whole."""
    plugin = plugin_named(ident)
    if not family.ranks(plugin):
        raise ApiError(404, "no top list", f"plugin {ident!r} counts no categories to rank")
    query = parse_top_query(request.args, max_top=top.MAX_TOP)
    fmt = _format(query.format)
    ranked: list[tuple[str, int]] = []
    total = 0
    if state().has_table(plugin.model.__tablename__):
        with state().snapshot() as connection:
            span = _window_range(connection, plugin, query.start, query.stop)
            if span is not None:
                found = top.top(connection, _family(plugin, connection), span[0], span[1], query.n)
                ranked, total = found.ranked, found.total
    names = ["category", "volume", "share"]
    values = [[category, volume, round(volume / total, 6) if total else 0.0] for category, volume in ranked]
    if fmt == "csv":
        return _respond(formats.csv_text(names, values), "csv")
    if fmt == "ndjson":
        return _respond(formats.ndjson_bytes(names, values), "ndjson")
    return _respond(formats.json_bytes(formats.records(names, values)), "json")


def _window_range(connection: Any, plugin: BasePlugin, start: datetime | None, stop: datetime | None) -> Any:
    """``(first, end)``: the starts of the plugin's windows that hold data within ``[start, stop)``, as multiples
    of its window (a range beyond the data ranks the same as the data within it); None: no such windows."""
    span = family.window(plugin)
    table = plugin.model.__table__
    # Two statements: SQLite finds a lone min() or max() at an end of the index, both at once by a scan.
    first = connection.scalar(select(func.min(table.c.timestamp)))
    last = connection.scalar(select(func.max(table.c.timestamp)))
    if first is None or last is None:
        return None
    low, high = int(first.timestamp()), int(last.timestamp()) + span
    if start is not None:
        low = max(low, levels.ceil_to(int(start.timestamp() // 1), span))
    if stop is not None:
        high = min(high, levels.ceil_to(int(stop.timestamp() // 1), span))
    return (low, high) if low < high else None


@api.get("/<ident>/layout")
def layout(ident: str) -> Response:
    plugin = plugin_named(ident)
    if plugin.layout is None:
        raise ApiError(404, "no layout", f"plugin {ident!r} has no layout")
    return _respond(formats.json_bytes(plugin.layout), "json")


@api.get("/<ident>/board")
def board_of(ident: str) -> Response:
    """The whole board of a plugin with one (a :class:`~statscache.plugins.MilestonePlugin` with a layout),
    its layout included: one request draws it. JSON only, as for layout."""
    plugin = plugin_named(ident)
    if not board.has_board(plugin):
        raise ApiError(404, "no board", f"plugin {ident!r} keeps no board (it is no milestone plugin with a layout)")
    now = time.time()
    laid_out = board_groups(plugin, now)
    body = {
        "ident": ident,
        "title": (plugin.layout or {}).get("title", plugin.name),
        "now": round(now, 3),
        "layout": plugin.layout,
        "groups": [group.as_json() for group in laid_out],
    }
    return _respond(formats.json_bytes(body), "json")


def board_groups(plugin: BasePlugin, now: float) -> list[board.Group]:
    """A board's groups as of ``now``, read in one snapshot (none yet before the daemon makes its table)."""
    exists = state().has_table(plugin.model.__tablename__)
    with state().snapshot() if exists else nullcontext() as connection:
        return board.groups(connection, plugin, now)


@api.get("/<ident>/coverage")
def coverage(ident: str) -> Response:
    """Where the plugin's statistics are complete, and the gaps between (JSON only, as for layout)."""
    body = coverage_report.report_of(state(), plugin_named(ident))
    return _respond(formats.json_bytes(body), "json")


@api.get("/<ident>/series")
def chart(ident: str) -> Response:
    """The plugin's statistics as a chart's time series: one request, however many rows the range holds."""
    plugin = plugin_named(ident)
    query = parse_series_query(request.args, max_top=series.MAX_TOP, max_points=series.MAX_POINTS)
    exists = state().has_table(plugin.model.__tablename__)
    with state().snapshot() if exists else nullcontext() as connection:
        latest = None if connection is None else series.newest(connection, plugin)
        stop = query.stop
        if stop is None:  # up to the end of the newest row's window (now, while there is none)
            stop = series.end_of_window(plugin, coverage_report.clock() if latest is None else latest.timestamp())
        start = query.start or max(stop - timedelta(seconds=query.last), datetime.min.replace(tzinfo=UTC))
        found = series.series(connection, plugin, start, stop, top=query.top, points=query.points)
    body = {"ident": ident, "latest": None if latest is None else epoch_seconds(latest), **found.as_json()}
    return _respond(formats.json_bytes(body), "json")


def plugin_named(ident: str) -> BasePlugin:
    found = state().plugins.get(ident)
    if found is None:
        known = ", ".join(state().plugins) or "none"
        shown = ident if len(ident) <= 64 else ident[:64] + "…"  # the path is the client's: do not echo all of it
        raise ApiError(404, "unknown plugin", f"no plugin has the ident {shown!r}; known: {known}")
    return found


def _format(requested: str | None) -> str:
    try:
        return formats.negotiate(request.accept_mimetypes, requested)
    except NotAcceptable:
        supported = ", ".join(formats.MEDIA_TYPES.values())
        raise ApiError(406, "not acceptable", f"this resource is served as {supported}") from None


def _respond(body: str | bytes, fmt: str) -> Response:
    mimetype = formats.MEDIA_TYPES[fmt]
    return Response(body, content_type=f"{mimetype}; charset=utf-8" if fmt == "csv" else mimetype)


def _describe(plugin: BasePlugin, latest: Any, complete: list[Span], now: float) -> dict[str, Any]:
    return {
        "ident": plugin.ident,
        "name": plugin.name,
        "summary": plugin.summary,
        "description": plugin.description,
        "interval": None if plugin.interval is None else int(plugin.interval.total_seconds()),
        "columns": plugin.model.columns(),
        "latest": None if latest is None else epoch_seconds(latest),
        "url": _public(url_for("api.statistics", ident=plugin.ident)),
        "coverage": coverage_report.summary(plugin, state().config, complete, now),
    }


def _flat(described: dict[str, Any]) -> dict[str, Any]:
    """A plugin as one CSV row: its columns become their names separated by spaces, its coverage three fields."""
    flat = {key: value for key, value in described.items() if key != "coverage"}
    flat["columns"] = " ".join(column["name"] for column in described["columns"])
    flat.update({f"coverage_{key}": value for key, value in described["coverage"].items()})
    return flat


def _public(path: str) -> str:
    """A link to ``path`` (as routed, with the app's script root): under the configured base URL, else relative.

    Never from the request's ``Host``: a client chooses that, and could plant its own host in the links.
    """
    base = state().config.app_base_url
    if base is None:
        return path
    return base + path.removeprefix(request.script_root).lstrip("/")


def _links(query: Query, total: int) -> str:
    """RFC 8288 links to the first, previous, next and last pages, keeping every other parameter.

    At most :data:`LINK_LIMIT` bytes: next, prev, first and last are kept in that order while they fit.
    """
    last = max(1, math.ceil(total / query.rows_per_page))
    pages = {"first": 1, "last": last}
    if query.page > 1:
        pages["prev"] = min(query.page - 1, last)
    if query.page < last:
        pages["next"] = query.page + 1
    kept = [(name, value) for name, value in query.given.items(multi=True) if name != "page"]
    target = _public(request.script_root + request.path)
    links = {rel: f'<{target}?{urlencode([*kept, ("page", page)])}>; rel="{rel}"' for rel, page in pages.items()}
    chosen, size = set(), 0
    for rel in _LINK_PRIORITY:
        if rel in links and size + len(links[rel]) + 2 <= LINK_LIMIT:
            chosen.add(rel)
            size += len(links[rel]) + 2
    return ", ".join(link for rel, link in links.items() if rel in chosen)


def _stream(rows: Rows | RolledRows, fmt: str) -> Response:
    """Every selected row, written as it is read; at most ``statscache.app.stream_limit`` such at once.

    The generator needs no request context: it holds all it uses.
    """
    table = rows.model.__tablename__
    exists = state().has_table(table)
    engine = state().engine
    slot = _StreamSlot(state().streams)
    if not slot.taken:
        limit = state().config.app_stream_limit
        detail = f"{limit} exports are running, the most this server runs at once; try again shortly"
        raise ApiError(503, "busy", detail, {"Retry-After": "5"})

    def generate() -> Iterator[bytes]:
        try:
            if not exists:  # the daemon has not created the table yet: the header alone (CSV) or nothing
                yield from _chunks(rows.names, iter(()), fmt)
                return
            with engine.connect() as connection:
                yield from _chunks(rows.names, rows.stream(connection), fmt)
        finally:
            slot.release()

    try:
        response = Response(generate(), mimetype=formats.MEDIA_TYPES[fmt])
    except BaseException:
        slot.release()
        raise
    # A server closes the response however it ends, even when the generator never started (so never reached finally).
    response.call_on_close(slot.release)
    response.headers["Content-Disposition"] = f'attachment; filename="{table}.{fmt}"'
    return response


class _StreamSlot:
    """One of the export slots, taken if free; released once, by whichever of the ways a response ends comes first."""

    def __init__(self, slots: threading.BoundedSemaphore) -> None:
        self._slots = slots
        self._lock = threading.Lock()
        self.taken = slots.acquire(blocking=False)

    def release(self) -> None:
        with self._lock:
            if self.taken:
                self.taken = False
                self._slots.release()


def _chunks(names: list[str], selected: Iterator[list[Any]], fmt: str) -> Iterator[bytes]:
    writers = {"csv": formats.csv_chunks, "ndjson": formats.ndjson_chunks, "json": formats.json_chunks}
    return writers[fmt](names, selected)
