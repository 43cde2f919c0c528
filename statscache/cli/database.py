"""``statscache db current`` and ``statscache db upgrade``: where a database's schema stands, and bringing it
to this statscache's (see :mod:`statscache.store.revisions`)."""

from __future__ import annotations

import logging

from statscache import config as config_module
from statscache.cli.sources import raw_settings
from statscache.exceptions import DatabaseMissing
from statscache.store import dialects, revisions
from statscache.store.engine import make_engine, make_reader_engine, shown_url

log = logging.getLogger("statscache.cli.database")


def current(conf: str | None) -> int:
    """Print where the configured database stands; 0 when it is up to date (or new), 1 when it is not."""
    uri = config_module.load(raw_settings(conf)).sqlalchemy_uri
    engine = make_reader_engine(uri)
    try:
        with engine.connect() as connection:
            found = revisions.status(connection)
    except DatabaseMissing:
        print(f"{shown_url(uri)}: no database yet; statscache makes it at revision {revisions.head()}")
        return 0
    finally:
        engine.dispose()
    print(f"{shown_url(uri)}: {found.describe()}")
    return 0 if found.up_to_date else 1


def upgrade(conf: str | None) -> int:
    """Upgrade the configured database to this statscache's schema, in one transaction."""
    uri = config_module.load(raw_settings(conf)).sqlalchemy_uri
    engine = make_engine(uri)
    try:
        with dialects.of(engine).schema_lock(engine):
            with engine.connect() as connection:
                found = revisions.status(connection)
            if not found.made:
                print(
                    f"{shown_url(uri)}: no statscache tables yet; statscache makes them at revision {revisions.head()}"
                )
                return 0
            if found.current == revisions.head():
                print(f"{shown_url(uri)}: {found.describe()}")
                return 0
            before, after = revisions.upgrade(engine)
    finally:
        engine.dispose()
    shown = before if before is not None else revisions.UNRECORDED
    print(f"{shown_url(uri)}: upgraded from revision {shown} to {after}")
    return 0
