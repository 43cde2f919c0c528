"""Pages for people: the overview, one page per plugin, the release-engineering board and the documentation.

Rendered on the server from what the API reads (the same modules, the same
database snapshot rules); the pages' script (``static/statscache.js``) only
draws charts, pages tables and refreshes, through the API. Nothing is loaded
from another host.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from statscache.plugins import BasePlugin
from statscache.plugins.base import slugify
from statscache.web import board, coverage_report, family
from statscache.web.api import board_groups, state
from statscache.web.errors import ApiError
from statscache.web.series import Series, end_of_window, measure_of, series, window_of
from statscache.web.series import newest as newest_row
from statscache.windows import interval_suffix

pages = Blueprint("pages", __name__)

#: Windows of recent values an overview card charts.
SPARK_POINTS = 60
#: How often an open board reads its tiles again (milliseconds).
BOARD_REFRESH_MS = 10_000
#: The ranges a plugin page offers, ending at the newest data: (parameter value, label, seconds).
RANGES = (
    ("hour", "Last hour", 3600),
    ("day", "Last day", 86400),
    ("week", "Last week", 7 * 86400),
    ("month", "Last 30 days", 30 * 86400),
)


@dataclass(frozen=True)
class Card:
    """What the overview shows of one plugin."""

    plugin: BasePlugin
    latest: datetime | None
    coverage: dict[str, Any]
    spark: Series | None


@pages.get("/")
def overview() -> Response:
    """The overview; a client that asks for JSON (and not HTML) is sent to the API, as before there were pages."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if best == "application/json" and not request.accept_mimetypes.accept_html:
        return redirect(url_for("api.plugins"))  # type: ignore[return-value]
    fetched = state().config.backfills
    return _page("overview.html", title="Statistics", cards=list(_cards()), history_fetched=fetched)


@pages.get("/plugins/<ident>")
def plugin_page(ident: str) -> Response:
    plugin = state().plugins.get(ident)
    if plugin is None:
        return _unknown(ident)
    covered = coverage_report.report_of(state(), plugin)
    measure, split = measure_of(plugin)
    ranges, chosen = ranges_for(plugin)
    return _page(
        "plugin.html",
        title=plugin.name,
        plugin=plugin,
        family=_family(plugin),
        ranges=ranges,
        chosen_range=chosen,
        history_fetched=state().config.backfills,
        measure=measure,
        split=split,
        coverage=covered,
        timeline=_timeline(covered),
        columns=plugin.model.columns(),
        ranked=ranked_label(plugin),
    )


@pages.get("/releng")
def releng() -> Response:
    plugin = next((p for p in state().plugins.values() if board.has_board(p)), None)
    if plugin is None:
        raise ApiError(404, "no board", "no plugin with a board (such as releng-dashboard) is enabled")
    laid_out = board_groups(plugin, time.time())
    title = (plugin.layout or {}).get("title", plugin.name)
    return _page("releng.html", title=title, plugin=plugin, groups=laid_out, refresh_ms=BOARD_REFRESH_MS)


@pages.get("/docs")
def docs() -> Response:
    """Getting started, writing a plugin, and the API reference, rendered from the OpenAPI document itself."""
    from statscache.web.openapi import document
    from statscache.web.reference import group

    api = document(state())
    return _page("docs.html", title="Documentation", api=api, reference=group(api))


def ranked_label(plugin: BasePlugin) -> tuple[str, str] | None:
    """What the plugin's top list ranks, in words, one and several (``user``, ``users`` for volume by user),
    or None: it has none."""
    if not family.ranks(plugin):
        return None
    _, by, what = plugin.name.lower().rpartition(" by ")
    one = what if by else "category"
    return one, one[:-1] + "ies" if one.endswith("y") else one + "s"


def ranges_for(plugin: BasePlugin) -> tuple[list[tuple[str, str, int]], str]:
    """The ranges worth offering for the plugin's window (two windows at least) and the one shown first:
    the shortest that holds a day's worth of points (24 windows), else the longest."""
    window = window_of(plugin)
    offered = [choice for choice in RANGES if choice[2] >= 2 * window] or [RANGES[-1]]
    first = next((name for name, _, seconds in offered if seconds >= 24 * window), offered[-1][0])
    return offered, first


def _unknown(ident: str) -> Response:
    """The page for an ident no plugin has: what there is instead."""
    shown = ident if len(ident) <= 64 else ident[:64] + "…"
    page = render_template(
        "error.html",
        title="No such statistic",
        heading="No such statistic",
        detail=f"statscache keeps no statistic called “{shown}”. These are the ones it keeps:",
        suggestions=list(state().plugins.values()),
    )
    return Response(page, status=404, mimetype="text/html")


def _page(template: str, **context: Any) -> Response:
    response = Response(render_template(template, **context), mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _cards() -> list[Card]:
    """One card per plugin, with its recent values up to its newest row: two indexed queries per plugin."""
    current = state()
    covered = coverage_report.read_all(current)
    now = coverage_report.clock()
    counting = current.latest_by_ident()  # plugins that have seen nothing have no table worth reading yet
    tables = [p for p in current.plugins.values() if p.ident in counting and current.has_table(p.model.__tablename__)]
    latest: dict[str, datetime] = {}
    sparks: dict[str, Series] = {}
    if tables:  # else the database may not exist yet: nothing to read
        with current.snapshot() as connection:
            for plugin in tables:
                last = newest_row(connection, plugin)
                if last is None:
                    continue
                latest[plugin.ident] = last
                stop, start = _recent(plugin, last)
                sparks[plugin.ident] = series(connection, plugin, start, stop, top=0, points=SPARK_POINTS)
    cards = []
    for plugin in current.plugins.values():
        summary = coverage_report.summary(plugin, current.config, covered.get(plugin.ident, []), now)
        cards.append(Card(plugin, latest.get(plugin.ident), summary, sparks.get(plugin.ident)))
    # Statistics with data first, each part in the plugins' order: what there is to see comes first.
    return sorted(cards, key=lambda card: card.spark is None)


def _recent(plugin: BasePlugin, newest: datetime) -> tuple[datetime, datetime]:
    """The last :data:`SPARK_POINTS` windows up to the newest data: (stop, start)."""
    stop = end_of_window(plugin, newest.timestamp())
    return stop, stop - timedelta(seconds=SPARK_POINTS * window_of(plugin))


def _family(plugin: BasePlugin) -> list[tuple[str, str]]:
    """(window, ident) of each plugin of the same name: the intervals a plugin page can switch between."""
    siblings = [p for p in state().plugins.values() if slugify(p.name) == slugify(plugin.name) and p.interval]
    ordered = sorted(siblings, key=lambda p: p.interval or timedelta(0))
    return [(interval_suffix(p.interval), p.ident) for p in ordered if p.interval is not None]


def _timeline(covered: dict[str, Any]) -> list[dict[str, Any]]:
    """The coverage report as segments across its whole span, each a share of the width: complete, or a gap."""
    segments = [{**stretch, "kind": "complete"} for stretch in covered["complete"]]
    segments += [{**gap, "kind": "gap"} for gap in covered["gaps"]]
    segments.sort(key=lambda segment: segment["start"])
    if not segments:
        return []
    first = datetime.fromisoformat(segments[0]["start"]).timestamp()
    last = max(datetime.fromisoformat(segment["end"]).timestamp() for segment in segments)
    width = max(last - first, 1.0)
    for segment in segments:
        start = datetime.fromisoformat(segment["start"]).timestamp()
        end = datetime.fromisoformat(segment["end"]).timestamp()
        segment["share"] = max(0.5, round(100 * (end - start) / width, 2))
    return segments
