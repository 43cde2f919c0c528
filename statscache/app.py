"""The WSGI app for servers such as gunicorn: ``gunicorn --workers 4 --timeout 60 statscache.app:app``.

It reads ``fedmsg.d/`` from the working directory when imported. Run as a
script (``python statscache/app.py``) it serves like ``statscache-web``. In
production, put a reverse proxy that buffers responses in front (the README's
recipe), so that slow clients wait on the proxy rather than on a worker.
"""

from __future__ import annotations

if __name__ == "__main__":
    from statscache.cli.web import main

    main()
else:
    from statscache.web import create_app

    app = create_app()
