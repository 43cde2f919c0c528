"""The exceptions statscache raises; everything else is a bug."""


class StatscacheError(Exception):
    """Base class of every error statscache raises on purpose."""


class ConfigError(StatscacheError):
    """A ``statscache.*`` configuration key is unknown or has the wrong type."""


class PluginLoadError(StatscacheError):
    """A ``statscache.plugin`` entry point could not be loaded or is incomplete."""


class MalformedMessage(StatscacheError):
    """An envelope from the bus cannot be counted.

    ``reason`` is a short, stable slug used as the metrics label.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class DatabaseOutage(StatscacheError):
    """The database lost a flush's transaction (full disk, I/O error, lost connection): nothing of it is kept."""


class DatabaseUnavailable(StatscacheError):
    """The database cannot be opened or written at start-up (a missing directory, no driver, read-only)."""


class DatabaseBehind(DatabaseUnavailable):
    """The database's schema is of an earlier statscache: ``statscache db upgrade`` brings it up to date."""


class DatabaseAhead(DatabaseUnavailable):
    """The database's schema is of a newer statscache than this one."""


class UnsupportedDatabase(DatabaseUnavailable):
    """The database is neither SQLite nor PostgreSQL: statscache knows no other's statements."""


class DatabaseMissing(StatscacheError):
    """The database the web app reads does not exist yet: the daemon creates it."""


class InvalidKey(StatscacheError, ValueError):
    """A plugin produced a key, category or status that cannot be stored: the message is refused for that plugin."""


class MetaError(StatscacheError):
    """fedmsg.meta could not read the users or packages of a message: the message is refused for that plugin."""


class LedgerConflict(StatscacheError):
    """Another process changed ledger records a flush read: the flush is rolled back and tried again."""


class BrokerUnavailable(StatscacheError):
    """A local RabbitMQ node could not be started (``statscache-run --amqp``): not installed, or it failed."""


class WorkerUnavailable(StatscacheError):
    """A worker process of the pool (``statscache.consumer.workers``) could not start."""


class WindowNotWritten(StatscacheError):
    """A rebuild's worker read a window of the archive but the database did not take its counts: not covered."""
