"""A kind of plugin for boards of processes: when each one last started, last succeeded and last failed.

A process is a *cell* (a compose stage of a branch and architecture, an image's
upload to a region, a koji task of an image): ``compose/rawhide/primary/mash``.
A message marks one or more cells as :data:`STARTED`, :data:`SUCCEEDED` or
:data:`FAILED`. For each cell and phase the table keeps the newest such
:class:`Milestone` (a later time, or the same time and a larger msg_id), so the
board is a function of the set of messages seen: the order they came in,
duplicates and backfill change nothing. What a board shows is derived from
those rows as they are served: whether a cell is running (its newest start is
newer than its newest end), how long its last run took, its newest failure
beside its newest success (see :mod:`statscache.web.board`).
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, ClassVar, NamedTuple

import orjson
from sqlalchemy.orm import Session

from statscache.exceptions import InvalidKey
from statscache.plugins.base import BasePlugin, Batch
from statscache.plugins.kinds import MAX_STATUS_LENGTH, StorableKeys, described, utc
from statscache.plugins.links import safe_link
from statscache.plugins.message import Message
from statscache.plugins.models import MilestoneModel, concrete_model
from statscache.store.text import is_storable
from statscache.store.upsert import replace_if_newer

STARTED = "started"
SUCCEEDED = "succeeded"
FAILED = "failed"
#: The phases a cell keeps the newest milestone of, in the order a run goes through them.
PHASES = (STARTED, SUCCEEDED, FAILED)
#: Most bytes of a milestone's detail as JSON: a few links and names, never a message's body.
MAX_DETAIL_BYTES = 4096
#: A part of a cell pattern: ``<name>``.
_NAMED = re.compile(r"<([^<>/]+)>")
#: Most cells one message may mark (an image's copies to every region are the most a real one marks).
MAX_MILESTONES = 64


class Milestone(NamedTuple):
    """What a message says of one cell: it started, succeeded or failed, and how (``status``)."""

    #: The cell: parts separated by ``/`` (none empty), as the plugin's layout names them.
    cell: str
    #: One of :data:`PHASES`.
    phase: str
    #: The state as the message words it (``completed``, ``FINISHED_INCOMPLETE``, ``canceled``...).
    status: str
    #: What run of the process it belongs to (a compose id, a task id, an image's name); None: unknown.
    run: str | None = None
    link: str | None = None
    #: A little more, JSON-ready: its ``links`` (a list) are kept only if safe, like ``link``.
    detail: dict[str, Any] | None = None


def board_group(
    id: str, title: str, cells: str, rows: Sequence[str], columns: Sequence[str] = (), **more: Any
) -> dict[str, Any]:
    """A group of a board's layout (see :mod:`statscache.web.board`) for the cells named like ``cells``:
    ``"compose/<branch>/<arch>/<stage>"`` takes the cells under ``compose/`` of three parts, so named.
    ``more``: ``items``, ``order``, ``stale_after``."""
    prefix, _, named = cells.partition("<")
    pieces = [_NAMED.fullmatch(piece) for piece in f"<{named}".split("/")] if named else [None]
    parts = [found.group(1) for found in pieces if found is not None]
    if len(parts) != len(pieces) or not set(rows) <= set(parts):
        raise ValueError(f"{cells!r}: a prefix then parts named <like-this> separated by '/'; rows among them")
    fields = {"rows": list(rows), "columns": list(columns)}
    return {"id": id, "title": title, "prefix": prefix, "parts": parts, **fields, **more}


class MilestonePlugin(BasePlugin):
    """Keeps the newest start, success and failure of each cell; write :meth:`milestones`.

    Links (``link`` and each of ``detail["links"]``) are kept only if they are
    http(s) URLs to one of :attr:`link_hosts` (:mod:`statscache.plugins.links`).
    """

    #: Hosts the plugin's links may point to (see :class:`~statscache.plugins.LatestEventPlugin`).
    link_hosts: ClassVar[frozenset[str]] = frozenset()
    # A cell's rows change time as it runs again: the tally's triggers would fire at each.
    tallied = False

    def __init__(self, interval: timedelta | None = None) -> None:
        super().__init__(interval)
        self.model = concrete_model(MilestoneModel, self.table_name)
        self._storable = StorableKeys()

    @abstractmethod
    def milestones(self, message: Message) -> Iterable[Milestone]:
        """The milestones ``message`` announces (none: it is not about a process here); of the message alone."""

    def process(self, message: Message) -> tuple[str, tuple[Milestone, ...]] | None:
        found = tuple(self._checked(milestone) for milestone in self.milestones(message))
        if not found:
            return None
        if len(found) > MAX_MILESTONES:
            raise InvalidKey(f"a message may mark at most {MAX_MILESTONES} cells; this one marks {len(found)}")
        return message.msg_id, found

    def _checked(self, milestone: object) -> Milestone:
        if type(milestone) is not Milestone:
            raise InvalidKey(f"milestones() gave {type(milestone).__name__}, not a Milestone")
        cell, phase, status, run, link, detail = milestone
        if not self._storable(cell) or "" in cell.split("/"):
            raise InvalidKey(
                f"a cell is 1 to 255 characters of parts separated by '/', none empty; got {described(cell)}"
            )
        if phase not in PHASES:
            raise InvalidKey(f"a milestone's phase is one of {', '.join(PHASES)}; got {described(phase)}")
        if not (type(status) is str and len(status) <= MAX_STATUS_LENGTH and is_storable(status)):
            raise InvalidKey(f"a status is at most {MAX_STATUS_LENGTH} storable characters; got {described(status)}")
        if run is not None and not self._storable(run):
            raise InvalidKey(f"a run is 1 to 255 storable characters; got {described(run)}")
        safe = None if link is None else safe_link(link, self.link_hosts)
        return Milestone(cell, phase, status, run, safe, self._detail(detail))

    def _detail(self, detail: object) -> dict[str, Any] | None:
        if detail is None:
            return None
        if type(detail) is not dict:
            raise InvalidKey(f"a milestone's detail is a dict; got {described(detail)}")
        links = detail.get("links")
        if links is not None:
            if type(links) is not list:
                raise InvalidKey("a milestone's detail links are a list")
            detail = {**detail, "links": [link for link in links if safe_link(link, self.link_hosts)]}
        try:
            size = len(orjson.dumps(detail))
        except (TypeError, orjson.JSONEncodeError) as error:
            raise InvalidKey(f"a milestone's detail is JSON: {error}") from None
        if size > MAX_DETAIL_BYTES:
            raise InvalidKey(f"a milestone's detail is at most {MAX_DETAIL_BYTES} bytes as JSON; this one is {size}")
        return detail

    def update(self, session: Session, batch: Batch) -> None:
        # The newest milestone of each cell and phase in the batch; a tie on time goes to the larger msg_id.
        newest: dict[tuple[str, str], tuple[float, str, Milestone]] = {}
        for timestamp, (msg_id, milestones) in batch:
            for milestone in milestones:
                key = (milestone.cell, milestone.phase)
                current = newest.get(key)
                if current is None or (timestamp, msg_id) > current[:2]:
                    newest[key] = (timestamp, msg_id, milestone)
        rows = [
            {
                "category": cell,
                "phase": phase,
                "timestamp": utc(timestamp),
                "msg_id": msg_id,
                "status": milestone.status,
                "run": milestone.run,
                "link": milestone.link,
                "detail": None if milestone.detail is None else orjson.dumps(milestone.detail).decode(),
            }
            for (cell, phase), (timestamp, msg_id, milestone) in sorted(newest.items())
        ]
        replace_if_newer(session, self.model, ("category", "phase"), rows)
