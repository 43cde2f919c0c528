"""The datagrepper fixture: a real datagrepper 1.1.0 serves back exactly the recorded messages loaded into it.

Backfill tests trust this fixture, so here it is checked through the API they use: ``GET /raw``
with a time window, ascending order and pages of 100.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.services.datagrepper import Datagrepper, Loaded

pytestmark = pytest.mark.integration

#: The recorded messages served in the window; the ones right after it are loaded too and must stay out.
IN_WINDOW = 300
AFTER_WINDOW = 20
ROWS_PER_PAGE = 100
#: What datagrepper's JSON holds for each message (and for each page).
MESSAGE_KEYS = {
    "i",
    "msg_id",
    "topic",
    "timestamp",
    "certificate",
    "signature",
    "agent_name",
    "username",
    "crypto",
    "msg",
    "headers",
    "source_name",
    "source_version",
    "users",
    "packages",
}
PAGE_KEYS = {"raw_messages", "count", "pages", "total", "arguments"}

Envelope = dict[str, Any]


@pytest.fixture
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False  # 127.0.0.1 never through a proxy
    session.headers["Accept"] = "application/json"
    yield session
    session.close()


def get_page(http: requests.Session, server: Datagrepper, **params: Any) -> dict[str, Any]:
    response = http.get(server.url + "raw", params=params, timeout=30)
    assert response.status_code == 200, response.text[:500]
    page: dict[str, Any] = response.json()
    assert set(page) == PAGE_KEYS
    assert page["count"] == len(page["raw_messages"])
    return page


def get_window(http: requests.Session, server: Datagrepper, start: float, end: float) -> list[dict[str, Any]]:
    """Every message from ``start`` to ``end``, page after page, checking each page's counts."""
    params = {"start": start, "end": end, "order": "asc", "rows_per_page": ROWS_PER_PAGE}
    first = get_page(http, server, page=1, **params)
    total, pages = first["total"], first["pages"]
    assert pages == -(-total // ROWS_PER_PAGE)
    served = list(first["raw_messages"])
    for number in range(2, pages + 1):
        page = get_page(http, server, page=number, **params)
        assert (page["total"], page["pages"]) == (total, pages)
        assert page["count"] == min(ROWS_PER_PAGE, total - (number - 1) * ROWS_PER_PAGE)
        served += page["raw_messages"]
    assert len(served) == total
    # One past the last page: an empty page (and, when there is one page only, datagrepper
    # reports the total as the length of that empty page: 0).
    past = get_page(http, server, page=pages + 1, **params)
    assert past["raw_messages"] == []
    assert past["total"] == (0 if pages == 1 else total)
    return served


def test_raw_serves_exactly_the_loaded_window_in_pages(
    empty_datagrepper: Datagrepper, envelopes: list[Envelope], http: requests.Session
) -> None:
    window, after = envelopes[:IN_WINDOW], envelopes[IN_WINDOW : IN_WINDOW + AFTER_WINDOW]
    assert window[-1]["timestamp"] < after[0]["timestamp"]  # else "after" would be inside the window
    assert len({envelope["msg_id"] for envelope in window + after}) == IN_WINDOW + AFTER_WINDOW

    assert empty_datagrepper.load(window + after) == Loaded(IN_WINDOW + AFTER_WINDOW, IN_WINDOW + AFTER_WINDOW)

    served = get_window(http, empty_datagrepper, window[0]["timestamp"], window[-1]["timestamp"])

    assert Counter(message["msg_id"] for message in served) == Counter(envelope["msg_id"] for envelope in window)
    timestamps = [message["timestamp"] for message in served]
    assert timestamps == sorted(timestamps)  # ascending; messages sharing a timestamp come in any order
    assert timestamps[-1] == window[-1]["timestamp"]  # end is inclusive
    expected = {envelope["msg_id"]: envelope for envelope in window}
    for message in served:
        assert set(message) == MESSAGE_KEYS
        envelope = expected[message["msg_id"]]
        assert (message["topic"], message["timestamp"], message["msg"]) == (
            envelope["topic"],
            envelope["timestamp"],
            envelope["msg"],
        )


def test_start_and_end_are_inclusive(
    empty_datagrepper: Datagrepper, envelopes: list[Envelope], http: requests.Session
) -> None:
    first, middle, last = envelopes[0], envelopes[1], envelopes[2]
    assert first["timestamp"] < middle["timestamp"] < last["timestamp"]
    empty_datagrepper.load([first, middle, last])

    def ids(start: float, end: float) -> list[str]:
        return [message["msg_id"] for message in get_window(http, empty_datagrepper, start, end)]

    assert ids(first["timestamp"], last["timestamp"]) == [first["msg_id"], middle["msg_id"], last["msg_id"]]
    assert ids(first["timestamp"] + 1, last["timestamp"] - 1) == [middle["msg_id"]]
    assert ids(middle["timestamp"], middle["timestamp"]) == [middle["msg_id"]]


def test_fractional_timestamps_are_served_cut_to_the_second_but_filtered_exactly(
    empty_datagrepper: Datagrepper, envelopes: list[Envelope], http: requests.Session
) -> None:
    second = 1_500_000_000
    fractions = [0.0, 0.25, 0.5, 0.999999, 1.5]
    empty_datagrepper.load(
        {**envelopes[0], "msg_id": f"fraction-{fraction}", "timestamp": second + fraction} for fraction in fractions
    )

    def served(start: float, end: float) -> dict[str, float]:
        return {message["msg_id"]: message["timestamp"] for message in get_window(http, empty_datagrepper, start, end)}

    everything = served(second, second + 2)
    # Cut off, not rounded: 0.999999 is served as the second it began in.
    assert everything == {
        "fraction-0.0": second,
        "fraction-0.25": second,
        "fraction-0.5": second,
        "fraction-0.999999": second,
        "fraction-1.5": second + 1,
    }
    # The filter sees the stored microseconds: a message served as `second` is outside end=second.
    assert set(served(second, second)) == {"fraction-0.0"}
    assert set(served(second + 0.25, second + 0.5)) == {"fraction-0.25", "fraction-0.5"}


def test_duplicates_are_skipped_as_in_production_and_clear_empties_it(
    empty_datagrepper: Datagrepper, envelopes: list[Envelope], http: requests.Session
) -> None:
    # The recording holds one msg_id three times, all at the same second: datanommer keeps one.
    assert empty_datagrepper.load(envelopes) == Loaded(received=len(envelopes), stored=len(envelopes) - 2)
    assert get_page(http, empty_datagrepper, start=0, end=2e9)["total"] == len(envelopes) - 2

    empty_datagrepper.clear()

    assert get_page(http, empty_datagrepper, start=0, end=2e9)["total"] == 0
