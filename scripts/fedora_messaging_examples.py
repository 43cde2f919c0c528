#!/usr/bin/env python3
"""Regenerates tests/data/fedora-messaging-examples.jsonl: real message bodies of today's bus (fedora-messaging).

Each application of Fedora's AMQP bus publishes through a schema package (PyPI), and each
package's own test suite holds example bodies of its messages. This script runs those test
suites, records every message their tests build (the schema class, its topic and body, the
test file and line that built it), keeps the ones their schema validates, and writes each as
the envelope statscache receives from the bus or from datagrepper (statscache/amqp/envelope.py)::

    {"topic": "org.fedoraproject.prod.<topic>", "msg_id": "<uuid>", "timestamp": <epoch>,
     "msg": <body>, "headers": {...}, "source": "<package>==<version> <file in its sdist>, line <n>"}

``headers`` are those fedora-messaging sets when it publishes such a message: the schema's
entry-point name (``fedora_messaging_schema``), its package, severity, priority, ``sent-at``
(the envelope's time) and the naming headers the schema computes from the body
(``fedora_messaging_user_<name>``, ``_rpm_``, ``_group_``, ``_container_``, ``_module_``,
``_flatpak_``). msg_ids and times are made up (uuid5 of the line's origin, one time per line),
the same on every run; so is the rest, but for the meeting times of fedocal's reminders, which
its tests take from the clock.

A few bodies come from elsewhere, as literals in :data:`EXTRA`, each with its origin:
koschei-messages' sdist has no tests (its GitHub repository's tests and koschei's own test of
what it publishes give them), and pungi is not on PyPI (its "pungi" is another project) and
publishes with fedora-messaging's base schema (the bodies are the fields its notifier test
expects, with the phase tests' arguments).

It needs the schema packages themselves, so it runs in a throwaway venv, not statscache's::

    python3 -m venv /tmp/examples
    /tmp/examples/bin/pip install pytest mock pytest-mock $(python3 scripts/fedora_messaging_examples.py --requirements)
    /tmp/examples/bin/python scripts/fedora_messaging_examples.py > tests/data/fedora-messaging-examples.jsonl

The sdists are downloaded (``pip download --no-binary :all:``) into ``--sdists`` (default: a
temporary directory) unless already there. At most ``--per-schema`` bodies (default 2) are kept
for each schema and topic, the first ones in the order the suite runs its tests, and as many again
of those whose headers name nobody.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import importlib
import json
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import Any

#: The schema packages read, newest releases: (PyPI name, version). Left out: ci-messages 0.2.1 (its tests
#: cannot find the schema files its sdist lacks) and fedora-planet-messages 1.2.0 (its tests do not import).
PACKAGES = [
    ("bodhi-messages", "26.4.0"),
    ("koji-fedoramessaging-messages", "1.3.0"),
    ("koschei-messages", "1.0.1"),
    ("bugzilla2fedmsg-schema", "1.1.0"),
    ("fedora-image-uploader-messages", "1.2.0"),
    ("copr-messaging", "1.3"),
    ("pagure-messages", "1.3.3"),
    ("anitya-schema", "2.3.0"),
    ("noggin-messages", "1.1.0"),
    ("fedocal-messages", "1.6.0"),
    ("mdapi-messages", "1.0.0"),
    ("discourse2fedmsg-messages", "1.1.0"),
    ("fedora-messaging-the-new-hotness-schema", "1.3.0"),
    ("fedora-messaging-git-hook-messages", "1.0.2"),
    ("nuancier-messages", "1.0.0"),
]
#: The fedora-messaging whose headers the envelopes carry.
FEDORA_MESSAGING = ("fedora-messaging", "3.9.1")
#: Where every envelope's topic starts, unless its schema's topic is already whole (anitya's).
PREFIX = "org.fedoraproject.prod."
#: The first envelope's time (2025-06-02 00:00:00 UTC) and the seconds between two envelopes.
START = 1748822400.0
STEP = 97.0
#: msg_ids are uuid5 of each line's origin in this namespace.
NAMESPACE = uuid.UUID("6b1d6f0e-6c55-4c1c-9a55-3f0b7a1c2d11")
#: The headers a publisher's schema computes, naming users, packages, groups, containers, modules, flatpaks.
NAMING = tuple(f"fedora_messaging_{kind}_" for kind in ("user", "rpm", "group", "container", "module", "flatpak"))
#: Where a recording test run writes what it saw (the pytest plugin below reads it).
RECORD_TO = "FEDORA_MESSAGING_EXAMPLES_RECORD_TO"

#: Koschei-messages 1.0.1's sdist holds no tests: its repository's tests, and koschei's own test of what it
#: publishes (koschei/plugins/fedmsg_plugin/backend/publisher.py builds these schema classes).
_KOSCHEI_MESSAGES = "koschei-messages (github.com/fedora-infra/koschei-messages @3be3ce6c)"
_KOSCHEI = "koschei (github.com/fedora-infra/koschei @29a6e1c3)"
#: What pungi's notifier adds to every message (pungi 4.3.2 tests/test_notifier.py, TestNotifier._call).
_PUNGI_NOTIFIED = {
    "compose_id": "COMPOSE_ID",
    "location": "/a/b",
    "compose_date": "20171031",
    "compose_type": "production",
    "compose_respin": 1,
    "compose_label": "Updates-20171031.1021",
    "compose_path": "/a/b",
    "release_short": "L",
    "release_name": "Layer",
    "release_version": "27",
    "release_type": "updates",
    "release_is_layered": True,
    "base_product_name": "Base",
    "base_product_version": "1",
    "base_product_short": "B",
    "base_product_type": "ga",
}
_PUNGI = "pungi 4.3.2 (github.com/FyraLabs-Graveyard/pungi @20c2e592, a copy of pagure.io/pungi)"
#: Bodies no sdist's tests give: (schema name, topic, body, source).
EXTRA: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "koschei.package.state.change",
        "koschei.package.state.change",
        {
            "name": "rust-tokio",
            "new": "ok",
            "old": "failing",
            "collection": "f37",
            "collection_name": "Fedora 37",
            "groups": ["rust-sig"],
            "koji_instance": "primary",
        },
        f"{_KOSCHEI_MESSAGES} tests/test_package.py, line 16",
    ),
    (
        "koschei.package.state.change",
        "koschei.package.state.change",
        {
            "name": "rnv",
            "old": "failed",
            "new": "ok",
            "repo": "f25",
            "collection": "f25",
            "collection_name": "Fedora Rawhide",
            "koji_instance": "primary",
            "groups": ["c", "foo/xml"],
        },
        f"{_KOSCHEI} test/fedmsg_publisher_test.py, line 40",
    ),
    (
        "koschei.collection.state.change",
        "koschei.collection.state.change",
        {
            "repo_id": "f37",
            "collection": "f37",
            "collection_name": "Fedora 37",
            "new": "ok",
            "old": "failing",
            "koji_instance": "primary",
        },
        f"{_KOSCHEI_MESSAGES} tests/test_collection.py, line 16",
    ),
    (
        "base.message",
        "pungi.compose.status.change",
        {**_PUNGI_NOTIFIED, "status": "FINISHED"},
        f"{_PUNGI} tests/test_notifier.py, line 52, with tests/test_compose.py, line 733 (pungi/compose.py:494)",
    ),
    (
        "base.message",
        "pungi.compose.ostree",
        {
            **_PUNGI_NOTIFIED,
            "variant": "Everything",
            "arch": "x86_64",
            "ref": "fedora-atomic/25/x86_64",
            "commitid": "fca3465861a",
            "repo_path": "http://example.com/place/for/atomic",
            "local_repo_path": "/a/b/place/for/atomic",
        },
        f"{_PUNGI} tests/test_notifier.py, line 52, with tests/test_ostree_phase.py, line 431 (its topdir as /a/b)",
    ),
]


# --- The pytest plugin (loaded into each schema package's test run with -p) ---------------------------


#: What the recording run saw (the plugin's own state).
_SEEN: list[dict[str, Any]] = []


def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> None:
    """Records every message the tests build: its class, topic and body, and the test line that built it.

    Set before the suite's conftest modules load: some build their samples when imported.
    """
    if not os.environ.get(RECORD_TO):
        return
    from fedora_messaging import message

    root = Path.cwd().resolve()  # the run's directory: the unpacked sdist
    original = message.Message.__init__

    def recording(self: Any, body: Any = None, headers: Any = None, topic: Any = None, *args: Any, **kw: Any) -> None:
        frame = sys._getframe(1)
        while frame is not None:
            path = Path(frame.f_code.co_filename).resolve()
            if path.is_relative_to(root) and "test" in str(path.relative_to(root)):
                break
            frame = frame.f_back
        if frame is not None:
            with contextlib.suppress(TypeError, ValueError):  # a body that is not JSON: no bus would carry it
                _SEEN.append(
                    {
                        "class": f"{type(self).__module__}:{type(self).__qualname__}",
                        "topic": topic,
                        "body": json.loads(json.dumps(copy.deepcopy(body))),
                        "file": str(Path(frame.f_code.co_filename).resolve().relative_to(root)),
                        "line": frame.f_lineno,
                    }
                )
        original(self, body, headers, topic, *args, **kw)

    message.Message.__init__ = recording  # type: ignore[method-assign]


def pytest_unconfigure(config: Any) -> None:
    target = os.environ.get(RECORD_TO)
    if target:
        Path(target).write_text(json.dumps(_SEEN), encoding="utf-8")


# --- The generator ---------------------------------------------------------------------------------


def sdist_root(package: str, version: str, sdists: Path, work: Path) -> Path:
    """The unpacked sdist of one release, downloaded into ``sdists`` when it is not there."""
    stem = package.replace("-", "_").lower()
    found = [p for p in sdists.glob("*.tar.gz") if p.name.replace("-", "_").lower() == f"{stem}_{version}.tar.gz"]
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
            + [f"{package}=={version}", "-d", str(sdists)],
            check=True,
        )
        return sdist_root(package, version, sdists, work)
    with tarfile.open(found[0]) as archive:
        archive.extractall(work, filter="data")
        top = archive.getnames()[0].split("/")[0]
    return work / top


def recorded(root: Path, work: Path) -> list[dict[str, Any]]:
    """Every message one package's test suite builds (its tests may fail: what they built is kept)."""
    target = work / f"{root.name}.json"
    environment = {**os.environ, RECORD_TO: str(target), "PYTHONPATH": str(Path(__file__).resolve().parent)}
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", Path(__file__).stem, "-p", "no:cacheprovider", str(root)],
        cwd=root,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return json.loads(target.read_text(encoding="utf-8")) if target.exists() else []


def schema_message(schema_class: type[Any], topic: str | None, body: dict[str, Any]) -> Any | None:
    """The message as its publisher would send it, or None when its schema does not validate it."""
    from fedora_messaging import message

    try:
        built = schema_class(body=copy.deepcopy(body), topic=topic) if topic else schema_class(body=copy.deepcopy(body))
        built.validate()
        message.get_name(schema_class)
    except Exception:
        return None
    return built


def _published(schema_class: type[Any], package: str, body: Any) -> bool:
    """Whether a recorded message is one the package publishes: a class of its own (a suite may build others'
    classes, e.g. fedocal's test of looking classes up by topic), not one it keeps for old messages
    (copr's ``copr.unused.*``), with a body (tests build empty ones to test the schema)."""
    from importlib.metadata import packages_distributions

    from fedora_messaging import message

    if schema_class is message.Message or not body:
        return False
    try:
        name = message.get_name(schema_class)
    except TypeError:  # not registered: a class of the tests' own
        return False
    top = schema_class.__module__.split(".")[0]
    owners = {owner.lower().replace("_", "-") for owner in packages_distributions().get(top, [])}
    return package in owners and ".unused." not in name


def envelope(built: Any, number: int, source: str) -> dict[str, Any]:
    timestamp = START + number * STEP
    headers = dict(built._headers)
    headers["sent-at"] = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).isoformat()
    topic = built.topic if built.topic.startswith(("org.", "io.")) else PREFIX + built.topic
    return {
        "topic": topic,
        "msg_id": str(uuid.uuid5(NAMESPACE, f"{number} {source}")),
        "timestamp": timestamp,
        "msg": built.body,
        "headers": dict(sorted(headers.items())),
        "source": source,
    }


def examples(sdists: Path, per_schema: int) -> list[dict[str, Any]]:
    from fedora_messaging import message

    chosen: list[tuple[Any, str]] = []
    kept: dict[tuple[str, str, bool], list[str]] = {}

    def keep(built: Any, source: str) -> None:
        # Per schema and topic, bodies whose headers name someone or something and bodies that name nobody
        # (a bug on bugzilla's "Package Review" component by someone without a FAS account) are both kept.
        names = any(header.startswith(NAMING) for header in built._headers)
        bodies = kept.setdefault((message.get_name(type(built)), built.topic, names), [])
        text = json.dumps(built.body, sort_keys=True)
        if len(bodies) >= per_schema or text in bodies:
            return
        bodies.append(text)
        chosen.append((built, source))

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for package, version in PACKAGES:
            root = sdist_root(package, version, sdists, work)
            for seen in recorded(root, work):
                module, _, qualname = seen["class"].partition(":")
                try:
                    schema_class = getattr(importlib.import_module(module), qualname)
                except (ImportError, AttributeError):
                    continue
                if not _published(schema_class, package, seen["body"]):
                    continue
                built = schema_message(schema_class, seen["topic"], seen["body"])
                if built is not None:
                    keep(built, f"{package}=={version} {seen['file']}, line {seen['line']}")
    for name, topic, body, source in EXTRA:
        schema_class = message.get_class(name)
        built = schema_message(schema_class, topic, body)
        if built is None:
            raise SystemExit(f"{source}: its body does not validate as {name}")
        keep(built, source)
    return [envelope(built, number, source) for number, (built, source) in enumerate(chosen)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdists", type=Path, help="where the sdists are, or go (default: a temporary directory)")
    parser.add_argument("--per-schema", type=int, default=2, help="bodies kept per schema and topic (default 2)")
    parser.add_argument("--requirements", action="store_true", help="print the packages this needs, and stop")
    options = parser.parse_args()
    if options.requirements:
        print(" ".join(f"{name}=={version}" for name, version in [FEDORA_MESSAGING, *PACKAGES]))
        return
    # Building the suites' messages again, invalid ones included, makes fedora-messaging warn of each header
    # a schema cannot compute for them: those are dropped anyway.
    logging.getLogger("fedora_messaging").setLevel(logging.ERROR)
    warnings.simplefilter("ignore", DeprecationWarning)
    with tempfile.TemporaryDirectory() as scratch:
        sdists = options.sdists or Path(scratch)
        sdists.mkdir(parents=True, exist_ok=True)
        for line in examples(sdists, options.per_schema):
            print(json.dumps(line, sort_keys=False, ensure_ascii=False))


if __name__ == "__main__":
    main()
