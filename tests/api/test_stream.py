"""/api/v1/alerts/stream: Server-Sent Events over a real HTTP server (uvicorn), fed by
the engine's BroadcastNotifier."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator

import httpx
import uvicorn

from api import ApiDeps, create_app
from api.sse import sse_frames
from lifeline.core.alert import AlertAction, AlertCommand
from lifeline.core.payloads import AlertEvent
from tests.api.conftest import Env
from tests.api.factories import MINUTE, NOW_MS, gas
from tests.services import free_port


@contextlib.asynccontextmanager
async def serve(deps: ApiDeps) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(create_app(deps), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        else:
            raise TimeoutError("uvicorn did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def _frames(lines: AsyncIterator[str], count: int) -> list[dict[str, str]]:
    """The next ``count`` SSE event frames (comments and retry hints skipped)."""
    frames: list[dict[str, str]] = []
    current: dict[str, str] = {}
    async for line in lines:
        if line == "":
            if "data" in current:
                frames.append(current)
                if len(frames) == count:
                    return frames
            current = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            current[name] = value
    return frames


async def test_stream_sends_alert_events_and_unsubscribes_on_disconnect(env: Env) -> None:
    token = env.client.headers["Authorization"].removeprefix("Bearer ")  # as EventSource sends it
    async with (
        serve(env.deps) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as client,
        client.stream("GET", "/api/v1/alerts/stream", params={"access_token": token}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for _ in range(200):  # the subscription exists once the response has started
            if env.broadcast.subscribers == 1:
                break
            await asyncio.sleep(0.01)
        assert env.broadcast.subscribers == 1
        await env.ingest([gas("GAS-0001", NOW_MS - MINUTE, 70.0)])
        alert = await env.alerts.find_open("GAS-0001", "gas_leak")
        assert alert is not None
        await env.engine.act(alert.id, AlertCommand(AlertAction.ACK, "li", "on it"))
        frames = await asyncio.wait_for(_frames(response.aiter_lines(), 2), 5)
    assert [f["event"] for f in frames] == ["alert", "alert"]
    assert [f["id"] for f in frames] == [str(alert.id)] * 2
    events = [json.loads(f["data"]) for f in frames]
    assert [(e["state"], e["severity"]) for e in events] == [
        ("active_unacked", "critical"),
        ("active_acked", "critical"),
    ]
    assert events[1]["acked_by"] == "li"
    for _ in range(200):
        if env.broadcast.subscribers == 0:
            break
        await asyncio.sleep(0.01)
    assert env.broadcast.subscribers == 0, "the subscription leaked after the client left"


async def test_stream_without_a_live_feed_is_503(env: Env) -> None:
    app = create_app(dataclasses.replace(env.deps, live=None))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=env.client.headers
    ) as client:
        response = await client.get("/api/v1/alerts/stream")
    assert response.status_code == 503
    assert "not configured" in response.json()["detail"]


async def test_stream_sends_keepalive_comments_while_idle() -> None:
    async def silent() -> AsyncIterator[AlertEvent]:
        await asyncio.sleep(3600)
        yield AlertEvent(0, "", "", "", "", "", "", None, None, "", "", None, None)

    frames = sse_frames(silent(), keepalive_s=0.01)
    received = [await anext(frames) for _ in range(3)]
    await frames.aclose()
    assert received == [b"retry: 5000\n\n", b": keepalive\n\n", b": keepalive\n\n"]
