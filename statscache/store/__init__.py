"""The store: every table statscache keeps besides the plugins' own, and every database-specific statement.

- :mod:`~statscache.store.dialects`: the one seam between statscache and its databases: ``dialects.of(engine)``
  answers what SQLite and PostgreSQL do differently (:mod:`~statscache.store.dialects.sqlite` and
  :mod:`~statscache.store.dialects.postgresql` are the only modules that know either's ways);
- :mod:`~statscache.store.base`: the declarative base of every table, and UTC timestamps;
- :mod:`~statscache.store.engine`: engines (the daemon's, and the web app's read-only one) and read snapshots;
- :mod:`~statscache.store.schema`: the tables made ready at start (created, upgraded, write access checked);
- :mod:`~statscache.store.ledger`: which plugins have counted which message;
- :mod:`~statscache.store.coverage`: where each plugin's statistics are complete, and the known gaps;
- :mod:`~statscache.store.quarantine`: messages a plugin could not write;
- :mod:`~statscache.store.tally`: row counts per time bucket, for deep pages;
- :mod:`~statscache.store.upsert`: adding counts and replacing latest events;
- :mod:`~statscache.store.text`: which texts every database can store.
"""
