"""schemathesis against /api/openapi.json: no input gives a 5xx, and every answer conforms to the description."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fakes.webapp import make_client

# Built at import: schemathesis generates the tests from the schema the app serves.
# (Its lazy, fixture-based loader does not work with this pytest.)
_DATABASE = tempfile.TemporaryDirectory(prefix="statscache-schemathesis-")
_CLIENT, _dispose = make_client(Path(_DATABASE.name) / "stats.sqlite")
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", _CLIENT.application)
RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module", autouse=True)
def _cleanup():
    yield
    _dispose()
    _DATABASE.cleanup()


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_description(case):
    # No server error, and every answer as described: status, media type, headers, body.
    # Not schemathesis's two request checks: some valid parameters contradict each other
    # (stream=1 with page, callback with CSV, stop before start) and get a 400 that says
    # so, which OpenAPI 3.0 cannot express; and in a query string every value is text
    # ("1.5" is a fine category), which its negative cases count as a wrong type.
    case.call_and_validate(checks=RESPONSE_CHECKS)
