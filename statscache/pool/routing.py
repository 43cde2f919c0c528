"""Which worker takes a topic's messages: one per topic, the least loaded one when the topic first comes."""

from __future__ import annotations

#: Topics whose worker is remembered at most (Fedora's bus has a few thousand); past it, choices start afresh.
MAX_TOPICS = 20_000


class TopicRouter:
    """Routes each topic to one of ``workers`` workers.

    Messages of one topic go to one worker, so that copies of a message (same
    topic) meet in one cache, and a worker's rows of a window aggregate over
    its whole topic. A new topic goes to the worker that has taken the fewest
    messages so far. Exactness does not depend on the choice: the ledger
    counts a message once whichever worker writes it.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("a router needs at least one worker")
        self._worker_of: dict[str, int] = {}
        self.load = [0] * workers

    def worker_for(self, topic: str) -> int:
        index = self._worker_of.get(topic)
        if index is None:
            if len(self._worker_of) >= MAX_TOPICS:  # a bus of ever-new topics must not grow this without end
                self._worker_of.clear()
            index = min(range(len(self.load)), key=self.load.__getitem__)
            self._worker_of[topic] = index
        self.load[index] += 1
        return index
