"""Ingest: the path of a message, from an envelope off any transport to the plugins' tables.

- :mod:`~statscache.ingest.envelope`: an envelope checked and wrapped as a :class:`~statscache.plugins.Message`;
- :mod:`~statscache.ingest.meta`: the users and packages a message names (fedmsg.meta), one reader per pipeline;
- :mod:`~statscache.ingest.pipeline`: each plugin's contribution, routed by topic and cached;
- :mod:`~statscache.ingest.cache`: the cache between the consumer's thread and the flush;
- :mod:`~statscache.ingest.shares`: what each plugin gets of a flush (the exactly-once decision, no database);
- :mod:`~statscache.ingest.flusher`: the flush that writes the shares, all or nothing.
"""
