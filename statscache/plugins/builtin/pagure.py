"""Built-in pagure plugins: contributions (pushes, pull requests, issues) in total, per user and per project.

Pagure (pagure.io, and src.fedoraproject.org for dist-git) announces each
action on ``pagure.git.receive``, ``pagure.pull-request.*`` and
``pagure.issue.*``; those are counted as contributions, each once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from statscache.plugins import CountingPlugin, Message, VolumePlugin

CONTRIBUTIONS = ("pagure.git.receive", "pagure.pull-request.", "pagure.issue.")


def is_contribution_topic(topic: str) -> bool:
    return ".pagure." in topic and any(f".{kind}" in topic for kind in CONTRIBUTIONS)


def is_contribution(message: Message) -> bool:
    return is_contribution_topic(message.topic)


def contributor(message: Message) -> tuple[str, ...]:
    """Who acted: pagure's ``agent``, or for old pushes without one, the user fedmsg.meta finds."""
    agent = message.msg.get("agent")
    if isinstance(agent, str) and agent:
        return (agent,)
    return message.users


def project_name(message: Message) -> str | None:
    """The project acted on, as pagure names it: ``ns/name``, ``fork/user/ns/name`` for a fork.

    Only strings are taken for its parts: the message chooses them, and
    anything else would be printed into a key (a list nested too deep to print
    raises, a long one makes a key of megabytes).
    """
    msg = message.msg
    candidates: list[Any] = [msg.get("project"), msg.get("repo")]
    for key in ("pullrequest", "pull_request", "commit"):
        nested = msg.get(key)
        if isinstance(nested, Mapping):
            candidates += [nested.get("project"), nested.get("repo")]
    for project in candidates:
        if isinstance(project, Mapping) and (name := _text(project.get("name"))):
            namespace = _text(project.get("namespace"))
            if namespace:
                name = f"{namespace}/{name}"
            user = project.get("user")
            owner = _text(user.get("name")) if isinstance(user, Mapping) else None
            if project.get("parent") and owner:
                name = f"fork/{owner}/{name}"
            return name
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class _OnContributions:
    """Mixin: the plugin takes only the topics of pagure contributions."""

    def accepts(self, topic: str) -> bool:
        return is_contribution_topic(topic)


class PagureContributions(_OnContributions, VolumePlugin):
    name = "Pagure contributions"
    summary = "Pagure contributions per window"
    description = "Distinct pagure pushes, pull request and issue actions, counted per UTC window."

    def matches(self, message: Message) -> bool:
        return is_contribution(message)


class PagureContributionsByUser(_OnContributions, CountingPlugin):
    name = "Pagure contributions by user"
    summary = "Pagure contributions per window and user"
    description = "Distinct pagure pushes, pull request and issue actions, counted per UTC window and acting user."

    def keys(self, message: Message) -> Iterable[str]:
        return contributor(message) if is_contribution(message) else ()


class PagureContributionsByProject(_OnContributions, CountingPlugin):
    name = "Pagure contributions by project"
    summary = "Pagure contributions per window and project"
    description = (
        "Distinct pagure pushes, pull request and issue actions, counted per UTC window and project "
        "(namespace/name, fork/user/namespace/name for forks)."
    )

    def keys(self, message: Message) -> Iterable[str]:
        if not is_contribution(message):
            return ()
        project = project_name(message)
        return (project,) if project else ()
