"""The do-nothing fedora-messaging consumer of bench/amqp.py: ``fedora-messaging consume --callback-file``."""


def noop(message: object) -> None:
    """Take the message and do nothing: fedora-messaging acknowledges it as this returns."""
