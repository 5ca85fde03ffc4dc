"""Issue 11 rows 1–5 and the access log, probed from outside: a non-development
``lifeline up`` driven over real HTTP (one stack for the whole module; each test uses its
own account or source address, so they do not share throttle state)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.stack import eventually
from tests.e2e.utility import UtilityStack, owned_channels, utility_stack

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UtilityStack]:
    with utility_stack(tmp_path_factory.mktemp("hardening") / "data") as stack:
        yield stack


async def _add_user(running: UtilityStack, username: str, role: str = "operator") -> None:
    async with running.api() as api:
        created = await api.post(
            "/api/v1/users", json={"username": username, "role": role, "password": PASSWORD}
        )
        assert created.status_code in (200, 201), created.text


def _client(running: UtilityStack, source: str) -> httpx.AsyncClient:
    """Requests from loopback address ``source`` (127.0.0.x): another client machine."""
    transport = httpx.AsyncHTTPTransport(local_address=source)
    return httpx.AsyncClient(base_url=running.stack.api, transport=transport, timeout=30)


async def _login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )


async def _audit_of(running: UtilityStack, actor: str) -> list[dict[str, object]]:
    async with running.api() as api:
        answer = await api.get("/api/v1/audit", params={"actor": actor, "limit": 1000})
        answer.raise_for_status()
        entries: list[dict[str, object]] = answer.json()["items"]
        return entries


async def test_concurrent_wrong_passwords_check_at_most_the_limit(running: UtilityStack) -> None:
    """Row 1: 40 concurrent wrong passwords; the limit holds under concurrency."""
    await _add_user(running, "operator")
    async with _client(running, "127.0.0.11") as client:
        answers = await asyncio.gather(
            *(_login(client, "operator", f"wrong-{i}") for i in range(40))
        )
    codes = [a.status_code for a in answers]
    assert codes.count(401) <= 5, f"{codes.count(401)} passwords checked"
    assert codes.count(401) + codes.count(429) == 40, codes
    assert all(int(a.headers["retry-after"]) >= 1 for a in answers if a.status_code == 429)


async def test_refusals_are_aggregated_and_outsiders_cannot_lock_out(
    running: UtilityStack,
) -> None:
    """Row 2: hammering adds a bounded number of audit rows, and locks out only the
    hammering source: the real operator on another address still logs in."""
    await _add_user(running, "operator2")
    async with _client(running, "127.0.0.12") as attacker:
        for _ in range(3):
            await asyncio.gather(*(_login(attacker, "operator2", "guess") for _ in range(30)))
    entries = await _audit_of(running, "operator2")
    logins = [e for e in entries if e["kind"] == "login"]
    refused = [e for e in logins if e["outcome"] == "denied"]
    assert len([e for e in logins if e["outcome"] == "failed"]) <= 5, logins
    assert 1 <= len(refused) <= 2, refused
    assert any("refused" in str(e["detail"]) for e in refused), refused
    async with _client(running, "127.0.0.13") as operator:
        answer = await _login(operator, "operator2", PASSWORD)
    assert answer.status_code == 200, answer.text


async def _raw_request(running: UtilityStack, head: str, body: bytes) -> bytes:
    """Send ``head`` and ``body`` on a raw socket; what the server answers (first 4 KiB)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", running.stack.api_port)
    try:
        writer.write(head.encode() + body)
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), timeout=15)
    finally:
        writer.close()


async def test_oversized_bodies_are_refused_before_they_are_read(running: UtilityStack) -> None:
    """Row 3: a 100 MB login is 413 after its first MiB (the rest is never sent);
    a chunked body past the limit is 413 too; and so is any route's."""
    login = (
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {100 * 1024 * 1024}\r\n\r\n"
    )
    answer = await _raw_request(running, login, b"{" + b" " * (1024 * 1024))
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    chunk = b" " * 32 * 1024
    chunked = (
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4))
    answer = await _raw_request(running, chunked, body)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    channel = owned_channels(running.registry, "gas-huarun")[0]
    put = (
        f"PUT /api/v1/channels/{channel} HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {running.stack.headers['Authorization']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {10 * 1024 * 1024}\r\n\r\n"
    )
    answer = await _raw_request(running, put, b"{")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


async def test_out_of_range_time_parameters_are_422_with_a_reason(
    running: UtilityStack,
) -> None:
    """Row 4: absurd instants and steps are refused with a reason, never a 500."""
    channel = owned_channels(running.registry, "gas-huarun")[0]
    probes = [
        (f"/api/v1/series/{channel}", {"end": str(10**20)}),
        (f"/api/v1/series/{channel}", {"start": "0001-01-01T00:00:00+14:00"}),
        (f"/api/v1/series/{channel}", {"end": "9999-12-31T23:59:59-14:00"}),
        (f"/api/v1/series/{channel}", {"step": f"{10**23}d"}),
        (f"/api/v1/series/{channel}/events", {"start": "0", "end": str(10**20)}),
        ("/api/v1/audit", {"since": str(10**20)}),
        ("/api/v1/audit", {"until": "0001-01-01T00:00:00+14:00"}),
        ("/api/v1/kpis", {"hours": "1e308"}),
        ("/api/v1/alerts", {"offset": str(10**20)}),
    ]
    async with running.api() as api:
        for path, params in probes:
            try:
                answer = await api.get(path, params=params)
            except httpx.TransportError as exc:
                pytest.fail(f"{path} {params}: connection failed: {exc!r}")
            assert answer.status_code == 422, f"{path} {params}: {answer.status_code}"
            assert answer.json()["detail"], f"{path} {params}: no reason"


async def test_every_response_carries_the_security_headers(running: UtilityStack) -> None:
    """Row 5: CSP, nosniff, frame protection and referrer policy on pages and API."""
    async with running.api() as api:
        for path in ("/", "/crew", "/static/js/common.js", "/api/v1/channels", "/healthz"):
            answer = await api.get(path)
            assert answer.status_code == 200, path
            csp = answer.headers.get("content-security-policy", "")
            assert "default-src 'self'" in csp, (path, csp)
            assert "frame-ancestors 'none'" in csp, (path, csp)
            assert "unsafe-eval" not in csp, csp
            assert answer.headers.get("x-content-type-options") == "nosniff", path
            assert answer.headers.get("x-frame-options") == "DENY", path
            assert answer.headers.get("referrer-policy") == "no-referrer", path
        missing = await api.get("/api/v1/nothing-here")
        assert missing.headers.get("x-content-type-options") == "nosniff"


async def test_access_log_has_one_line_per_request_and_no_token(running: UtilityStack) -> None:
    """Access log: one JSON line per request, with status and duration, never a token."""
    token = running.stack.headers["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(base_url=running.stack.api, timeout=15) as anonymous:
        probe = await anonymous.get("/api/v1/rules", params={"access_token": token, "x": "1"})
        assert probe.status_code == 401  # the token in the query only counts on the stream
        async with anonymous.stream(
            "GET", "/api/v1/alerts/stream", params={"access_token": token}
        ) as stream:
            assert stream.status_code == 200
    assert running.stack.log_path is not None
    log_path: Path = running.stack.log_path

    async def access_lines() -> list[dict[str, object]] | None:
        text = await asyncio.to_thread(log_path.read_text)
        lines = [json.loads(x) for x in text.splitlines() if x.startswith("{")]
        found = [x for x in lines if x.get("event") == "http_request"]
        paths = {x.get("path") for x in found}
        wanted = {"/api/v1/rules", "/api/v1/alerts/stream"}
        return found if wanted <= paths else None

    found = await eventually(access_lines, timeout_s=20)
    rules = next(x for x in found if x["path"] == "/api/v1/rules")
    assert (rules["method"], rules["status"], rules["client"]) == ("GET", 401, "127.0.0.1")
    assert isinstance(rules["duration_ms"], float | int), rules
    assert rules["query"] == "access_token=%2A%2A%2A&x=1", rules
    assert token not in await asyncio.to_thread(log_path.read_text), "a token is in the log"
