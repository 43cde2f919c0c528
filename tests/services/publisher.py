"""Publish envelopes to a broker the way Fedora's publishers do: ``fedora_messaging.api.publish``.

Run as a script (fedora-messaging's publisher runs Twisted through crochet, kept
out of the test process): ``python -m tests.services.publisher AMQP_URL < envelopes.jsonl``.
Each envelope's ``msg_id`` becomes the message id and its ``timestamp`` the
``sent-at`` header; an envelope may name a ``schema`` (a ``fedora.messages`` name).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def publish(url: str, envelopes: Iterable[dict[str, Any]]) -> None:
    """Publish every envelope, in order, each confirmed by the broker."""
    lines = "".join(json.dumps(envelope) + "\n" for envelope in envelopes)
    with tempfile.TemporaryDirectory() as folder:
        conf = Path(folder) / "publisher.toml"
        conf.write_text(f'amqp_url = "{url}"\npublish_exchange = "amq.topic"\n')
        env = {**os.environ, "FEDORA_MESSAGING_CONF": str(conf), "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "tests.services.publisher"], input=lines, text=True, env=env, capture_output=True
        )
    if done.returncode != 0:
        raise RuntimeError(f"publishing failed: {done.stderr[-3000:]}")


def main() -> None:
    from fedora_messaging import api, message

    for line in sys.stdin:
        if not line.strip():
            continue
        envelope = json.loads(line)
        kind = message.get_class(envelope["schema"]) if "schema" in envelope else message.Message
        outgoing = kind(topic=envelope["topic"], body=envelope["msg"])
        outgoing.id = envelope["msg_id"]
        outgoing._headers["sent-at"] = datetime.fromtimestamp(envelope["timestamp"], tz=UTC).isoformat()
        api.publish(outgoing)


if __name__ == "__main__":
    main()
