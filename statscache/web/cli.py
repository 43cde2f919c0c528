"""``statscache-web``: serve the web app with waitress (a production WSGI server, pure Python)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from statscache.exceptions import StatscacheError


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="statscache-web",
        description="Serve statscache's API from the database the daemon writes "
        "(configuration: fedmsg.d/ in the working directory, as for fedmsg-hub).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on (default 5000)")
    parser.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)20s %(levelname)7s] %(message)s")
    import waitress

    from statscache.web import create_app

    try:
        app = create_app()
    except StatscacheError as e:
        raise SystemExit(f"statscache-web cannot start: {e}") from e
    logging.getLogger("statscache.web").info("serving on http://%s:%d/", args.host, args.port)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="statscache")


if __name__ == "__main__":
    main()
