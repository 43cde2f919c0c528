"""Services the tests start themselves: a private PostgreSQL cluster in a temporary directory.

The cluster listens on 127.0.0.1 (a free port) and on a Unix socket in its own
directory, trusts every local connection, and is thrown away at the end. As
root (CI) it runs as user ``postgres``, since PostgreSQL refuses to run as
root; otherwise as the current user. ``./test`` installs the server binaries
(Debian's ``postgresql``) through ``scripts/system-deps.sh``.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

#: Where Debian puts each installed major version's server binaries.
DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"
#: The cluster's superuser, whoever runs it.
SUPERUSER = "postgres"
#: The account that owns and runs the cluster when the tests run as root.
SERVICE_ACCOUNT = "postgres"
HOST = "127.0.0.1"
#: How long ``pg_ctl`` may wait for the server to accept connections, in seconds.
START_TIMEOUT = 60
#: Start attempts: another process may take the free port between our check and the server's bind.
START_ATTEMPTS = 3
LOG_TAIL_LINES = 30


class ServiceError(RuntimeError):
    """A service the tests need could not be started (or stopped)."""


class PostgresNotFound(ServiceError):
    """The PostgreSQL server binaries are not installed."""


def not_found_message(searched: str) -> str:
    return (
        f"PostgreSQL server binaries (initdb, pg_ctl) not found in {searched}. "
        "Run ./test, which installs them (Debian package 'postgresql', apt-get as root), "
        "or install them yourself: sudo apt-get install postgresql"
    )


def _version(bindir: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15/bin`` -> (15,); ``.../9.6/bin`` -> (9, 6)."""
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def _has_binaries(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def find_bindir(pattern: str | None = None, path: str | None = None) -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl``: Debian's newest version, else the one on PATH.

    ``pattern`` replaces :data:`DEBIAN_BINDIRS`, ``path`` the ``PATH`` searched.
    """
    debian = [Path(found) for found in glob.glob(pattern or DEBIAN_BINDIRS) if _has_binaries(Path(found))]
    if debian:
        return max(debian, key=_version)
    pg_ctl = shutil.which("pg_ctl", path=path)
    if pg_ctl is not None and _has_binaries(Path(pg_ctl).parent):
        return Path(pg_ctl).parent
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _locale() -> str:
    """C.UTF-8 where the C library has it (bytewise collation, UTF-8 characters), else C."""
    try:
        listed = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return "C"
    return "C.UTF-8" if any(name.lower().replace("-", "") == "c.utf8" for name in listed) else "C"


def _tail(text: str, lines: int = LOG_TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


class PostgresServer:
    """One private PostgreSQL cluster: :meth:`start`, :meth:`create_database`, :meth:`url`, :meth:`stop`."""

    def __init__(self, bindir: Path | None = None) -> None:
        found = bindir if bindir is not None else find_bindir()
        if found is None:
            raise PostgresNotFound(not_found_message(f"{DEBIAN_BINDIRS} or on PATH"))
        if not _has_binaries(found):
            raise PostgresNotFound(not_found_message(str(found)))
        self.bindir = found
        self.host = HOST
        self.port = 0
        self.user = SUPERUSER
        #: Seconds the last :meth:`start` took (initdb and server start).
        self.start_seconds = 0.0
        self._as_root = os.geteuid() == 0
        self._base: Path | None = None
        self._running = False

    @property
    def base(self) -> Path:
        """The temporary directory: ``data/``, ``server.log`` and the Unix socket."""
        if self._base is None:
            raise ServiceError("the PostgreSQL server is not started")
        return self._base

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log_file(self) -> Path:
        return self.base / "server.log"

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def start(self) -> PostgresServer:
        """Create the cluster in a fresh temporary directory and start it; raises :class:`ServiceError`."""
        if self._running:
            return self
        began = time.monotonic()
        self._base = Path(tempfile.mkdtemp(prefix="statscache-pg-"))
        try:
            if self._as_root:
                self._give_to_service_account(self._base)
            self._initdb()
            self._start_server()
        except BaseException:
            self._remove_base()
            raise
        self._running = True
        atexit.register(self.stop)
        self.start_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are closed) and remove its directory."""
        atexit.unregister(self.stop)
        if self._base is None:
            return
        try:
            if self._running:
                self._running = False
                result = self._run(["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])
                if result.returncode != 0:
                    raise ServiceError(self._failure("pg_ctl stop", result))
        finally:
            self._remove_base()

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        """An autocommit connection as the superuser (CREATE/DROP DATABASE cannot run in a transaction)."""
        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname=database, autocommit=True, connect_timeout=10
        )

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its SQLAlchemy URL."""
        with self.connect() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> int:
        """Drop a database, first ending the connections left open to it; returns how many were ended."""
        with self.connect() as connection:
            ended = connection.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            ).fetchone()
            # DROP DATABASE waits (up to 5 s) for the ended backends to exit.
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        return int(ended[0]) if ended else 0

    def _give_to_service_account(self, directory: Path) -> None:
        try:
            account = pwd.getpwnam(SERVICE_ACCOUNT)
        except KeyError:
            raise ServiceError(
                f"running as root, the tests run PostgreSQL as user {SERVICE_ACCOUNT!r}, which does not exist: "
                "install Debian's postgresql package (./test does), which creates it"
            ) from None
        os.chown(directory, account.pw_uid, account.pw_gid)

    def _run(self, command: list[str], timeout: float = START_TIMEOUT + 30) -> subprocess.CompletedProcess[str]:
        """Run one of the server's programs, as the service account when root; output captured."""
        program = [str(self.bindir / command[0]), *command[1:]]
        if self._as_root:
            program = ["runuser", "-u", SERVICE_ACCOUNT, "--", *program]
        try:
            return subprocess.run(
                program, cwd=self.base, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired as error:
            raise ServiceError(f"{shlex.join(program)} did not finish within {timeout} s") from error

    def _failure(self, what: str, result: subprocess.CompletedProcess[str], log: str = "") -> str:
        lines = [f"{what} failed (exit status {result.returncode})"]
        output = _tail(result.stdout + result.stderr)
        if output:
            lines += ["output:", output]
        if log:
            lines += ["last lines of the server log:", _tail(log)]
        if self._as_root and "Permission denied" in output + log:
            lines.append(
                f"(as root, the cluster runs as user {SERVICE_ACCOUNT!r}, which must be able to reach {self.base})"
            )
        return "\n".join(lines)

    def _initdb(self) -> None:
        result = self._run(
            [
                "initdb",
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "-E",
                "UTF8",
                f"--locale={_locale()}",
                f"--username={SUPERUSER}",
                "--no-sync",  # a throwaway cluster: no need to wait for the disk
            ]
        )
        if result.returncode != 0:
            raise ServiceError(self._failure("initdb", result))

    def _start_server(self) -> None:
        for attempt in range(1, START_ATTEMPTS + 1):
            self.port = free_port()
            options = (
                f"-c listen_addresses={HOST} -p {self.port} -k {shlex.quote(str(self.base))} "
                "-c timezone=UTC -c fsync=off"
            )
            command = ["pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file)]
            result = self._run([*command, "-w", "-t", str(START_TIMEOUT), "-o", options, "start"])
            if result.returncode == 0:
                return
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            # Stop whatever may still run (pg_ctl gave up waiting), before trying again or giving up.
            self._run(["pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"])
            if "could not bind" in log and attempt < START_ATTEMPTS:
                self.log_file.unlink(missing_ok=True)
                continue  # the port was taken meanwhile
            raise ServiceError(self._failure(f"starting PostgreSQL on {HOST}:{self.port}", result, log))

    def _remove_base(self) -> None:
        if self._base is not None:
            shutil.rmtree(self._base, ignore_errors=True)
            self._base = None
