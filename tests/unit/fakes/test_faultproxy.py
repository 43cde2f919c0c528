"""The fault proxy (tests/fakes/faultproxy.py) before a tiny stand-in for datagrepper: each fault, then pass-through."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.fakes.faultproxy import FaultProxy, Rule, garbage, on, reset, status, timeout, truncate

JSON = "application/json"


class Upstream(BaseHTTPRequestHandler):
    """Serves fixed JSON naming the path, query and Accept header it got; 404 under /missing."""

    def do_GET(self) -> None:  # noqa: N802
        target = urlsplit(self.path)
        code = 404 if target.path.endswith("/missing") else 200
        body = json.dumps(
            {
                "path": target.path,
                "query": dict(parse_qsl(target.query)),
                "accept": self.headers["Accept"],
                "raw_messages": [{"msg_id": f"id-{n}", "topic": "org.fedoraproject.prod.test"} for n in range(5)],
            }
        ).encode()
        self.send_response(code)
        self.send_header("Content-Type", JSON)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class UpstreamServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # not 5: concurrent tests would wait out a 1 s SYN retry


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = UpstreamServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def proxy(upstream: str) -> Iterator[FaultProxy]:
    with FaultProxy(upstream) as proxy:
        yield proxy


def get(proxy: FaultProxy, page: int, read_timeout: float = 5) -> requests.Response:
    return requests.get(
        proxy.url + "raw",
        params={"start": "100", "end": "200", "order": "asc", "page": page, "rows_per_page": 5},
        headers={"Accept": JSON},
        timeout=(5, read_timeout),
    )


def test_passes_requests_on(proxy: FaultProxy) -> None:
    answer = get(proxy, 1)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == JSON
    body = answer.json()
    assert body["path"] == "/raw"
    assert body["query"] == {"start": "100", "end": "200", "order": "asc", "page": "1", "rows_per_page": "5"}
    assert body["accept"] == JSON
    assert len(body["raw_messages"]) == 5
    [seen] = proxy.log
    assert (seen.number, seen.path, seen.query["page"], seen.fault) == (1, "raw", "1", None)


def test_passes_upstream_errors_on(proxy: FaultProxy) -> None:
    answer = requests.get(proxy.url + "missing", timeout=5)
    assert answer.status_code == 404
    assert answer.json()["path"] == "/missing"


def test_mirrors_the_upstream_base_path(upstream: str) -> None:
    with FaultProxy(upstream + "datagrepper", [on(status(500), path="raw")]) as proxy:
        assert proxy.url.endswith("/datagrepper/")
        assert requests.get(proxy.url + "raw", timeout=5).status_code == 500
        assert requests.get(proxy.url + "raw", timeout=5).json()["path"] == "/datagrepper/raw"
    assert [(seen.path, seen.fault) for seen in proxy.log] == [("raw", status(500)), ("raw", None)]


def test_status_on_one_page_then_passes(proxy: FaultProxy) -> None:
    rule = on(status(503), times=2, page=3)
    proxy.add(rule)
    codes = [get(proxy, page).status_code for page in (1, 2, 3, 3, 3, 4)]
    assert codes == [200, 200, 503, 503, 200, 200]
    assert [(seen.query["page"], seen.fault) for seen in proxy.log if seen.fault] == [("3", status(503))] * 2
    assert (rule.matched, rule.fired, rule.exhausted) == (3, 2, True)


def test_status_bodies(proxy: FaultProxy) -> None:
    proxy.add(on(status(502)), on(status(503, html=True)))
    as_json = get(proxy, 1)
    assert (as_json.status_code, as_json.headers["Content-Type"]) == (502, JSON)
    assert as_json.json()["error"] == "502 Bad Gateway"
    as_html = get(proxy, 1)
    assert as_html.status_code == 503
    assert as_html.headers["Content-Type"].startswith("text/html")
    assert "Service Unavailable" in as_html.text


def test_every_nth_request(proxy: FaultProxy) -> None:
    proxy.add(on(status(500), every=2, times=None))
    assert [get(proxy, page).status_code for page in range(1, 7)] == [200, 500] * 3


def test_predicate_on_the_query(proxy: FaultProxy) -> None:
    proxy.add(on(status(500), times=None, when=lambda query: int(query["page"]) >= 3))
    assert [get(proxy, page).status_code for page in range(1, 5)] == [200, 200, 500, 500]


def test_times_zero_never_fires(proxy: FaultProxy) -> None:
    proxy.add(on(reset(), times=0))
    assert get(proxy, 1).status_code == 200


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        on(reset(), times=-1)
    with pytest.raises(ValueError):
        Rule(reset(), every=0)
    with pytest.raises(ValueError):
        FaultProxy("127.0.0.1:8080")


def test_truncate(proxy: FaultProxy) -> None:
    proxy.add(on(truncate()))
    cut, whole = get(proxy, 1), get(proxy, 1)
    assert (cut.status_code, cut.headers["Content-Type"]) == (200, JSON)
    assert cut.content == whole.content[: len(whole.content) // 2]
    with pytest.raises(requests.exceptions.JSONDecodeError):
        cut.json()
    whole.json()


def test_reset(proxy: FaultProxy) -> None:
    proxy.add(on(reset(), page=2))
    with pytest.raises(requests.exceptions.ConnectionError):
        get(proxy, 2)
    assert get(proxy, 2).status_code == 200
    assert [seen.fault for seen in proxy.log] == [reset(), None]


def test_garbage(proxy: FaultProxy) -> None:
    proxy.add(on(garbage()))
    answer = get(proxy, 1)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    with pytest.raises(requests.exceptions.JSONDecodeError):
        answer.json()
    get(proxy, 1).json()


def test_timeout_outlasts_a_shorter_read_timeout(proxy: FaultProxy) -> None:
    proxy.add(on(timeout(1), page=4))
    with pytest.raises(requests.exceptions.ReadTimeout):
        get(proxy, 4, read_timeout=0.1)
    assert get(proxy, 4, read_timeout=0.5).status_code == 200
    assert [str(seen.fault) for seen in proxy.log] == ["timeout(1)", "None"]


def test_a_slow_answer_holds_up_no_other(proxy: FaultProxy) -> None:
    proxy.add(on(timeout(0.4), page=1))
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(get, proxy, 1)
        while not proxy.log:
            time.sleep(0.005)
        began = time.monotonic()
        assert get(proxy, 2).status_code == 200
        assert time.monotonic() - began < 0.3
        assert not slow.done()
        assert slow.result().status_code == 200  # answered normally once the delay is over


def test_stop_does_not_wait_for_a_slow_answer(upstream: str) -> None:
    proxy = FaultProxy(upstream, [on(timeout(30))]).start()
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(get, proxy, 1)
        while not proxy.log:
            time.sleep(0.005)
        began = time.monotonic()
        proxy.stop()
        assert time.monotonic() - began < 1
        with pytest.raises(requests.exceptions.ConnectionError):
            slow.result()


def test_log_under_concurrent_requests(proxy: FaultProxy) -> None:
    proxy.add(on(status(500), times=3))
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda page: get(proxy, page).status_code, range(1, 25)))
    assert sorted(codes) == [200] * 21 + [500] * 3
    log = proxy.log
    assert sorted(seen.number for seen in log) == list(range(1, 25))
    assert sorted(int(seen.query["page"]) for seen in log) == list(range(1, 25))
    assert sum(seen.fault is not None for seen in log) == 3
