"""The message mixes the benchmarks replay (bench/ingest.py, bench/backfill.py).

``envelopes(name)`` gives one cycle of a mix; ``made(name, count)`` cycles it
to COUNT messages, each with a fresh Fedora-style msg_id and an event time of
its own (``START`` + i * ``step(name, count)``).

- ``"autocloud"``: the 1,302 recorded autocloud envelopes of October 2015
  (statscache/demo, in recorded order), 0.6 s of event time apart (Fedora's bus
  averaged ~1.7 msg/s): 100,000 of them span 16.7 hours. Few built-in plugins
  accept their topics, so this mix hides most of the plugins' cost.
- ``"fedora"`` (the default): the real messages the tests ship
  (tests/data/fedora-examples.jsonl: 136 examples of 18 categories, from the
  test suite of fedmsg_meta_fedora_infrastructure 0.31.0), their ``source``
  field dropped. Each example is repeated so that its category takes the share
  :data:`SHARES` gives it, and the cycle is shuffled (a fixed seed) so that
  categories interleave as on the bus. COUNT messages span one day
  (86,400 s / COUNT apart: 0.864 s for 100,000).

The shares are issue 14's rough picture of Fedora's bus (fedmsg/datagrepper,
2015-2016), not a measurement: most messages are buildsys (koji), copr, bodhi,
pagure/dist-git and fas. The examples hold no ``git`` category (dist-git's
pushes), so pagure's examples carry the pagure/git share; copr and fas have
one example each, repeated to their share. The other categories present
(:data:`OTHERS`: compose, pungi, fedimg, autocloud, anitya, ...) share the rest
equally; a category with no example gets nothing, and the shares of the
categories present are scaled to add up to 1.

Every example is checked with statscache's own parser
(``statscache.ingest.envelope.parse_envelope``) as it is published, with its
fresh msg_id and time; one it refuses would be dropped (none is at present:
the four examples without a ``timestamp`` get one like every other).
"""

from __future__ import annotations

import gzip
import json
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

from statscache.demo import SAMPLE

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "tests" / "data" / "fedora-examples.jsonl"
MIXES = ("fedora", "autocloud")
START = 1444348800.0  # 2015-10-09 00:00 UTC
DAY = 86_400.0
AUTOCLOUD_STEP = 0.6  # seconds between the autocloud mix's messages
#: Share of Fedora's bus traffic by category (the fourth part of the topic), per issue 14.
SHARES: dict[str, float] = {"buildsys": 0.25, "copr": 0.15, "bodhi": 0.12, "pagure": 0.15, "fas": 0.05}
#: What the categories :data:`SHARES` does not name share among themselves.
OTHERS = 1.0 - sum(SHARES.values())
#: Messages in one cycle of the fedora mix, roughly (each example appears at least once).
CYCLE = 2000
SEED = 14


def category(topic: str) -> str:
    """The category of a topic: ``org.fedoraproject.prod.bodhi.update.comment`` -> ``bodhi``."""
    parts = topic.split(".", 4)
    return parts[3] if len(parts) > 3 else ""


def envelopes(name: str) -> list[dict[str, Any]]:
    """One cycle of the mix ``name`` ("fedora" or "autocloud"), each envelope a dict of its own.

    msg_id and timestamp are as recorded (or missing): :func:`made` replaces both.
    """
    if name == "autocloud":
        with gzip.open(SAMPLE, "rt", encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]
    if name != "fedora":
        raise ValueError(f"no mix {name!r}: choose one of {', '.join(MIXES)}")
    examples, _ = fedora_examples()
    by_category: dict[str, list[dict[str, Any]]] = {}
    for example in examples:
        by_category.setdefault(category(example["topic"]), []).append(example)
    shares = category_shares(by_category)
    cycle = []
    for name_, group in by_category.items():
        repeats = max(1, round(shares[name_] * CYCLE / len(group)))
        cycle += [dict(example) for example in group for _ in range(repeats)]
    random.Random(SEED).shuffle(cycle)
    return cycle


def category_shares(by_category: dict[str, list[dict[str, Any]]]) -> dict[str, float]:
    """The share of each category present: :data:`SHARES`, or an equal part of :data:`OTHERS`; scaled to 1."""
    others = [name for name in by_category if name not in SHARES]
    wanted = {name: SHARES.get(name, OTHERS / max(1, len(others))) for name in by_category}
    total = sum(wanted.values())
    return {name: share / total for name, share in wanted.items()}


def fedora_examples() -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The examples statscache accepts (``source`` dropped), and (topic, reason) of each it refuses."""
    from statscache.exceptions import MalformedMessage
    from statscache.ingest.envelope import parse_envelope

    kept, dropped = [], []
    with EXAMPLES.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            example = json.loads(line)
            example.pop("source", None)
            try:
                parse_envelope(dict(example, msg_id="2015-check", timestamp=START), _NoNames())
            except MalformedMessage as e:
                dropped.append((str(example.get("topic")), e.reason))
                continue
            kept.append(example)
    return kept, dropped


class _NoNames:
    """A name reader for the check alone: nobody asks it."""

    def users(self, message: Any) -> tuple[str, ...]:
        return ()

    def packages(self, message: Any) -> tuple[str, ...]:
        return ()


def step(name: str, count: int) -> float:
    """Seconds of event time between two messages: one day over COUNT (fedora), 0.6 s (autocloud)."""
    return AUTOCLOUD_STEP if name == "autocloud" else DAY / max(1, count)


def random_msg_ids(count: int) -> list[str]:
    """Fedora-style msg_ids (``<year>-<uuid4>``), from one call to the system's random source."""
    digits = os.urandom(16 * count).hex()
    ids = []
    for start in range(0, 32 * count, 32):
        h = digits[start : start + 32]
        ids.append(f"2015-{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}")
    return ids


def made(name: str, count: int, whole_seconds: bool = False) -> list[dict[str, Any]]:
    """COUNT envelopes cycling through the mix: fresh msg_ids, event times ``step`` apart from :data:`START`."""
    cycle = envelopes(name)
    gap = step(name, count)
    ids = random_msg_ids(count)
    result = []
    for i, msg_id in enumerate(ids):
        moment = START + i * gap
        result.append(
            dict(cycle[i % len(cycle)], msg_id=msg_id, timestamp=float(int(moment)) if whole_seconds else moment)
        )
    return result


def describe(name: str) -> str:
    """One line: the mix, its cycle, and (fedora) the share of each category in it, largest first."""
    cycle = envelopes(name)
    if name == "autocloud":
        return f"mix autocloud: the {len(cycle):,} recorded autocloud envelopes, {AUTOCLOUD_STEP} s apart"
    examples, dropped = fedora_examples()
    counts = Counter(category(envelope["topic"]) for envelope in cycle)
    shares = ", ".join(f"{name_} {n / len(cycle):.0%}" for name_, n in counts.most_common())
    refused = f"; {len(dropped)} refused: {dropped}" if dropped else ""
    return (
        f"mix fedora: {len(examples)} examples of {len(counts)} categories{refused}, "
        f"a cycle of {len(cycle):,} over one day: {shares}"
    )
