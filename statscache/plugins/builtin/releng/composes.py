"""Composes, stage by stage: cells ``compose/<branch>/<arch>/<stage>``.

* fedmsg's era (the 2013-2016 scripts): ``compose.<branch>[.<stage>].<start|complete>``,
  one message per branch, architecture (``arch``: empty for the primary ones,
  ``arm``, ``ppc``, ``s390``) and stage (``mash``, ``pungify``, ``rsync``,
  ``image``...; none for the compose as a whole, the stage ``compose``).
* Pungi 4 (2015 on, and today's fedora-messaging): a compose covers every
  architecture at once (``all``); ``pungi.compose.status.change`` reports the
  compose itself (``STARTED``, ``FINISHED``, ``FINISHED_INCOMPLETE``, ``DOOMED``,
  ``TERMINATED``), ``pungi.compose.phase.start``/``stop`` each of its phases.
  The branch is the compose's name: its id without the date
  (``Fedora-Rawhide-20170406.n.0`` -> ``Fedora-Rawhide``).
"""

from __future__ import annotations

from statscache.plugins import Message
from statscache.plugins.builtin.releng.names import KOJI_COMPOSES, part, text
from statscache.plugins.milestones import FAILED, STARTED, SUCCEEDED, Milestone

#: The last word of a legacy compose topic -> the phase it marks.
LEGACY_ENDINGS = {"start": STARTED, "complete": SUCCEEDED, "done": SUCCEEDED, "stop": SUCCEEDED}
#: Pungi's compose statuses -> the phase each marks (others, if any appear, mark none).
PUNGI_STATUSES = {
    "STARTED": STARTED,
    "FINISHED": SUCCEEDED,
    "FINISHED_INCOMPLETE": SUCCEEDED,
    "DOOMED": FAILED,
    "TERMINATED": FAILED,
}
#: The stage of a whole compose (the dashboard's "Compose" line).
WHOLE = "compose"


def legacy_compose(message: Message, parts: list[str]) -> list[Milestone]:
    if len(parts) < 3 or parts[0] != "compose" or parts[-1] not in LEGACY_ENDINGS:
        return []
    branch = part(message.msg.get("branch")) or part(parts[1])
    arch = part(message.msg.get("arch")) or "primary"
    stage = "-".join(parts[2:-1]) or WHOLE
    if branch is None:
        return []
    link = text(message.msg.get("location")) or KOJI_COMPOSES
    run = part(message.msg.get("compose_id"))
    return [Milestone(f"compose/{branch}/{arch}/{stage}", LEGACY_ENDINGS[parts[-1]], parts[-1], run, link)]


def compose_name(message: Message) -> str | None:
    """A Pungi compose's name: its id less date and respin (``Fedora-Cloud-41-20241020.0``: ``Fedora-Cloud-41``)."""
    compose_id = part(message.msg.get("compose_id"))
    if compose_id is not None and "-" in compose_id:
        return compose_id.rsplit("-", 1)[0]
    short, version = part(message.msg.get("release_short")), part(message.msg.get("release_version"))
    return f"{short}-{version}" if short and version else None


def pungi_compose(message: Message, parts: list[str]) -> list[Milestone]:
    if len(parts) < 4 or parts[:2] != ["pungi", "compose"]:
        return []
    name = compose_name(message)
    if name is None:
        return []
    run = part(message.msg.get("compose_id"))
    link = text(message.msg.get("location")) or KOJI_COMPOSES
    if parts[2:] == ["status", "change"]:
        status = text(message.msg.get("status"))
        phase = PUNGI_STATUSES.get(status or "")
        if status is None or phase is None:
            return []
        return [Milestone(f"compose/{name}/all/{WHOLE}", phase, status, run, link)]
    if parts[2] == "phase" and parts[3:] in (["start"], ["stop"]):
        stage = part(message.msg.get("phase_name"))
        if stage is None:
            return []
        phase = STARTED if parts[3] == "start" else SUCCEEDED
        return [Milestone(f"compose/{name}/all/{stage}", phase, parts[3], run, link)]
    return []
