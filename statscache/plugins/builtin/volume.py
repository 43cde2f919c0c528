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


class VolumeByTopic(CountingPlugin):
    name = "Volume by topic"
    summary = "Number of messages per window and topic"
    description = "Distinct messages counted per UTC window and per full topic (org.fedoraproject.prod.bodhi....)."

    def keys(self, message: Message) -> Iterable[str]:
        return (message.topic,)


class VolumeByUser(CountingPlugin):
    name = "Volume by user"
    summary = "Number of messages per window and user"
    description = (
        "Distinct messages counted per UTC window and per user they name (FAS usernames, as fedmsg.meta reads "
        "them, or as a datagrepper record lists them). A message naming several users counts once for each."
    )

    def keys(self, message: Message) -> Iterable[str]:
        return message.users


class VolumeByPackage(CountingPlugin):
    name = "Volume by package"
    summary = "Number of messages per window and package"
    description = (
        "Distinct messages counted per UTC window and per package they name (as fedmsg.meta reads them, or as "
        "a datagrepper record lists them). A message naming several packages counts once for each."
    )

    def keys(self, message: Message) -> Iterable[str]:
        return message.packages
