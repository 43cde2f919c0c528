"""The WSGI app for servers such as gunicorn: ``gunicorn --workers 4 --timeout 60 statscache.app:app``.

It reads its settings when imported: from ``[consumer_config]`` of the
fedora-messaging file that ``$STATSCACHE_CONF`` names, else from ``fedmsg.d/`` in
the working directory. Run as a script (``python statscache/app.py``) it serves
like ``statscache-web``. In production, put a reverse proxy that buffers
responses in front (the README's recipe), so that slow clients wait on the proxy
rather than on a worker.
"""

from __future__ import annotations

if __name__ == "__main__":
    from statscache.cli.web import main

    main()
else:
    from statscache.cli.sources import conf_of_environment, raw_settings
    from statscache.web import create_app

    app = create_app(raw_settings(conf_of_environment()))
