"""Built-in koji plugins: build outcomes per window, and the latest build state of each package.

Koji announces every state change of a build on ``buildsys.build.state.change``
with the new state as a number (``koji.BUILD_STATES``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from statscache.plugins import CountingPlugin, Event, LatestEventPlugin, Message

BUILD_STATES = {0: "building", 1: "completed", 2: "deleted", 3: "failed", 4: "canceled"}
#: The states a build ends in, and which the outcomes plugin counts.
OUTCOMES = ("completed", "failed", "canceled")
_STATE_CHANGE = ".buildsys.build.state.change"


def build_state(message: Message) -> str | None:
    """The state a koji build moved to, or None when the message is not a build state change."""
    if not message.topic.endswith(_STATE_CHANGE):
        return None
    new = message.msg.get("new")
    return BUILD_STATES.get(new) if type(new) is int else None


#: Hosts of koji's build pages: the primary instance and the secondary architectures' (``s390.koji...``).
KOJI_HOSTS = frozenset({"koji.fedoraproject.org", "*.koji.fedoraproject.org"})
#: A secondary koji instance's name, as it appears in its host name.
_INSTANCE = re.compile(r"[a-z0-9]{1,32}")


def build_link(message: Message) -> str | None:
    """The build's page in its koji instance (the primary one, or a secondary architecture's).

    None when the message names no build, or an instance that is not a plain
    name: the instance becomes part of the host, and must not choose it.
    """
    build_id = message.msg.get("build_id")
    if type(build_id) is not int or not 0 < build_id < 2**63:
        return None
    instance = message.msg.get("instance") or "primary"
    if instance == "primary":
        host = "koji.fedoraproject.org"
    elif type(instance) is str and _INSTANCE.fullmatch(instance):
        host = f"{instance}.koji.fedoraproject.org"
    else:
        return None
    return f"https://{host}/koji/buildinfo?buildID={build_id}"


class _OnBuildStateChanges:
    """Mixin: the plugin takes only koji's build state changes."""

    def accepts(self, topic: str) -> bool:
        return topic.endswith(_STATE_CHANGE)


class BuildOutcomes(_OnBuildStateChanges, CountingPlugin):
    name = "Build outcomes"
    summary = "Koji builds completed, failed and canceled per window"
    description = (
        "Distinct koji build state changes to completed, failed or canceled, counted per UTC window under that "
        "outcome (category), from buildsys.build.state.change messages of every koji instance."
    )
    backlog_delta = timedelta(days=366)

    def keys(self, message: Message) -> Iterable[str]:
        state = build_state(message)
        return (state,) if state in OUTCOMES else ()


class LatestBuilds(_OnBuildStateChanges, LatestEventPlugin):
    name = "Latest builds"
    summary = "The latest koji build state of each package"
    description = (
        "For each package (category), the state its newest koji build moved to (building, completed, deleted, "
        "failed, canceled), with a link to the build's koji page."
    )
    backlog_delta = timedelta(days=366)
    link_hosts = KOJI_HOSTS

    def event(self, message: Message) -> Event | None:
        state = build_state(message)
        package = message.msg.get("name")
        if state is None or not isinstance(package, str) or not package:
            return None
        return Event(package, state, build_link(message))
