"""Schemathesis against the RUNNING app (issue 11): a non-development ``lifeline up``
over real HTTP, its OpenAPI document fetched from the server, every generated request
sent through the socket with the bootstrap admin's token (so the body limit, the time
bounds and the security headers of the real server are in the path). No request may
get a server error; 413 (body over the limit) and 422 (a bad value, e.g. a time out of
range) are the answers the hardening gives, and they are checked explicitly too.

The live stream is left out (it never ends); examples per operation are bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.e2e.utility import UtilityStack, utility_stack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UtilityStack]:
    with utility_stack(tmp_path_factory.mktemp("fuzz-live") / "data") as stack:
        yield stack


def test_the_running_app_answers_413_and_422_not_5xx(running: UtilityStack, tmp_path: Path) -> None:
    api, headers = running.stack.api, running.stack.headers
    with httpx.Client(base_url=api, headers=headers, timeout=30) as client:
        huge = client.post("/api/v1/auth/login", content=b"x" * (2 << 20))
        assert huge.status_code == 413
        for params in ({"end": "1" + "0" * 20}, {"start": "0001-01-01T00:00:00+14:00"}):
            bad = client.get("/api/v1/series/GAS-0001", params={"metric": "lel_pct", **params})
            assert bad.status_code == 422, (params, bad.text)
        assert client.get("/api/v1/audit", params={"since": "1" + "0" * 20}).status_code == 422


# Last: the fuzz may revoke the token it runs with (logout, key deletion are operations).
def test_fuzzed_requests_to_the_running_app_never_get_a_server_error(
    running: UtilityStack,
) -> None:
    api, headers = running.stack.api, running.stack.headers
    schema = schemathesis.openapi.from_url(f"{api}/openapi.json")
    operations: list[Any] = []
    for result in schema.get_all_operations():
        operation: Any = result.ok()  # type: ignore[union-attr]  # an Err raises: a bad schema
        if operation.path != "/api/v1/alerts/stream":
            operations.append(operation)
    assert len(operations) > 30
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def one(case: Any) -> None:
            response = case.call(base_url=api, headers=headers, timeout=30)
            assert response.status_code < 500, (
                case.method,
                case.formatted_path,
                response.text[:300],
            )
            assert response.headers.get("x-content-type-options") == ["nosniff"]

        one()
