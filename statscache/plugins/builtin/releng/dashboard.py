"""The plugin behind ``/releng``: every message of release engineering read into the cells of one board."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from statscache.plugins import Message
from statscache.plugins.builtin.releng.artifacts import atomic_release, ostree_commit
from statscache.plugins.builtin.releng.composes import legacy_compose, pungi_compose
from statscache.plugins.builtin.releng.images import fedimg_upload, image_published, image_test
from statscache.plugins.builtin.releng.names import subject
from statscache.plugins.builtin.releng.tasks import image_task
from statscache.plugins.builtin.releng.updates import bodhi_push
from statscache.plugins.milestones import Milestone, MilestonePlugin, board_group

Reader = Callable[[Message, list[str]], list[Milestone]]

#: The readers of each application (the topic's first part after ``<org>.<site>.<env>``).
READERS: dict[str, tuple[Reader, ...]] = {
    "compose": (legacy_compose,),
    "pungi": (pungi_compose, ostree_commit),
    "bodhi": (bodhi_push,),
    "fedimg": (fedimg_upload, image_test),
    "autocloud": (image_test,),
    "fedora_image_uploader": (image_published,),
    "buildsys": (image_task,),
    "releng": (atomic_release,),
}

#: Where the board's links may point: composes and koji's files, koji's pages, bodhi, the AMI launcher.
LINK_HOSTS = frozenset(
    {
        "kojipkgs.fedoraproject.org",
        "dl.fedoraproject.org",
        "koji.fedoraproject.org",
        "koji.stg.fedoraproject.org",
        "bodhi.fedoraproject.org",
        "redirect.fedoraproject.org",
    }
)


class RelengDashboard(MilestonePlugin):
    name = "Releng dashboard"
    summary = "When each compose stage, update push and sync, image upload and image build last ran, and how"
    description = (
        "The release-engineering board: for each cell (a compose stage of a branch and architecture, an update "
        "repository's push or sync, a cloud image's upload to a region or its tests, a koji image task, an OSTree "
        "ref) the newest start, success and failure, each with its time, message, status, run (compose id, task "
        "id, image name) and link. /releng draws the board; /api/releng-dashboard/board serves it in one request."
    )
    backlog_delta = timedelta(days=90)
    link_hosts = LINK_HOSTS
    layout = {
        "title": "Release engineering",
        "groups": [
            board_group(
                "composes",
                "Composes",
                "compose/<branch>/<arch>/<stage>",
                rows=["branch", "arch"],
                columns=["stage"],
                order={"stage": ["mash", "pungify", "rsync", "compose"], "arch": ["primary", "all"]},
                stale_after=20 * 3600,  # composes run daily: a day without one is old news sooner
            ),
            board_group(
                "updates",
                "Update pushes and syncs",
                "updates/<repository>/<step>",
                rows=["repository"],
                columns=["step"],
                order={"step": ["push", "repo", "sync"], "repository": ["all"]},
            ),
            board_group(
                "image-uploads",
                "Cloud image uploads",
                "image-upload/<image>/<release>/<arch>/<region>",
                rows=["image", "arch"],
                columns=["release"],
                items=["region"],
            ),
            board_group("image-tests", "Cloud image tests", "image-test/<image>/<release>", ["image"], ["release"]),
            board_group(
                "image-tasks",
                "LiveCD, appliance and image builds",
                "task/<method>/<name>/<release>/<arch>",
                rows=["method", "name"],
                columns=["release"],
                items=["arch"],
            ),
            board_group(
                "ostree",
                "OSTree commits",
                "ostree/<name>/<release>/<arch>/<variant>",
                ["name", "variant", "arch"],
                ["release"],
            ),
            board_group("atomic", "Atomic releases", "atomic/<release>", ["release"]),
        ],
    }

    def accepts(self, topic: str) -> bool:
        parts = subject(topic)
        return bool(parts) and parts[0] in READERS

    def milestones(self, message: Message) -> list[Milestone]:
        parts = subject(message.topic)
        for read in READERS.get(parts[0], ()) if parts else ():
            found = read(message, parts)
            if found:
                return found
        return []
