"""Pushes of updates and syncs of their repositories: cells ``updates/<repo>/<step>``.

A repository is named as bodhi names it (``f29-updates``, ``f29-updates-testing``,
``epel7``, ``epel7-testing``, ``dist-6E-epel-testing``); ``updates/all/push`` is
the start of a push run of every repository. Steps:

* ``push``: bodhi's compose of the repository (2015's masher: ``bodhi.mashtask.*``;
  since 2018 ``bodhi.compose.composing`` then ``bodhi.compose.complete``, whose
  ``success`` says how it went);
* ``repo``: the repository is written (``bodhi.repo.done``);
* ``sync``: it is synced out to the mirrors (2015: ``bodhi.updates.<fedora|epel>.sync``
  with the release and repository; since 2018 ``bodhi.compose.sync.wait``, then ``sync.done``).
"""

from __future__ import annotations

from statscache.plugins import Message
from statscache.plugins.builtin.releng.names import BODHI, part
from statscache.plugins.milestones import FAILED, STARTED, SUCCEEDED, Milestone

#: ``bodhi.<parts>`` -> (step, phase, status) of the messages that name their repository in ``repo``.
STEPS = {
    ("mashtask", "mashing"): ("push", STARTED, "mashing"),
    ("mashtask", "complete"): ("push", SUCCEEDED, "complete"),
    ("compose", "composing"): ("push", STARTED, "composing"),
    ("compose", "complete"): ("push", SUCCEEDED, "complete"),
    ("compose", "sync", "wait"): ("sync", STARTED, "waiting for the mirrors"),
    ("compose", "sync", "done"): ("sync", SUCCEEDED, "synced"),
    ("repo", "done"): ("repo", SUCCEEDED, "written"),
}
#: Starts of a push run of every repository.
RUN_STARTS = {("masher", "start"), ("composer", "start"), ("mashtask", "start"), ("compose", "start")}


def repository(product: str, release: str, repo: str) -> str:
    """bodhi's name of a repository a 2015 sync names by parts: (fedora, 23, updates-testing) -> f23-updates-testing."""
    if product == "fedora":
        return f"f{release}-{repo}"
    if product == "epel" and repo.startswith("epel"):
        return f"epel{release}{repo.removeprefix('epel')}"  # (epel, 7, epel-testing) -> epel7-testing
    return f"{product}{release}-{repo}"


def bodhi_push(message: Message, parts: list[str]) -> list[Milestone]:
    if len(parts) < 3 or parts[0] != "bodhi":
        return []
    steps = tuple(parts[1:])
    if steps in RUN_STARTS:
        return [Milestone("updates/all/push", STARTED, "start", None, BODHI)]
    if parts[1] == "updates" and parts[-1] == "sync" and len(parts) == 4:
        release, repo = part(message.msg.get("release")), part(message.msg.get("repo"))
        if release is None or repo is None:
            return []
        return [Milestone(f"updates/{repository(parts[2], release, repo)}/sync", SUCCEEDED, "synced", None, BODHI)]
    found = STEPS.get(steps)
    repo = part(message.msg.get("repo"))
    if found is None or repo is None:
        return []
    step, phase, status = found
    success = message.msg.get("success")
    if phase == SUCCEEDED and success is False:
        phase, status = FAILED, "failed"
    return [Milestone(f"updates/{repo}/{step}", phase, status, None, BODHI)]
