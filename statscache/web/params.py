"""The query parameters of ``/api/<ident>``: one declaration each, used to parse requests and to describe them.

Every parameter is checked; a bad one raises :class:`BadParameter`, which the
app answers with a 400 naming the parameter and what it accepts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from statscache.web.errors import BadParameter

#: Pages beyond this are refused rather than computed: no result is that long.
MAX_PAGE = 2**31 - 1
#: A JSONP callback: a plain JavaScript identifier path such as ``handlers.show_2``.
_CALLBACK = re.compile(r"[A-Za-z_$][\w$]{0,63}(\.[A-Za-z_$][\w$]{0,63}){0,7}", re.ASCII)
#: Parameters that clients add on their own and that change nothing (jQuery's cache buster).
IGNORED = frozenset({"_"})
#: The most values a repeatable parameter may have: each one lengthens the SQL and every Link.
MAX_REPEATED = 100
#: The longest time a parameter may spell (an ISO 8601 date/time with nanoseconds and offset is 35).
_MAX_TIME_LENGTH = 64


@dataclass(frozen=True)
class Param:
    """One query parameter: its name, its JSON schema (for OpenAPI) and what it means."""

    name: str
    schema: dict[str, Any]
    description: str
    repeatable: bool = False


def _time_schema() -> dict[str, Any]:
    return {"oneOf": [{"type": "number"}, {"type": "string", "format": "date-time", "maxLength": _MAX_TIME_LENGTH}]}


#: How a response may write times (``time_format``): UTC epoch seconds (the default), epoch milliseconds
#: (what Grafana's time fields take), or ISO 8601 in UTC.
TIME_FORMATS = ("s", "ms", "iso")


def _grafana_params() -> list[Param]:
    """``from``/``to``, the range in epoch milliseconds as Grafana's ``${__from}``/``${__to}`` give it."""
    milliseconds = {"type": "number"}
    return [
        Param("from", milliseconds, "As start, in UTC epoch milliseconds (Grafana's ${__from}); not with start."),
        Param("to", milliseconds, "As stop, in UTC epoch milliseconds (Grafana's ${__to}); not with stop."),
    ]


#: The response formats a ``format`` parameter may name.
FORMATS = ("json", "csv", "ndjson")


def _format_param() -> Param:
    return Param("format", {"type": "string", "enum": list(FORMATS)}, "Response format, overriding the Accept header.")


def _time_format_param() -> Param:
    return Param(
        "time_format",
        {"type": "string", "enum": list(TIME_FORMATS), "default": "s"},
        "How times are written: UTC epoch seconds (s), epoch milliseconds (ms), or ISO 8601 in UTC (iso).",
    )


#: What each filter column holds, for its parameter's description.
FILTER_MEANINGS = {
    "category": "categories",
    "user": "users",
    "topic": "topics",
}


#: A rollup's window, as ``?interval=`` spells it (checked against the plugin's window when asked).
ROLLUP_PATTERN = "^([1-9][0-9]{0,7}[smhdw]|month)$"


def params_for(
    maximum_rows: int, default_rows: int, filters: tuple[str, ...] = (), rollups: bool = False
) -> list[Param]:
    """The parameters of ``/api/<ident>`` of a table with these filter columns (and rollups, for counts), in the
    order the documentation lists them."""
    rolled = [
        Param(
            "interval",
            {"type": "string", "pattern": ROLLUP_PATTERN},
            "Rows summed into longer windows: a whole multiple of the statistic's window (6h, 1d, 1w: whole weeks "
            "from Monday) or month; the range is widened to whole windows.",
        )
    ]
    return [
        *(rolled if rollups else []),
        Param("start", _time_schema(), "Rows at or after this time: UTC epoch seconds or ISO 8601 (naive is UTC)."),
        Param("stop", _time_schema(), "Rows before this time: UTC epoch seconds or ISO 8601 (naive is UTC)."),
        *_grafana_params(),
        Param(
            "sort",
            {"type": "string", "minLength": 1, "maxLength": 64, "default": "timestamp"},
            "The column rows are ordered by first; then by timestamp and key (default: timestamp, or the "
            "statistic's own, such as volume for user activity).",
        ),
        Param("order", {"type": "string", "enum": ["asc", "desc"], "default": "desc"}, "Descending or ascending."),
        Param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "Which page (from 1)."),
        Param(
            "rows_per_page",
            {"type": "integer", "minimum": 1, "maximum": maximum_rows, "default": default_rows},
            "Rows in a page.",
        ),
        *(
            Param(
                name,
                {"type": "string", "minLength": 1, "maxLength": 255},
                f"Only rows of these {FILTER_MEANINGS.get(name, name + ' values')} (repeat the parameter for "
                f"several, at most {MAX_REPEATED} times).",
                repeatable=True,
            )
            for name in filters
        ),
        _format_param(),
        _time_format_param(),
        Param(
            "stream",
            {"type": "integer", "enum": [0, 1], "default": 0},
            "1: every row of the result in one streamed response (no paging): a download.",
        ),
        Param(
            "callback",
            {"type": "string", "pattern": "^" + _CALLBACK.pattern + "$"},
            "JSONP: wrap the JSON in a call to this JavaScript function (a plain identifier path).",
        ),
    ]


@dataclass(frozen=True)
class Query:
    """What a request to ``/api/<ident>`` asks for, checked."""

    start: datetime | None = None
    stop: datetime | None = None
    descending: bool = True
    #: The column ordered by first (None: the timestamp).
    sort: str | None = None
    page: int = 1
    rows_per_page: int = 100
    #: (column, the values it may have) of each filter given.
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    format: str | None = None
    #: A rollup's window as given (None: the rows as they are).
    interval: str | None = None
    #: How times are written (see :data:`TIME_FORMATS`).
    time_format: str = "s"
    stream: bool = False
    callback: str | None = None
    #: The parameters as given, for links to other pages.
    given: MultiDict[str, str] = field(default_factory=MultiDict)

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories asked for (none: all)."""
        return dict(self.filters).get("category", ())

    @property
    def only_categories(self) -> bool:
        """Whether no filter but ``category`` is given (the tally counts rows by time and category alone)."""
        return all(name == "category" for name, _ in self.filters)


def parse_time(name: str, raw: str) -> datetime:
    """UTC epoch seconds or ISO 8601 (naive means UTC) to an aware UTC datetime."""
    accepts = "UTC epoch seconds or an ISO 8601 date/time"
    if len(raw) > _MAX_TIME_LENGTH:
        raise BadParameter(name, f"{accepts} of at most {_MAX_TIME_LENGTH} characters", raw)
    try:
        seconds = float(raw)
    except ValueError:
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise BadParameter(name, accepts, raw) from None
        try:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except OverflowError:  # an offset that carries it past year 1 or 9999 in UTC
            raise BadParameter(name, f"{accepts} within years 1 to 9999 in UTC", raw) from None
    if not math.isfinite(seconds):
        raise BadParameter(name, accepts, raw)
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise BadParameter(name, f"{accepts} within years 1 to 9999", raw) from None


def parse_milliseconds(name: str, raw: str) -> datetime:
    """UTC epoch milliseconds (Grafana's ``${__from}``) to an aware UTC datetime."""
    accepts = "UTC epoch milliseconds"
    try:
        milliseconds = float(raw) if len(raw) <= _MAX_TIME_LENGTH else math.nan
    except ValueError:
        raise BadParameter(name, accepts, raw) from None
    if not math.isfinite(milliseconds):
        raise BadParameter(name, accepts, raw)
    try:
        return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise BadParameter(name, f"{accepts} within years 1 to 9999", raw) from None


def _bound(args: MultiDict[str, str], name: str, alias: str) -> tuple[str, datetime] | None:
    """The bound ``name`` (a time) or ``alias`` (the same in epoch milliseconds) gives, and which gave it."""
    if name in args and alias in args:
        raise BadParameter(alias, f"left out with {name}: both are the same bound")
    if alias in args:
        return alias, parse_milliseconds(alias, args[alias])
    if name in args:
        return name, parse_time(name, args[name])
    return None


def _time_range(args: MultiDict[str, str]) -> tuple[datetime | None, datetime | None]:
    """The range ``start``/``stop`` (or ``from``/``to``) give, checked to be times with the end not before the start."""
    low, high = _bound(args, "start", "from"), _bound(args, "stop", "to")
    if low is not None and high is not None and high[1] < low[1]:
        raise BadParameter(high[0], f"at or after {low[0]} ({low[1].isoformat()})", args[high[0]])
    return (low and low[1]), (high and high[1])


def _whole(name: str, raw: str, low: int, high: int) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or not low <= int(raw) <= high:
        raise BadParameter(name, f"a whole number from {low} to {high}", raw)
    return int(raw)


def _choice(name: str, raw: str, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise BadParameter(name, " or ".join(repr(choice) for choice in choices), raw)
    return raw


def parse_query(
    args: MultiDict[str, str],
    *,
    columns: list[str],
    maximum_rows: int,
    default_rows: int,
    filters: tuple[str, ...] = (),
    default_sort: str | None = None,
    rollups: bool = False,
) -> Query:
    """Check every parameter of a request to ``/api/<ident>`` of a table with these columns and filters."""
    known = {param.name: param for param in params_for(maximum_rows, default_rows, filters, rollups)}
    for name in args:
        if name in IGNORED:
            continue
        if name not in known:
            if name in FILTER_MEANINGS:
                raise BadParameter(name, f"left out: this statistic has no {name} column to filter on")
            if name == "interval":
                raise BadParameter(name, "left out: only the counts of windowed statistics roll up")
            raise BadParameter(name, f"one of the known parameters: {', '.join(known)}")
        given = len(args.getlist(name))
        if not known[name].repeatable and given > 1:
            raise BadParameter(name, "given once")
        if given > MAX_REPEATED:
            raise BadParameter(name, f"given at most {MAX_REPEATED} times, not {given}")

    def single(name: str, parse: Callable[[str], Any], default: Any = None) -> Any:
        raw = args.get(name)
        return default if raw is None else parse(raw)

    start, stop = _time_range(args)
    chosen = []
    for name in filters:
        values = tuple(args.getlist(name))
        for value in values:
            if not value or "\x00" in value or len(value) > 255:
                raise BadParameter(name, "a non-empty name of at most 255 characters", value)
        if values:
            chosen.append((name, values))
    fmt = single("format", lambda raw: _choice("format", raw, FORMATS))
    time_format = single("time_format", lambda raw: _choice("time_format", raw, TIME_FORMATS), "s")
    stream = single("stream", lambda raw: _choice("stream", raw, ("0", "1")) == "1", False)
    if stream:
        for name in ("page", "rows_per_page"):
            if name in args:
                raise BadParameter(name, "left out with stream=1, which returns every row")
    sort = single("sort", lambda raw: _choice("sort", raw, tuple(columns)), default_sort)
    callback = single("callback", lambda raw: raw)
    if callback is not None:
        if not _CALLBACK.fullmatch(callback):
            raise BadParameter("callback", "a plain JavaScript identifier path such as 'app.show'", callback)
        if fmt not in (None, "json"):
            raise BadParameter("callback", "used with JSON only", callback)
    return Query(
        start=start,
        stop=stop,
        descending=single("order", lambda raw: _choice("order", raw, ("asc", "desc")), "desc") == "desc",
        sort=None if sort == "timestamp" else sort,
        page=single("page", lambda raw: _whole("page", raw, 1, MAX_PAGE), 1),
        rows_per_page=single("rows_per_page", lambda raw: _whole("rows_per_page", raw, 1, maximum_rows), default_rows),
        filters=tuple(chosen),
        format=fmt,
        interval=args.get("interval"),
        time_format=time_format,
        stream=stream,
        callback=callback,
        given=MultiDict(args),
    )


#: The longest range a chart may ask for by ``last``: about a century.
MAX_LAST = 100 * 366 * 86400


def series_params(max_top: int, max_points: int) -> list[Param]:
    """The parameters of ``/api/<ident>/series``."""
    return [
        Param(
            "start",
            _time_schema(),
            "Points from this time (rounded down to a whole step): UTC epoch seconds or ISO 8601.",
        ),
        Param("stop", _time_schema(), "Points before this time (default: the end of the newest data's window)."),
        *_grafana_params(),
        Param(
            "last",
            {"type": "integer", "minimum": 1, "maximum": MAX_LAST, "default": 86400},
            "Without start: the range is this many seconds up to stop.",
        ),
        Param(
            "top",
            {"type": "integer", "minimum": 0, "maximum": max_top, "default": 8},
            "Lines for the biggest categories (or statuses); the rest are summed as one line, other. 0: the total.",
        ),
        Param(
            "points",
            {"type": "integer", "minimum": 1, "maximum": max_points, "default": 500},
            "At most this many points: steps are whole multiples of the plugin's window.",
        ),
    ]


@dataclass(frozen=True)
class SeriesQuery:
    """What a request to ``/api/<ident>/series`` asks for, checked; a missing stop is the newest data's."""

    start: datetime | None
    stop: datetime | None
    last: int
    top: int
    points: int


def _known_and_single(args: MultiDict[str, str], params: list[Param]) -> None:
    """Refuse a parameter the endpoint does not know, and one given more than once (none repeats there)."""
    known = {param.name for param in params}
    for name in args:
        if name not in known and name not in IGNORED:
            raise BadParameter(name, f"one of the known parameters: {', '.join(sorted(known))}")
        if len(args.getlist(name)) > 1:
            raise BadParameter(name, "given once")


def parse_series_query(args: MultiDict[str, str], *, max_top: int, max_points: int) -> SeriesQuery:
    """Check every parameter of a request to ``/api/<ident>/series``."""
    _known_and_single(args, series_params(max_top, max_points))
    start, stop = _time_range(args)
    if start is not None and "last" in args:
        raise BadParameter("last", "left out when start (or from) is given")
    return SeriesQuery(
        start=start,
        stop=stop,
        last=_whole("last", args["last"], 1, MAX_LAST) if "last" in args else 86400,
        top=_whole("top", args["top"], 0, max_top) if "top" in args else 8,
        points=_whole("points", args["points"], 1, max_points) if "points" in args else 500,
    )


def top_params(max_top: int) -> list[Param]:
    """The parameters of ``/api/<ident>/top``."""
    return [
        Param("start", _time_schema(), "Windows from this time (default: the first): UTC epoch seconds or ISO 8601."),
        Param("stop", _time_schema(), "Windows before this time (default: after the newest)."),
        *_grafana_params(),
        Param("n", {"type": "integer", "minimum": 1, "maximum": max_top, "default": 10}, "How many to list."),
        _format_param(),
    ]


@dataclass(frozen=True)
class TopQuery:
    """What a request to ``/api/<ident>/top`` asks for, checked."""

    start: datetime | None
    stop: datetime | None
    n: int
    format: str | None


def parse_top_query(args: MultiDict[str, str], *, max_top: int) -> TopQuery:
    """Check every parameter of a request to ``/api/<ident>/top``."""
    _known_and_single(args, top_params(max_top))
    start, stop = _time_range(args)
    fmt = args.get("format")
    return TopQuery(
        start=start,
        stop=stop,
        n=_whole("n", args["n"], 1, max_top) if "n" in args else 10,
        format=None if fmt is None else _choice("format", fmt, FORMATS),
    )
