"""Response formats of the API: which one a request gets, and how rows are written in each.

Every CSV cell that is text and begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading single quote (OWASP's advice against CSV
injection): categories, users and projects come from the bus, and a spreadsheet
would run ``=cmd|' /C calc'!A0`` as a formula. Numbers, negative ones included,
are written as they are; JSON and NDJSON carry every string unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson
from werkzeug.datastructures import MIMEAccept

from statscache.web.errors import NotAcceptable

#: Format name -> media type, in order of preference when a client accepts several equally.
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "ndjson": "application/x-ndjson",
}
#: Other names clients use for the same formats.
_ALIASES = {"application/ndjson": "ndjson", "application/jsonl": "ndjson"}
#: Rows written per chunk of a streamed response.
CHUNK_ROWS = 1000
#: What a spreadsheet reads as the start of a formula (or, for tab and CR, skips to find one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def negotiate(accept: MIMEAccept, requested: str | None) -> str:
    """The format to answer in: the ``format`` parameter if given, else the best the Accept header allows.

    No Accept header, or ``*/*``, gives JSON.
    """
    if requested is not None:
        return requested
    if not accept:
        return "json"
    offered = {**{media: name for name, media in MEDIA_TYPES.items()}, **_ALIASES}
    best = accept.best_match(list(offered))
    if best is None:
        raise NotAcceptable
    return offered[best]


def json_bytes(value: Any) -> bytes:
    return orjson.dumps(value)


def jsonp_bytes(callback: str, value: Any) -> bytes:
    # The leading comment defuses the Rosetta-Flash style of attack on JSONP endpoints.
    return b"/**/" + callback.encode("ascii") + b"(" + orjson.dumps(value) + b");"


def records(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(names, row, strict=True)) for row in rows]


def inert_cell(value: Any) -> Any:
    """The value as a CSV cell no spreadsheet runs: text that could start a formula gets a leading quote.
    A list (a message's users) is one cell of its items separated by spaces; an object, its JSON text."""
    if type(value) is list:
        value = " ".join(map(str, value))
    elif type(value) is dict:
        value = orjson.dumps(value).decode()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _inert(row: Sequence[Any]) -> list[Any]:
    return [inert_cell(value) for value in row]


def csv_text(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A header and one RFC 4180 record per row, every cell inert."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_inert(names))
    writer.writerows(map(_inert, rows))
    return out.getvalue()


def ndjson_bytes(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One JSON object per row, each on its own line."""
    return ndjson_objects(dict(zip(names, row, strict=True)) for row in rows)


def ndjson_objects(objects: Iterable[Any]) -> bytes:
    """Each object as JSON on its own line."""
    return b"".join(orjson.dumps(item) + b"\n" for item in objects)


def csv_chunks(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV document, a chunk of rows at a time (constant memory), every cell inert."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_inert(names))
    for chunk in _chunked(rows):
        writer.writerows(map(_inert, chunk))
        yield out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue().encode("utf-8")


def ndjson_chunks(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The NDJSON document, a chunk of rows at a time (constant memory)."""
    for chunk in _chunked(rows):
        yield ndjson_bytes(names, chunk)


def json_chunks(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """One JSON array of records, a chunk of rows at a time (constant memory)."""
    opening = b"["
    for chunk in _chunked(rows):
        yield opening + b",".join(orjson.dumps(record) for record in records(names, chunk))
        opening = b","
    yield b"[]" if opening == b"[" else b"]"


def _chunked(rows: Iterable[Sequence[Any]]) -> Iterator[list[Sequence[Any]]]:
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
