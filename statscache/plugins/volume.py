"""Built-in volume plugins: how many messages, and how many per category."""

from __future__ import annotations

from collections.abc import Iterable

from statscache.plugins import CountingPlugin, Message, VolumePlugin


class Volume(VolumePlugin):
    name = "Volume"
    summary = "Number of messages on the bus per window"
    description = (
        "Every distinct message (by msg_id) counted once in the UTC window of its own timestamp, "
        "however often it was delivered."
    )


class VolumeByCategory(CountingPlugin):
    name = "Volume by category"
    summary = "Number of messages per window and category"
    description = (
        "Distinct messages counted per UTC window and per category, the fourth dot-separated part "
        "of the topic (org.fedoraproject.prod.CATEGORY...), e.g. buildsys, bodhi, autocloud."
    )

    def keys(self, message: Message) -> Iterable[str]:
        return (message.category,) if message.category else ()
