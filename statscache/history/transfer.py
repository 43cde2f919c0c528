"""One bounded HTTP GET: a deadline for the whole exchange, a cap on the body, and no redirect off an endpoint.

requests' ``timeout`` bounds each read, not the request: a server that sends a
byte every second holds a request for ever. Here a watchdog shuts down the
request's sockets when its deadline passes, whatever phase (connecting, the
TLS handshake, the head, the body) it is in.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection

from statscache.history.errors import DeadlineExceeded, OffEndpoint, TooLarge

__all__ = ["Endpoint", "bounded_session", "get"]

#: Redirects followed within the endpoint, at most, for one request.
MAX_REDIRECTS = 5
#: Bytes read from the body at a time.
CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _Deadline:
    """Shuts down every socket the current thread's request uses once ``seconds`` have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def __enter__(self) -> _Deadline:
        _current.deadline = self
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._timer.cancel()
        _current.deadline = None


def _shut(sock: socket.socket) -> None:
    # shutdown (not close) wakes a thread blocked reading the socket; the pool then sees it dropped.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


_current = threading.local()


def _watch(sock: socket.socket | None) -> None:
    deadline: _Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)


class _Watched:
    """Mixin for urllib3 connections: hand each socket to the running request's deadline."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)  # a kept-alive connection: its socket was made for an earlier request
        super().request(*args, **kwargs)  # type: ignore[misc]


class _Connection(_Watched, HTTPConnection):
    pass


class _TLSConnection(_Watched, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


def _use_watched_pools(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
    return manager


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _use_watched_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return _use_watched_pools(super().proxy_manager_for(proxy, **proxy_kwargs))


def bounded_session() -> requests.Session:
    """A session whose requests :func:`get` can hold to a deadline (one per thread: requests' are not shared)."""
    session = requests.Session()
    session.mount("http://", _Adapter())
    session.mount("https://", _Adapter())
    return session


class Endpoint:
    """A base URL: what lies under it (same scheme, host and port, and its path as a prefix)."""

    def __init__(self, base: str) -> None:
        self.base = base if base.endswith("/") else base + "/"
        parts = urlsplit(self.base)
        self._origin = (parts.scheme, parts.hostname, _port(parts.scheme, parts.port))
        self._path = parts.path

    def holds(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = (parts.scheme, parts.hostname, _port(parts.scheme, parts.port))
        return origin == self._origin and parts.path.startswith(self._path) and ".." not in parts.path.split("/")


def _port(scheme: str, port: int | None) -> int | None:
    return port if port is not None else {"http": 80, "https": 443}.get(scheme)


def get(
    session: requests.Session,
    endpoint: Endpoint,
    url: str,
    params: dict[str, Any],
    timeout: float,
    max_bytes: int,
) -> tuple[int, bytes]:
    """Status and body of a GET, following redirects only within ``endpoint``, all within ``timeout`` seconds.

    Raises:
        DeadlineExceeded: the exchange, redirects included, outlasted ``timeout``.
        TooLarge: the body (decoded) is longer than ``max_bytes``.
        OffEndpoint: a redirect leads outside ``endpoint``.
        requests.RequestException: the connection failed.
    """
    began = time.monotonic()
    with _Deadline(timeout) as deadline:
        try:
            for _ in range(MAX_REDIRECTS + 1):
                left = max(0.001, timeout - (time.monotonic() - began))
                response = session.get(url, params=params, timeout=left, stream=True, allow_redirects=False)
                with response:
                    if response.status_code not in _REDIRECTS:
                        body = _body(response, max_bytes)
                        if deadline.expired:  # a body without a length ends where the watchdog cut it
                            raise DeadlineExceeded(f"no whole answer within the {timeout:g} s deadline")
                        return response.status_code, body
                    target = urljoin(response.url, response.headers.get("Location", ""))
                if not endpoint.holds(target):
                    raise OffEndpoint(f"redirected off the endpoint {endpoint.base} to {target[:200]}")
                url, params = target, {}
            raise OffEndpoint(f"more than {MAX_REDIRECTS} redirects from {url[:200]}")
        except requests.RequestException as error:
            if deadline.expired:
                raise DeadlineExceeded(f"no whole answer within the {timeout:g} s deadline") from error
            raise
        finally:
            if deadline.expired:
                # The watchdog may have fired just as the answer ended: the sockets are shut either way.
                session.close()


def _body(response: requests.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"a body of {int(declared)} bytes declared, more than the cap of {max_bytes} bytes")
    body = bytearray()
    for chunk in response.iter_content(CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise TooLarge(f"a body of more than the cap of {max_bytes} bytes")
    return bytes(body)
