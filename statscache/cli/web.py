"""``statscache-web``: serve the web app with waitress (a production WSGI server, pure Python).

Threads, the connection limit and the channel timeout come from the
configuration (``statscache.app.*``); the flags override it.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from datetime import timedelta

from statscache import config as config_module
from statscache.cli.sources import raw_settings
from statscache.exceptions import StatscacheError


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="statscache-web",
        description="Serve statscache's API from the database the daemon writes "
        "(configuration: fedmsg.d/ in the working directory, as for fedmsg-hub, or --conf).",
    )
    parser.add_argument(
        "--conf",
        metavar="FILE",
        help="read the settings from [consumer_config] of this fedora-messaging file (as statscache consume does)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on (default 5000)")
    parser.add_argument("--threads", type=_positive, help="worker threads (default: statscache.app.worker_threads, 8)")
    parser.add_argument(
        "--connection-limit",
        type=_positive,
        help="most connections open at once (default: statscache.app.connection_limit, 1000)",
    )
    parser.add_argument(
        "--channel-timeout",
        type=_positive,
        metavar="SECONDS",
        help="close a connection that sends no request, or takes none of its response, for this long "
        "(default: statscache.app.channel_timeout, 60)",
    )
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, not {text!r}")
    return value


def settings(args: argparse.Namespace) -> config_module.Config:
    """The configuration (``--conf``, else fedmsg.d/), with the flags given on the command line in place of its keys."""
    raw = dict(raw_settings(args.conf))
    flags = {
        "statscache.app.worker_threads": args.threads,
        "statscache.app.connection_limit": args.connection_limit,
        "statscache.app.channel_timeout": None
        if args.channel_timeout is None
        else timedelta(seconds=args.channel_timeout),
    }
    raw.update({key: value for key, value in flags.items() if value is not None})
    return config_module.load(raw)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)20s %(levelname)7s] %(message)s")
    from statscache.web import create_app
    from statscache.web.server import create_server

    try:
        config = settings(args)
        app = create_app(config)
    except StatscacheError as e:
        raise SystemExit(f"statscache-web cannot start: {e}") from e
    server = create_server(
        app,
        host=args.host,
        port=args.port,
        threads=config.app_worker_threads,
        connection_limit=config.app_connection_limit,
        channel_timeout=config.app_channel_timeout.total_seconds(),
    )
    logging.getLogger("statscache.web").info("serving on http://%s:%d/ (%s)", args.host, args.port, _described(config))
    server.run()


def _described(config: config_module.Config) -> str:
    timeout = config.app_channel_timeout.total_seconds()
    return (
        f"{config.app_worker_threads} threads, at most {config.app_connection_limit} connections "
        f"and {config.app_stream_limit} exports at once, channel timeout {timeout:g} s"
    )


if __name__ == "__main__":
    main()
