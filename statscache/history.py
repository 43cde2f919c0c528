"""A client of datagrepper's ``/raw``: one page of archived messages, retried until it comes whole."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import requests
import tenacity

from statscache.exceptions import StatscacheError
from statscache.metrics import Metrics

log = logging.getLogger(__name__)

#: The most rows datagrepper serves in one page.
ROWS_PER_PAGE = 100


class HistoryUnavailable(StatscacheError):
    """A page of history could not be had, even after every retry."""


class _BadPage(Exception):
    """An answer that is not a page (5xx, malformed JSON, wrong shape): worth asking again."""


@dataclass(frozen=True)
class Page:
    """One page of ``/raw``: its envelopes, in ascending time, and what datagrepper says of the whole query."""

    messages: list[dict[str, Any]]
    #: Messages the query matches in all (as datagrepper counted them for this request).
    total: int
    #: Pages the query has at this page size.
    pages: int


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
    ) -> None:
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self.timeout = timeout.total_seconds()
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
            session = self._local.session = requests.Session()
            session.headers["Accept"] = "application/json"
        return session

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
        self._requests.labels("ok").inc()
        return fetched

    def _note_retry(self, state: tenacity.RetryCallState) -> None:
        self.retried += 1
        self._requests.labels("retried").inc()
        error = state.outcome.exception() if state.outcome else None
        log.warning("datagrepper request failed (%s); retrying (attempt %d)", error, state.attempt_number + 1)

    def _fetch(self, params: dict[str, Any]) -> Page:
        response = self._session().get(self.url, params=params, timeout=self.timeout)
        if response.status_code >= 500 or response.status_code == 429:
            raise _BadPage(f"HTTP {response.status_code}")
        if response.status_code != 200:
            # 4xx: the request itself is wrong; asking again will not help.
            raise HistoryUnavailable(f"{response.url}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as error:
            raise _BadPage(f"malformed JSON ({len(response.content)} bytes): {error}") from error
        return _as_page(body)


def _as_page(body: Any) -> Page:
    """Check the shape of a ``/raw`` answer."""
    if not isinstance(body, dict):
        raise _BadPage(f"a JSON {type(body).__name__}, not an object")
    messages, total, pages = body.get("raw_messages"), body.get("total"), body.get("pages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise _BadPage("no list of messages under 'raw_messages'")
    if not isinstance(total, int) or not isinstance(pages, int) or total < 0 or pages < 0:
        raise _BadPage(f"'total' and 'pages' must be counts, not {total!r} and {pages!r}")
    return Page(messages, total, pages)
