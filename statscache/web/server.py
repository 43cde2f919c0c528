"""``statscache-web``'s HTTP server: waitress, bounded so that clients that idle or never read cannot take it over.

Waitress closes a connection that sends no request for ``channel_timeout``
seconds, but not one whose response is being written: a client that asks for
an export and never reads it holds a worker thread, blocked until the client
reads, for ever. Here the same timeout also closes such a connection once it
has taken none of its response for that long, which frees the thread. A
response is buffered up to :data:`OUTBUF_HIGH_WATERMARK` bytes per connection
before its thread waits for the client.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from typing import Any, cast

import waitress.server
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer

log = logging.getLogger(__name__)

#: Bytes of a response waitress holds for a connection before the writing thread waits (waitress: 16 MiB).
OUTBUF_HIGH_WATERMARK = 1 << 20
#: The largest request body taken (waitress: 1 GiB, spooled to disk). The API only answers GET: none is needed.
MAX_REQUEST_BODY = 1 << 16


def create_server(
    app: Callable[..., Any], *, host: str, port: int, threads: int, connection_limit: int, channel_timeout: float
) -> MultiSocketServer | BaseWSGIServer:
    """A waitress server for ``app``, ready to ``run()``, that closes connections stalled for ``channel_timeout``."""
    timeout = max(1, math.ceil(channel_timeout))
    # waitress.create_server is this function, re-exported: types-waitress leaves the re-export out.
    server = waitress.server.create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        connection_limit=connection_limit,
        channel_timeout=timeout,
        # How often stalled connections are looked for: a stalled one is closed within 1.5 timeouts.
        cleanup_interval=max(1, min(30, timeout // 2)),
        outbuf_high_watermark=OUTBUF_HIGH_WATERMARK,
        max_request_body_size=MAX_REQUEST_BODY,
        # select() fails past 1024 file descriptors; poll() has no such limit.
        asyncore_use_poll=True,
        ident="statscache",
    )
    # Several addresses: a MultiSocketServer, whose map holds its dispatchers, a server per address among
    # them (types-waitress says the map may be None and holds sockets: neither is so here).
    listeners: Iterable[object] = [server] if isinstance(server, BaseWSGIServer) else (server.map or {}).values()
    for listener in listeners:
        if isinstance(listener, BaseWSGIServer):
            _close_stalled_writes(listener)
    return server


def _close_stalled_writes(server: BaseWSGIServer) -> None:
    """Extend the server's periodic maintenance to close connections whose response has not moved for the timeout."""
    idle_only = server.maintenance

    def maintenance(now: float) -> None:
        # waitress: connections with no request in progress. It passes time.time(), types-waitress says an int.
        idle_only(now)  # type: ignore[arg-type]
        cutoff = now - server.adj.channel_timeout
        # types-waitress declares one HTTPChannel: waitress keeps a dict of them, by file descriptor.
        channels = cast("dict[int, HTTPChannel]", server.active_channels)
        for channel in list(channels.values()):
            # last_activity moves whenever the client takes bytes: only a client that takes none stays behind.
            if channel.requests and channel.total_outbufs_len and channel.last_activity < cutoff:
                log.warning(
                    "closed a connection that took none of its response for %d s (from %s)",
                    server.adj.channel_timeout,
                    channel.addr[0] if channel.addr else "?",
                )
                # Wakes the thread waiting to write (it gets ClientDisconnected and moves on).
                channel.handle_close()

    # Replacing the method on this instance is the point: waitress's loop calls self.maintenance(now).
    server.maintenance = maintenance  # type: ignore[method-assign]
