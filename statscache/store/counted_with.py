"""The settings the statistics in a database were counted with, where changing them changes what counts.

``statscache.exclude.*`` decides whom the per-user and per-package statistics
count. Changed, the messages counted from then on follow the new lists and the
history the old ones: nothing in the tables shows it. So the daemon records
the lists it counts with, and says so when they differ from the recorded ones
(and what applies the change to history, ``statscache rebuild``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import Engine, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from statscache.config import Config
from statscache.store.base import Base

log = logging.getLogger(__name__)

#: The command that applies changed exclusions to history (the built-in statistics that read users or packages).
REBUILD_NAMES = (
    "statscache rebuild 'volume-by-user-*' 'volume-by-package-*' 'user-activity*' 'latest-by-*' "
    "'pagure-contributions-by-user-*'"
)


class CountedWith(Base):
    """One setting the statistics were counted with, as JSON."""

    __tablename__ = "statscache_counted_with"

    name: Mapped[str] = mapped_column(String(), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


COUNTED_WITH_TABLES = [CountedWith.__table__]


def exclusions_of(config: Config) -> dict[str, Any]:
    return {"users": sorted(config.exclude_users), "topics": list(config.exclude_topics)}


def note(engine: Engine, config: Config) -> bool:
    """Record the exclusions this statscache counts with; warn (and return True) when the database's statistics
    were counted with others."""
    now = json.dumps(exclusions_of(config), sort_keys=True)
    with Session(engine) as session, session.begin():
        recorded = session.scalar(select(CountedWith).where(CountedWith.name == "exclusions"))
        if recorded is None:
            session.add(CountedWith(name="exclusions", value=now))
            return False
        if recorded.value == now:
            return False
        before = json.loads(recorded.value)
        recorded.value = now
    log.warning(
        "statscache.exclude.* changed since these statistics were counted (users %s, topics %s; now users %s, "
        "topics %s): messages counted from now on follow the new lists, history the old ones. To apply them to "
        "history: %s",
        before["users"],
        before["topics"],
        sorted(config.exclude_users),
        list(config.exclude_topics),
        REBUILD_NAMES,
    )
    return True
