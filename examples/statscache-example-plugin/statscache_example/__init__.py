"""An example statscache plugin, in a package of its own."""

from __future__ import annotations

from collections.abc import Iterable

from statscache.plugins import CountingPlugin, Message


class VolumeByEnvironment(CountingPlugin):
    """Counts messages per window and deployment environment: prod, stg or dev."""

    name = "Volume by environment"  # ident: volume-by-environment-1m, -1h, -1d
    summary = "Number of messages per window and deployment environment"
    description = (
        "Distinct messages counted per UTC window and per environment, the third part of the "
        "topic (org.fedoraproject.ENVIRONMENT.bodhi...): prod, stg or dev."
    )

    def keys(self, message: Message) -> Iterable[str]:
        parts = message.topic.split(".")
        return (parts[2],) if len(parts) > 3 else ()
