"""A sample of real bus traffic shipped with statscache, and the means to replay it.

``autocloud-2015-10.jsonl.gz`` holds 1,302 signed messages that Fedora's bus
carried in October 2015 (autocloud image builds), one datagrepper envelope per
line, in time order. Two pairs share a ``msg_id``: 1,300 distinct messages.
"""

from __future__ import annotations

from pathlib import Path

SAMPLE = Path(__file__).with_name("autocloud-2015-10.jsonl.gz")
