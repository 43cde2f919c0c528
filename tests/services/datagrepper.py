"""A real datagrepper 1.1.0 (Fedora's message-history web API) for integration tests.

datagrepper needs SQLAlchemy < 2 and psycopg2 while statscache uses SQLAlchemy 2 and psycopg 3,
so it runs from a venv of its own, built once under ``.cache/`` and reused while its pins and the
interpreter stay the same. It serves a database of the tests' private PostgreSQL cluster
(tests/services/postgres.py). Debian has no TimescaleDB, so two stand-in SQL functions take the place of
the ones datanommer and datagrepper call.

Messages get in the way production stores them: each envelope becomes a
``fedora_messaging.message.Message`` handed to ``datanommer.consumer.Nommer``. What that keeps:
``msg_id``, ``topic``, ``msg``, ``headers`` and the timestamp (as the ``sent-at`` header, to the
microsecond). What it does not: ``i`` (always 0), ``username`` (the base message schema has no
agent, so null), ``certificate``/``signature``/``crypto`` (null). A second message with the same
``msg_id`` *and* timestamp is skipped, as in production.

Users and packages: datanommer records what the message's schema names, and the base schema
names nobody, so by default a message has none and ``user=``/``package=`` queries find nothing.
In fedmsg's era datanommer recorded what fedmsg.meta named (the owner of a koji task, ...). An
envelope that carries ``users`` and/or ``packages`` (lists of names) is stored with exactly those,
as datanommer did then; :func:`fedmsg_era_meta` adds them to envelopes with fedmsg.meta's
processors for Fedora's topics. Envelopes without them are stored as before.

``meta=link`` (and the other ``meta=``) is answered from the fedora-messaging schema named in the
headers: a fedmsg-era message (base schema) gets ``null`` where the fedmsg-era datagrepper gave
fedmsg.meta's link (e.g. a koji task's ``taskinfo`` page).

Timestamps: datagrepper serves ``timestamp`` as a float of *whole* seconds (fractions are cut off,
not rounded: 100.9 is served as 100.0) but filters ``start``/``end`` on the stored microseconds,
both ends inclusive: a message stored at 100.9 is not found by ``end=100`` although it is served
as 100.0. Results are ordered by timestamp alone, so the order of messages sharing a timestamp is
PostgreSQL's choice, and may differ from one page to the next.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import psycopg
from psycopg import sql

from tests.services.postgres import HOST, PostgresServer, ServiceError, _tail, free_port

#: Every distribution of the venv, pinned (installed with ``--no-deps``, so this is the whole set).
#: ``psycopg2-binary`` stands in for the ``psycopg2`` that datagrepper and datanommer require, which
#: pip would compile (libpq-dev, a C compiler); flask-healthz 0.0.3 needs Flask < 3.
REQUIREMENTS = (
    "datagrepper==1.1.0",
    "datanommer.models==1.5.0",
    "datanommer.consumer==1.5.0",
    "fedora-messaging==3.9.1",
    "SQLAlchemy==1.4.54",
    "greenlet==3.5.6",
    "alembic==1.19.2",
    "Mako==1.4.3",
    "psycopg2-binary==2.9.13",
    "Flask==2.3.3",
    "Werkzeug==2.3.8",
    "Jinja2==3.1.6",
    "MarkupSafe==3.0.4",
    "itsdangerous==2.2.0",
    "click==8.5.1",
    "blinker==1.9.0",
    "flask-healthz==0.0.3",
    "waitress==3.0.2",
    "arrow==1.4.0",
    "python-dateutil==2.9.0.post0",
    "six==1.17.0",
    "tzdata==2026.6",
    "cffi==1.17.1",
    "pycparser==3.12",
    "docutils==0.23",
    "Pygments==2.21.0",
    "pygal==3.1.3",
    "importlib-metadata==10.2.0",
    "zipp==4.1.2",
    "lazy-importer==0.1.0",
    "moksha.common==1.2.5",
    "decorator==5.3.1",
    "kitchen==1.2.6",
    "pytz==2026.6",
    "crochet==2.1.1",
    "wrapt==2.5.2",
    "Twisted==26.10.0",
    "attrs==26.1.0",
    "Automat==25.4.16",
    "constantly==23.10.4",
    "hyperlink==21.0.0",
    "idna==3.20",
    "incremental==24.11.0",
    "packaging==26.4",
    "zope.interface==8.7",
    "typing-extensions==4.16.0",
    "jsonschema==4.26.0",
    "jsonschema-specifications==2025.9.1",
    "referencing==0.37.0",
    "rpds-py==2026.9.1",
    "pika==1.4.4",
    "pyOpenSSL==26.2.0",
    "cryptography==46.0.0",
    "service-identity==24.2.0",
    "pyasn1==0.6.5",
    "pyasn1-modules==0.4.2",
    "requests==2.34.2",
    "certifi==2026.10.19.post1",
    "charset-normalizer==3.5.3",
    "urllib3==2.8.0",
    "tomli==2.5.0",
    # datagrepper imports pkg_resources; 82 removed it (and a 3.12+ venv has no setuptools at all).
    "setuptools==80.9.0",
)

CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache"
#: Seconds the server may take to answer its first ``GET /raw``.
START_TIMEOUT = 60
#: Start attempts: another process may take the free port between our check and the server's bind.
START_ATTEMPTS = 3
STOP_TIMEOUT = 10
#: Requests datagrepper serves at once (a backfill fetches pages concurrently).
THREADS = 8
#: Seconds one ``load`` may take (10,000 messages take about 5 s here).
LOAD_TIMEOUT = 600

#: TimescaleDB's functions, as far as datanommer (the hypertable) and datagrepper (the count) use them.
STAND_INS = """
CREATE OR REPLACE FUNCTION public.create_hypertable(relation regclass, time_column name)
RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE OR REPLACE FUNCTION public.approximate_row_count(relation regclass)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE total bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', relation) INTO total;
    RETURN total;
END $$;
"""

TABLES = ("messages", "users", "packages", "users_messages", "packages_messages")

#: Run by the venv's Python: ``setup`` creates datanommer's tables and view, ``load`` stores the
#: JSON envelopes read from stdin, one a line, and prints how many it received and stored.
HELPER = """
import json, sys
from datetime import datetime, timezone

import datanommer.models as models
from datanommer.consumer import Nommer, get_datanommer_sqlalchemy_url
from sqlalchemy import create_engine, func, select


def setup():
    engine = create_engine(get_datanommer_sqlalchemy_url(), future=True)
    models.DeclarativeBase.metadata.create_all(engine)
    with engine.begin() as connection:
        models.create_view(connection)


def load():
    from fedora_messaging.message import Message

    class Recorded(Message):
        # The users and packages datanommer recorded in fedmsg's era (the base schema names none).
        # Swapped in after construction: an unregistered class cannot build a message's headers.
        @property
        def usernames(self):
            return list(self.recorded_users)

        @property
        def packages(self):
            return list(self.recorded_packages)

    nommer = Nommer()
    count = select(func.count()).select_from(models.Message)
    before = models.session.scalar(count)
    models.session.commit()
    received = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        envelope = json.loads(line)
        message = Message(topic=envelope["topic"], body=envelope["msg"], headers=envelope.get("headers"))
        if envelope.get("msg_id"):
            message.id = envelope["msg_id"]
        sent_at = datetime.fromtimestamp(envelope["timestamp"], tz=timezone.utc)
        message._headers["sent-at"] = sent_at.isoformat()
        if "users" in envelope or "packages" in envelope:
            message.__class__ = Recorded
            message.recorded_users = envelope.get("users") or []
            message.recorded_packages = envelope.get("packages") or []
        nommer(message)
        received += 1
    stored = models.session.scalar(count) - before
    print(json.dumps({"received": received, "stored": stored}))


{"setup": setup, "load": load}[sys.argv[1]]()
"""


class Loaded(NamedTuple):
    """What one :meth:`Datagrepper.load` did: envelopes sent, and messages datanommer stored."""

    received: int
    stored: int


#: fedmsg's settings for Fedora's bus, as fedmsg.meta's processors need them.
FEDMSG_META_CONFIG = {"topic_prefix": "org.fedoraproject", "topic_prefix_re": r"org\.fedoraproject\.[^\W\d_]+"}


def fedmsg_era_meta(envelopes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of the envelopes with the ``users`` and ``packages`` datanommer recorded in fedmsg's era.

    That datanommer asked fedmsg.meta (``msg2usernames``, ``msg2packages``) with Fedora's
    processors, so that datagrepper's ``user=masher`` finds the koji tasks masher owned, as in
    production then. fedmsg.meta runs here, in this process (datagrepper's venv has no fedmsg).
    A message its processor cannot read names nobody, as datanommer then logged and went on.
    """
    import fedmsg.meta

    fedmsg.meta.make_processors(**FEDMSG_META_CONFIG)
    return [{**envelope, **_fedmsg_names(fedmsg.meta, envelope)} for envelope in envelopes]


def _fedmsg_names(meta: Any, envelope: dict[str, Any]) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for field, reader in (("users", meta.msg2usernames), ("packages", meta.msg2packages)):
        try:
            names[field] = sorted(reader(envelope, **FEDMSG_META_CONFIG))
        except Exception:  # a processor meeting a message it does not expect, as datanommer saw them
            names[field] = []
    return names


def copy_messages(
    url: str, envelopes: list[dict[str, Any]], users: list[tuple[str, ...]], packages: list[tuple[str, ...]]
) -> None:
    """COPY the envelopes into the empty datanommer tables at ``url`` (psycopg's URL), with each one's
    users and packages in the association tables, then ANALYZE them."""
    user_ids = {name: n for n, name in enumerate(sorted({u for each in users for u in each}), start=1)}
    package_ids = {name: n for n, name in enumerate(sorted({p for each in packages for p in each}), start=1)}
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy("COPY users (id, name) FROM STDIN") as copy:
            for name, n in user_ids.items():
                copy.write_row((n, name))
        with cursor.copy("COPY packages (id, name) FROM STDIN") as copy:
            for name, n in package_ids.items():
                copy.write_row((n, name))
        columns = "id, msg_id, i, topic, timestamp, category, msg, headers"
        with cursor.copy(f"COPY messages ({columns}) FROM STDIN") as copy:
            for n, envelope in enumerate(envelopes, start=1):
                moment = datetime.fromtimestamp(envelope["timestamp"], tz=UTC)
                topic = envelope["topic"]
                headers = {**(envelope.get("headers") or {}), "sent-at": moment.isoformat()}
                parts = topic.split(".", 4)
                category = parts[3] if len(parts) > 3 else ""
                row = (n, envelope["msg_id"], 0, topic, moment.replace(tzinfo=None), category)
                copy.write_row((*row, json.dumps(envelope["msg"]), json.dumps(headers)))
        for table, column, names, ids in (
            ("users_messages", "user_id", users, user_ids),
            ("packages_messages", "package_id", packages, package_ids),
        ):
            with cursor.copy(f"COPY {table} ({column}, msg_id, msg_timestamp) FROM STDIN") as copy:
                for n, (envelope, named) in enumerate(zip(envelopes, names, strict=True), start=1):
                    moment = datetime.fromtimestamp(envelope["timestamp"], tz=UTC).replace(tzinfo=None)
                    for name in named:
                        copy.write_row((ids[name], n, moment))
        cursor.execute("SELECT setval('messages_id_seq', %s)", (len(envelopes),))
        connection.commit()
        connection.autocommit = True
        cursor.execute("VACUUM ANALYZE")


def base_python() -> str:
    """The interpreter this one's venv was made from (a venv is made from a real interpreter)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def venv_key(python: str) -> str:
    """Changes with the pins and the interpreter, so a changed pin gets a venv of its own."""
    material = "\n".join([*REQUIREMENTS, python, platform.python_version()])
    return hashlib.sha256(material.encode()).hexdigest()[:12]


def _run(command: list[str], what: str, timeout: float = 900, **options: Any) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; a failure is a :class:`ServiceError` with the end of its output."""
    options.setdefault("env", _clean_environment())
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **options)
    except subprocess.TimeoutExpired as error:
        raise ServiceError(f"{what} did not finish within {timeout} s") from error
    if result.returncode != 0:
        output = _tail(result.stdout + "\n" + result.stderr)
        raise ServiceError(f"{what} failed (exit status {result.returncode}):\n{output}")
    return result


def ensure_venv(cache_dir: Path = CACHE_DIR) -> Path:
    """datagrepper's venv, built when missing; returns its directory.

    Processes building at once (pytest-xdist workers, two checkouts' runs) take turns on a
    file lock; a venv counts as built only once its marker is written, last, so one left
    half-built by a killed run is built again.
    """
    python = base_python()
    venv = cache_dir / f"datagrepper-venv-{venv_key(python)}"
    marker = venv / "statscache-complete"
    if marker.exists():
        return venv
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if marker.exists():
            return venv  # built by another process while this one waited
        shutil.rmtree(venv, ignore_errors=True)
        # The builders hold the lock too: were this process killed, an orphaned pip keeps it.
        holding = {"pass_fds": (lock.fileno(),)}
        _run([python, "-m", "venv", str(venv)], f"creating the datagrepper venv {venv}", **holding)
        requirements = venv / "requirements.txt"
        requirements.write_text("\n".join(REQUIREMENTS) + "\n")
        _run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-input", "-r", str(requirements)],
            f"installing datagrepper into {venv}",
            **holding,
        )
        _run(
            [str(venv / "bin" / "python"), "-c", "import datagrepper.app, datanommer.consumer, waitress"],
            f"importing datagrepper in {venv}",
        )
        marker.write_text(requirements.read_text())
    return venv


def _clean_environment() -> dict[str, str]:
    """This process's environment without what would make another venv's Python load our modules."""
    return {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "PYTHONHOME")}


class Datagrepper:
    """datagrepper serving a database of its own: :meth:`start`, :meth:`load`, :meth:`clear`, :meth:`stop`."""

    def __init__(self, postgres: PostgresServer, database: str = "datagrepper", cache_dir: Path = CACHE_DIR) -> None:
        self.postgres = postgres
        self.database = database
        self.cache_dir = cache_dir
        #: Base URL, ending with "/": ``url + "raw"`` is the message endpoint.
        self.url = ""
        #: Seconds the last :meth:`start` took: venv (when it had to be built), database and server.
        self.start_seconds = 0.0
        self._venv: Path | None = None
        self._base: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._database_created = False

    @property
    def base(self) -> Path:
        """The temporary directory: both config files and ``server.log``."""
        if self._base is None:
            raise ServiceError("datagrepper is not started")
        return self._base

    @property
    def log_file(self) -> Path:
        return self.base / "server.log"

    @property
    def python(self) -> Path:
        if self._venv is None:
            raise ServiceError("datagrepper is not started")
        return self._venv / "bin" / "python"

    @property
    def database_url(self) -> str:
        """The database, as datagrepper's psycopg2 reaches it."""
        return f"postgresql://{self.postgres.user}@{self.postgres.host}:{self.postgres.port}/{self.database}"

    def start(self) -> Datagrepper:
        """Build or reuse the venv, create the database, start the server; raises :class:`ServiceError`."""
        if self._process is not None:
            return self
        began = time.monotonic()
        self._venv = ensure_venv(self.cache_dir)
        self._base = Path(tempfile.mkdtemp(prefix="statscache-datagrepper-"))
        atexit.register(self.stop)
        try:
            self._write_config()
            self._create_database()
            self._start_server()
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop the server, drop its database and remove its directory."""
        atexit.unregister(self.stop)
        try:
            self._stop_server()
            if self._database_created:
                self._database_created = False
                self.postgres.drop_database(self.database)
        finally:
            if self._base is not None:
                shutil.rmtree(self._base, ignore_errors=True)
                self._base = None
            self.url = ""

    def __enter__(self) -> Datagrepper:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def load(self, envelopes: Iterable[dict[str, Any]]) -> Loaded:
        """Store datagrepper/fedmsg envelopes through datanommer's consumer, in one helper process.

        Each needs ``topic``, ``msg`` and ``timestamp`` (float epoch seconds), and should have
        ``msg_id``; ``headers`` are kept; ``users`` and ``packages`` (lists of names), when given,
        are what datanommer records for ``user=``/``package=`` (see the module's docstring);
        other keys are ignored, as datanommer ignores them.
        """
        lines = "".join(json.dumps(envelope) + "\n" for envelope in envelopes)
        result = self._helper("load", "loading messages into datagrepper", input=lines, timeout=LOAD_TIMEOUT)
        counts = json.loads(result.stdout.strip().splitlines()[-1])
        return Loaded(counts["received"], counts["stored"])

    def copy_in(self, envelopes: list[dict[str, Any]]) -> int:
        """Store envelopes straight into datanommer's tables with COPY, as its consumer would store them
        (the ``sent-at`` header, the body as JSON, the ``users`` and ``packages`` each one carries); how
        many. About twenty times as fast as :meth:`load`: for tests about what datagrepper serves, not
        about how messages get in. The tables must hold no message yet (:meth:`clear`)."""
        users = [tuple(envelope.get("users") or ()) for envelope in envelopes]
        packages = [tuple(envelope.get("packages") or ()) for envelope in envelopes]
        copy_messages(self.database_url, envelopes, users, packages)
        return len(envelopes)

    def clear(self) -> None:
        """Delete every message (and user and package), so that one server can serve many tests."""
        with self.postgres.connect(self.database) as connection:
            connection.execute(
                sql.SQL("TRUNCATE {} RESTART IDENTITY").format(sql.SQL(", ").join(map(sql.Identifier, TABLES)))
            )

    def _environment(self) -> dict[str, str]:
        return {
            **_clean_environment(),
            # datagrepper and datanommer mix naive local datetimes with epoch seconds.
            "TZ": "UTC",
            "DATAGREPPER_CONFIG": str(self.base / "datagrepper.cfg"),
            "FEDORA_MESSAGING_CONF": str(self.base / "fedora-messaging.toml"),
        }

    def _helper(self, command: str, what: str, **options: Any) -> subprocess.CompletedProcess[str]:
        return _run([str(self.python), "-c", HELPER, command], what, env=self._environment(), cwd=self.base, **options)

    def _write_config(self) -> None:
        url = json.dumps(self.database_url)  # a JSON string is a valid Python and TOML string
        (self.base / "datagrepper.cfg").write_text(
            f"DATANOMMER_SQLALCHEMY_URL = {url}\n"
            # The default asks TimescaleDB for an estimate; the stand-in would count anyway.
            "DATAGREPPER_APPROXIMATE_COUNT = False\n"
        )
        (self.base / "fedora-messaging.toml").write_text(f"[consumer_config]\ndatanommer_sqlalchemy_url = {url}\n")

    def _create_database(self) -> None:
        try:
            self.postgres.create_database(self.database)
            self._database_created = True
            with self.postgres.connect(self.database) as connection:
                connection.execute(STAND_INS)
        except psycopg.Error as error:
            raise ServiceError(f"creating datagrepper's database {self.database!r}: {error}") from error
        self._helper("setup", "creating datanommer's tables")

    def _start_server(self) -> None:
        for attempt in range(1, START_ATTEMPTS + 1):
            port = free_port()
            with open(self.log_file, "wb") as log:
                self._process = subprocess.Popen(
                    [str(self.python), "-m", "waitress", f"--listen={HOST}:{port}", f"--threads={THREADS}"]
                    + ["datagrepper.app:app"],
                    env=self._environment(),
                    cwd=self.base,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # a Ctrl-C meant for pytest is not meant for it: stop() stops it
                )
            self.url = f"http://{HOST}:{port}/"
            problem = self._wait_ready()
            if not problem:
                return
            log_text = self.log_file.read_text(errors="replace")
            self._stop_server()
            if "address already in use" in log_text.lower() and attempt < START_ATTEMPTS:
                continue
            raise ServiceError(f"datagrepper on {self.url}: {problem}\nlast lines of its log:\n{_tail(log_text)}")

    def _stop_server(self) -> None:
        if self._process is not None:
            process, self._process = self._process, None
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _wait_ready(self) -> str:
        """Poll ``GET /raw`` until it answers 200; returns what went wrong, or ""."""
        assert self._process is not None
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 never via a proxy
        request = urllib.request.Request(self.url + "raw", headers={"Accept": "application/json"})
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return f"exited with status {self._process.returncode} before serving"
            try:
                with opener.open(request, timeout=5) as response:
                    if response.status == 200:
                        return ""
            except urllib.error.HTTPError as error:
                return f"GET /raw answered {error.code}"
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass  # not listening yet
            time.sleep(0.1)
        return f"GET /raw did not answer within {START_TIMEOUT} s"
