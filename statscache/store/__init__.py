"""The store: every table statscache keeps besides the plugins' own, and every database-specific statement.

- :mod:`~statscache.store.base`: the declarative base of every table, and UTC timestamps;
- :mod:`~statscache.store.engine`: engines for SQLite and PostgreSQL (the daemon's, and the web app's read-only one);
- :mod:`~statscache.store.schema`: the tables made ready at start (created, upgraded, write access checked);
- :mod:`~statscache.store.ledger`: which plugins have counted which message;
- :mod:`~statscache.store.coverage`: where each plugin's statistics are complete, and the known gaps;
- :mod:`~statscache.store.quarantine`: messages a plugin could not write;
- :mod:`~statscache.store.tally`: row counts per time bucket, for deep pages;
- :mod:`~statscache.store.upsert`: adding counts and replacing latest events, per dialect;
- :mod:`~statscache.store.text`: which texts every database can store.
"""
