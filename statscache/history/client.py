"""A client of datagrepper's ``/raw``: pages of archived messages, retried until whole, refused if impossible.

Every answer is bounded: in time (a deadline for the whole exchange), in size
(a cap on the body), in where it comes from (no redirect off the endpoint) and
in plausibility (``pages`` against ``total``, the rows against
``rows_per_page``, each row an envelope sent within the window asked for, no
more messages than any bus sends). An answer that fails a bound of time, or
of shape (5xx, malformed JSON), is asked for again; one that is impossible is
refused at once (:class:`HistoryRefused`): asking again would get the same.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeGuard

import orjson
import requests
import tenacity

from statscache.history import transfer
from statscache.history.errors import HistoryRefused, HistoryUnavailable, Refused
from statscache.metrics import Metrics

log = logging.getLogger(__name__)

# One page parsed and checked at a time: hostile JSON (``[{},{},...]``) takes some 25 times its size once
# parsed, and every fetcher parsing at once would multiply that by the concurrency.
_parsing = threading.Lock()

#: The most rows datagrepper serves in one page.
ROWS_PER_PAGE = 100
#: Bytes a page's body may have, unless configured otherwise (100 rows of 80 kB each).
MAX_PAGE_BYTES = 8 * 1024 * 1024
#: Messages per second no bus sends: a ``total`` above this rate, over at least RATE_SPAN seconds, is refused.
PLAUSIBLE_RATE = 1000
RATE_SPAN = 60.0
#: How far a row's time may lie outside the window asked for (beyond the whole second datagrepper cuts it to).
TIME_SLACK = 1e-3
#: Longest msg_id taken (real ones are "<year>-<uuid>": 41 characters).
MAX_MSG_ID = 256


class _BadPage(Exception):
    """An answer that is not a page (5xx, malformed JSON, wrong shape): worth asking again."""


@dataclass(frozen=True)
class Page:
    """One page of ``/raw``: its rows, in ascending time, and what datagrepper says of the whole query."""

    #: The (msg_id, time) of each row; the envelopes themselves stay in :attr:`content` (far smaller than parsed).
    keys: list[tuple[str, float]]
    #: Messages the query matches in all (as datagrepper counted them for this request).
    total: int
    #: Pages the query has at this page size.
    pages: int
    #: The body as it came, checked: parse it again with :func:`rows_of` to hand the envelopes in.
    content: bytes = b""
    #: Rows this page should hold by its number and its own total (a late-archived message may upset it).
    expected: int = 0


def rows_of(content: bytes) -> list[dict[str, Any]]:
    """The envelopes of a page's :attr:`Page.content`, parsed again (a held page keeps only its bytes)."""
    rows: list[dict[str, Any]] = orjson.loads(content)["raw_messages"]
    return rows


class History:
    """Fetches pages of ``/raw`` from one datagrepper; safe to share between threads.

    Timeouts, connection errors, 5xx answers and bodies that are not a page
    are retried with exponential backoff (and jitter, so that concurrent
    fetches do not retry in lockstep); after ``retries`` retries the page
    raises :class:`HistoryUnavailable`. Never is a page given up silently.
    """

    def __init__(
        self,
        endpoint: str,
        timeout: timedelta = timedelta(seconds=30),
        retries: int = 5,
        backoff: float = 1.0,
        metrics: Metrics | None = None,
        max_page_bytes: int = MAX_PAGE_BYTES,
    ) -> None:
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self._bounds = transfer.Endpoint(self.endpoint)
        #: The deadline of one request, all of it (redirects, head and body), in seconds.
        self.timeout = timeout.total_seconds()
        self.max_page_bytes = max_page_bytes
        self.retries = retries
        self.backoff = backoff
        # requests' Session is not documented as thread-safe: one per thread.
        self._local = threading.local()
        #: Requests that failed and were retried.
        self.retried = 0
        self._requests = (metrics or Metrics()).history_requests

    @property
    def url(self) -> str:
        return self.endpoint + "raw"

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = transfer.bounded_session()
            session.headers["Accept"] = "application/json"
        return session

    def refuse(self, reason: str) -> HistoryRefused:
        """Count a refused answer, log it, and return the exception that says why."""
        self._requests.labels("refused").inc()
        log.warning("refused an answer of datagrepper: %s", reason)
        return HistoryRefused(f"refused: {reason}")

    def page(self, start: float, end: float, page: int = 1, rows_per_page: int = ROWS_PER_PAGE) -> Page:
        """Page ``page`` of the messages sent from ``start`` to ``end`` (both inclusive, epoch seconds)."""
        params = {
            "start": repr(float(start)),
            "end": repr(float(end)),
            "order": "asc",
            "page": page,
            "rows_per_page": rows_per_page,
        }
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type((requests.RequestException, _BadPage)),
            stop=tenacity.stop_after_attempt(self.retries + 1),
            wait=tenacity.wait_exponential_jitter(initial=self.backoff, max=60 * self.backoff, jitter=self.backoff),
            before_sleep=self._note_retry,
            reraise=True,
        )
        try:
            fetched = retrying(self._fetch, params)
        except (requests.RequestException, _BadPage) as error:
            self._requests.labels("failed").inc()
            raise HistoryUnavailable(f"{self.url} page {page} of {start}..{end}: {error}") from error
        except HistoryUnavailable:
            self._requests.labels("failed").inc()
            raise
        except Refused as error:
            raise self.refuse(f"page {page} of {start}..{end}: {error}") from error
        except _Implausible as error:
            raise self.refuse(f"page {page} of {start}..{end}: {error}") from error
        self._requests.labels("ok").inc()
        return fetched

    def _note_retry(self, state: tenacity.RetryCallState) -> None:
        self.retried += 1
        self._requests.labels("retried").inc()
        error = state.outcome.exception() if state.outcome else None
        log.warning("datagrepper request failed (%s); retrying (attempt %d)", error, state.attempt_number + 1)

    def _fetch(self, params: dict[str, Any]) -> Page:
        status, content = transfer.get(
            self._session(), self._bounds, self.url, params, self.timeout, self.max_page_bytes
        )
        if status >= 500 or status == 429:
            raise _BadPage(f"HTTP {status}")
        if status != 200:
            # 4xx: the request itself is wrong; asking again will not help.
            text = content[:200].decode("utf-8", "replace")
            raise HistoryUnavailable(f"{self.url} ({params}): HTTP {status}: {text}")
        with _parsing:
            try:
                body = orjson.loads(content)
            except orjson.JSONDecodeError as error:
                raise _BadPage(f"malformed JSON ({len(content)} bytes): {error}") from error
            return _as_page(body, content, params)


class _Implausible(Exception):
    """An answer shaped like a page that no datagrepper could give for this query."""


def _as_page(body: Any, content: bytes, params: dict[str, Any]) -> Page:
    """Check the shape and the plausibility of a ``/raw`` answer to ``params``."""
    if not isinstance(body, dict):
        raise _BadPage(f"a JSON {type(body).__name__}, not an object")
    messages, total, pages = body.get("raw_messages"), body.get("total"), body.get("pages")
    if not isinstance(messages, list):
        raise _BadPage("no list of messages under 'raw_messages'")
    if not _is_count(total) or not _is_count(pages):
        raise _BadPage(f"'total' and 'pages' must be counts, not {total!r:.40} and {pages!r:.40}")
    start, end = float(params["start"]), float(params["end"])
    number, per_page = int(params["page"]), int(params["rows_per_page"])
    if pages != math.ceil(total / per_page) and not (total == 0 and pages == 1):
        raise _Implausible(f"{pages} pages for a total of {total} at {per_page} rows per page")
    most = PLAUSIBLE_RATE * max(end - start, RATE_SPAN)
    if total > most:
        raise _Implausible(f"a total of {total} messages in {end - start:g} s, more than any bus sends")
    if len(messages) > per_page:
        raise _Implausible(f"{len(messages)} rows on a page of {per_page}")
    count = body.get("count", len(messages))
    if count != len(messages):
        raise _Implausible(f"a count of {count!r:.40} for {len(messages)} rows")
    for row in messages:
        _check_row(row, start, end)
    expected = max(0, min(per_page, total - (number - 1) * per_page))
    keys = [(row["msg_id"], row["timestamp"]) for row in messages]
    return Page(keys, total, pages, content, expected)


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_row(row: Any, start: float, end: float) -> None:
    """A row must look like an envelope sent within the window (one outside it is not that window's history)."""
    if not isinstance(row, dict):
        raise _Implausible(f"rows must be envelopes, not a JSON {type(row).__name__}")
    msg_id, moment = row.get("msg_id"), row.get("timestamp")
    if not isinstance(msg_id, str) or not 0 < len(msg_id) <= MAX_MSG_ID:
        raise _Implausible(f"rows must have a msg_id, not {msg_id!r:.60}")
    if not isinstance(moment, (int, float)) or isinstance(moment, bool) or not math.isfinite(moment):
        raise _Implausible(f"row {msg_id!r:.60} has no time: {moment!r:.40}")
    # datagrepper serves times cut to the whole second: a message sent just after ``start`` shows its second.
    if not math.floor(start) - TIME_SLACK <= moment <= end + TIME_SLACK:
        raise _Implausible(f"row {msg_id!r:.60} at {moment} lies outside the rows asked for ({start}..{end})")
