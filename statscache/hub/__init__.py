"""The fedmsg-hub adapter: statscache's consumer and producer inside moksha, its stop, and the zeromq bus's edge.

Only this package knows moksha, Twisted and fedmsg's consumers; the engine
(:mod:`statscache.ingest.pipeline`) takes messages from any transport. moksha finds
:class:`~statscache.hub.consumer.StatscacheConsumer` and
:class:`~statscache.hub.producer.StatscacheProducer` through their entry points.
"""
