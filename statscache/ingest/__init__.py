"""Ingest: the path of a message, from an envelope off any transport to the plugins' tables.

- :mod:`~statscache.ingest.envelope`: an envelope checked and wrapped as a :class:`~statscache.ingest.envelope.Message`;
- :mod:`~statscache.ingest.meta`: the users and packages a message names (fedmsg.meta);
- :mod:`~statscache.ingest.pipeline`: each plugin's contribution, routed by topic and cached;
- :mod:`~statscache.ingest.cache`: the cache between the consumer's thread and the flush;
- :mod:`~statscache.ingest.flusher`: the flush, exactly once, all or nothing.
"""
