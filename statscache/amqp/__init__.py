"""The AMQP adapter (today's Fedora bus: fedora-messaging on RabbitMQ), sibling of :mod:`statscache.hub`.

- :mod:`~statscache.amqp.envelope`: an AMQP delivery as the envelope statscache checks and counts.
"""
