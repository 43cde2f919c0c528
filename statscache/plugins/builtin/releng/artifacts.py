"""What composes publish besides their trees: OSTree commits (``ostree/<name>/<release>/<arch>/<variant>``,
the four parts of the ref) and the two-week Atomic release (``atomic/two-week``)."""

from __future__ import annotations

from statscache.plugins import Message
from statscache.plugins.builtin.releng.names import text
from statscache.plugins.milestones import FAILED, STARTED, SUCCEEDED, Milestone

#: ``releng.atomic.twoweek.<word>`` -> the phase it marks.
TWO_WEEK = {"begin": STARTED, "start": STARTED, "complete": SUCCEEDED, "done": SUCCEEDED, "failed": FAILED}


def ostree_commit(message: Message, parts: list[str]) -> list[Milestone]:
    if parts != ["pungi", "compose", "ostree"]:
        return []
    ref, commit = text(message.msg.get("ref")), text(message.msg.get("commitid"))
    if ref is None:
        return []
    # A ref is a path of four parts: fedora-atomic/25/x86_64/docker-host (name, release, arch, variant).
    pieces = ref.split("/")
    if len(pieces) != 4 or "" in pieces:
        return []
    status = f"committed {commit[:12]}" if commit else "committed"
    return [Milestone(f"ostree/{ref}", SUCCEEDED, status, text(message.msg.get("compose_id")))]


def atomic_release(message: Message, parts: list[str]) -> list[Milestone]:
    if parts[:3] != ["releng", "atomic", "twoweek"] or len(parts) != 4:
        return []
    phase = TWO_WEEK.get(parts[3])
    return [] if phase is None else [Milestone("atomic/two-week", phase, parts[3])]
