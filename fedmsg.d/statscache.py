# statscache configuration, read by fedmsg-hub from ./fedmsg.d/ (and /etc/fedmsg.d/).
# Every statscache.* key is listed here with its default; an unknown or mistyped
# statscache.* key, or a value out of its bounds, stops the hub with a message naming it.
import datetime

config = {
    # -- statscache ------------------------------------------------------------
    # Run the statscache consumer inside fedmsg-hub.
    "statscache.consumer.enabled": True,
    # Where statistics begin: messages older than this are skipped (aware UTC datetime,
    # from 1970 to now).
    "statscache.consumer.epoch": datetime.datetime(2012, 1, 1, tzinfo=datetime.UTC),
    # Worker processes that count the hub's messages, each a whole pipeline taking some topics
    # (0 to 64); 0 counts in the hub's own process. Each worker uses about a core at full speed
    # and 100 MB: on a machine of N cores, N workers. The database must be a file or a server.
    "statscache.consumer.workers": 0,
    # SQLAlchemy URL. Default: a SQLite file in the working directory. For PostgreSQL:
    # "postgresql+psycopg://user@host:5432/statscache"
    "statscache.sqlalchemy.uri": "sqlite:///statscache.sqlite",
    # How often the in-memory statistics are written to the database (100 ms to 1 day).
    "statscache.producer.frequency": datetime.timedelta(seconds=1),
    # Installed plugins to run, by entry point name; None runs them all.
    "statscache.plugins.enabled": None,
    # Installed plugins not to run.
    "statscache.plugins.disabled": [],
    # Window lengths of windowed plugins: one ident per length (volume-1m, volume-1h, ...);
    # whole seconds, 1 s to 366 days, at most 16 of them.
    "statscache.plugins.intervals": [
        datetime.timedelta(minutes=1),
        datetime.timedelta(hours=1),
        datetime.timedelta(days=1),
    ],
    # Serve the daemon's Prometheus counters on 127.0.0.1:PORT/metrics (None: off).
    "statscache.metrics.port": None,
    # The address it listens on: 0.0.0.0 in a container, where scrapes and probes come from elsewhere.
    "statscache.metrics.host": "127.0.0.1",
    # Upgrade the schema of a database of an earlier statscache at start (else: `statscache db upgrade`).
    "statscache.sqlalchemy.auto_upgrade": False,
    # /healthz/ready fails when no flush of the counts was committed for this long
    # (None: 60 s, or three flush intervals if that is longer).
    "statscache.health.max_flush_age": None,
    # Web API: rows in a page of /api/<ident> unless the request says (rows_per_page),
    # and the most a request may ask for (1 to 10,000).
    "statscache.app.default_rows_per_page": 100,
    "statscache.app.maximum_rows_per_page": 100,
    # Public URL of the web app's root, which the links it serves start with; None: relative links.
    "statscache.app.base_url": None,
    # statscache-web: worker threads, connections open at once, and how long a connection may
    # stay idle or take none of its response before it is closed.
    "statscache.app.worker_threads": 8,
    "statscache.app.connection_limit": 1000,
    "statscache.app.channel_timeout": datetime.timedelta(seconds=60),
    # The most stream=1 exports served at once per process (below threads).
    "statscache.app.stream_limit": 4,
    # Backfill: at start-up the hub fetches from datagrepper's /raw what each plugin's
    # statistics miss since they were last complete. None: no backfill. Fedora's:
    # "https://apps.fedoraproject.org/datagrepper/"
    "statscache.datagrepper.endpoint": None,
    # Pages fetched at once (1-32); how long a page may take, all of it (0.5 s to 1 h);
    # retries (with backoff) per page (0-100).
    "statscache.datagrepper.concurrency": 4,
    "statscache.datagrepper.timeout": datetime.timedelta(seconds=30),
    "statscache.datagrepper.retries": 5,
    # The largest page body taken; a larger one is refused (a gap, with its reason).
    "statscache.datagrepper.max_page_bytes": 8 * 1024 * 1024,
    # How long datagrepper may take to archive a message (1 s to 1 day).
    "statscache.datagrepper.lag": datetime.timedelta(minutes=1),
    # How often stretches of history that could not be fetched are tried again (1 s to 1 day).
    "statscache.datagrepper.retry_interval": datetime.timedelta(minutes=10),
    # Or read history from datanommer's own PostgreSQL (read-only), far faster than
    # datagrepper: "postgresql+psycopg://reader@db-datanommer/datanommer". None: datagrepper.
    "statscache.datanommer.uri": None,
    # Bot accounts the per-user statistics leave out, and topic patterns (shell-style) whose messages
    # the per-user and per-package statistics leave out. Fedora's usual ones, for example:
    #   "statscache.exclude.users": ["bodhi", "packit", "zuul", "koschei", "releng", "autopen", "kojira"],
    #   "statscache.exclude.topics": ["*.buildsys.rpm.sign", "*.buildsys.tag", "*.buildsys.untag",
    #                                 "*.buildsys.repo.init", "*.buildsys.repo.done"],
    # After changing them (the daemon warns once), `statscache rebuild 'volume-by-user-*' 'volume-by-package-*'
    # 'user-activity*' 'latest-by-*' 'pagure-contributions-by-user-*'` applies them to history.
    "statscache.exclude.users": [],
    "statscache.exclude.topics": [],
    # -- fedmsg: a local bus out of the box -------------------------------------
    # Where to listen: each value is a list of zeromq endpoints that publish.
    # Use 127.0.0.1 rather than localhost (moksha refuses "localhost").
    "endpoints": {
        "local": ["tcp://127.0.0.1:9940"],
    },
    "environment": "dev",
    # A local bus does not sign its messages; fedmsg drops unsigned ones unless told not to check.
    "validate_signatures": False,
    "sign_messages": False,
    "active": False,
    "zmq_enabled": True,
    # 0 = no limit: a finite high-water mark silently drops messages in bursts.
    "high_water_mark": 0,
    # Handle each message on the reactor thread instead of queueing it for a worker
    # thread: statscache's per-message work is a few microseconds, and the handoff
    # costs more than that (bench/ingest.py: 75k msg/s instead of 51k on 2 cores).
    "moksha.blocking_mode": True,
    "logging": {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"bare": {"format": "[%(asctime)s][%(name)20s %(levelname)7s] %(message)s"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "bare",
                "level": "INFO",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "statscache": {"level": "INFO", "propagate": False, "handlers": ["console"]},
            "fedmsg": {"level": "INFO", "propagate": False, "handlers": ["console"]},
            "moksha": {"level": "INFO", "propagate": False, "handlers": ["console"]},
        },
    },
}
