"""statscache: live statistics of a fedmsg message bus, kept in a database."""

__version__ = "0.1.0"
