"""The store: every table statscache keeps besides the plugins' own, and every database-specific statement.

- :mod:`~statscache.store.engine`: engines for SQLite and PostgreSQL (the daemon's, and the web app's read-only one);
- :mod:`~statscache.store.ledger`: which plugins have counted which message;
- :mod:`~statscache.store.coverage`: where each plugin's statistics are complete, and the known gaps;
- :mod:`~statscache.store.quarantine`: messages a plugin could not write;
- :mod:`~statscache.store.tally`: row counts per time bucket, for deep pages;
- :mod:`~statscache.store.upsert`: adding counts and replacing latest events, per dialect.
"""
