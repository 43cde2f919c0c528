"""The WSGI app for servers such as gunicorn: ``gunicorn statscache.app:app``.

It reads ``fedmsg.d/`` from the working directory when imported. Run as a
script (``python statscache/app.py``) it serves like ``statscache-web``.
"""

from __future__ import annotations

if __name__ == "__main__":
    from statscache.web.cli import main

    main()
else:
    from statscache.web import create_app

    app = create_app()
