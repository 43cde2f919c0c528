"""Shared fixtures: the recorded traffic, and services the tests start themselves (see tests/services/)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes.support import recorded_envelopes
from tests.services.datagrepper import Datagrepper
from tests.services.hub import Bus
from tests.services.postgres import PostgresServer, ServiceError

_databases = itertools.count(1)


@pytest.fixture(scope="module")
def envelopes() -> list[dict[str, Any]]:
    """The recorded bus traffic (tests/fakes/support.py), read once per test module."""
    return recorded_envelopes()


@pytest.fixture
def bus() -> Iterator[Bus]:
    """The PUB end of a zmq bus on 127.0.0.1 that a test's hubs connect to."""
    bus = Bus()
    yield bus
    bus.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL cluster, started when a test first asks for it and stopped at the end.

    Missing binaries fail the tests that need them (never a skip: CI must run them).
    """
    try:
        server = PostgresServer().start()
    except ServiceError as error:
        problem = str(error)
    else:
        problem = ""
    if problem:  # failed outside the except block: no "during handling of the above exception" noise
        pytest.fail(problem, pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """SQLAlchemy URL of a fresh, empty database of its own for this test, dropped afterwards."""
    # Named after the test, for anyone looking at the server meanwhile (PostgreSQL names: 63 bytes at most).
    name = f"t{next(_databases)}_{re.sub(r'[^a-z0-9]+', '_', request.node.name.lower())}"[:63].rstrip("_")
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def datagrepper(postgres_server: PostgresServer) -> Iterator[Datagrepper]:
    """A real datagrepper 1.1.0 on its own database, shared by the session (tests/services/datagrepper.py).

    The first run builds its venv (about 20 s); a failure fails the tests that need it, never skips them.
    """
    try:
        server = Datagrepper(postgres_server).start()
    except ServiceError as error:
        problem = str(error)
    else:
        problem = ""
    if problem:
        pytest.fail(problem, pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def empty_datagrepper(datagrepper: Datagrepper) -> Datagrepper:
    """The session's datagrepper, holding no message when the test starts."""
    datagrepper.clear()
    return datagrepper
