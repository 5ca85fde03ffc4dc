"""The list endpoints stay fast at full city size: a constant number of store calls
whatever the number of channels or enterprises, and answers well under 200 ms."""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, cast

import httpx

from api import create_app
from lifeline.core.alert import AlertCategory
from lifeline.core.ids import SourceKind
from lifeline.core.ports import AlertStore, TelemetryStore
from tests.api.conftest import Env
from tests.api.factories import HOUR, MINUTE, NOW_MS, gas, raise_alert, station

# The product target is 200 ms (docs/benchmarks.md measures it); a test asserts only a
# bound that load cannot break, so a hang or a quadratic blow-up still fails it.
BUDGET_S = 2.0


class CountingProxy:
    """Forwards every call to ``target`` and counts calls per method name."""

    def __init__(self, target: object, calls: Counter[str]) -> None:
        self._target = target
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[name] += 1
            return attr(*args, **kwargs)

        return counted


async def _fill_city(env: Env) -> None:
    """Every channel read each minute for 20 min; one station of every enterprise each
    5 min since local midnight, and every station in the last 15 min."""
    channels = sorted(env.registry.channels)
    for k in range(20):
        ts = NOW_MS - 20 * MINUTE + k * MINUTE
        await env.telemetry.write([gas(c, ts, 1.0 + (k % 5)) for c in channels])
    firsts = sorted(f"{e}-S01" for e in env.registry.enterprises)
    await env.telemetry.write(
        [station(s, NOW_MS - 10 * HOUR + k * 5 * MINUTE) for k in range(120) for s in firsts]
    )
    for k in range(3):
        await env.telemetry.write(
            [station(s, NOW_MS - 14 * MINUTE + k * 5 * MINUTE) for s in env.registry.stations]
        )
    for n in range(1, 526, 7):
        await raise_alert(
            env.alerts, f"GAS-{n:04d}", rule="gas_fault", category=AlertCategory.FAULT
        )
    for n in range(1, 135, 3):
        await raise_alert(
            env.alerts, f"HEAT-{n:03d}-S01", rule="station_underheating",
            kind=SourceKind.STATION, enterprise_id=f"HEAT-{n:03d}",
        )  # fmt: skip


async def _median_s(call: Callable[[], Awaitable[httpx.Response]], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await call()
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(times)


async def test_channels_and_enterprises_answer_at_full_size(env: Env) -> None:
    await _fill_city(env)
    channels = await env.client.get("/api/v1/channels", params={"limit": 1000})
    assert channels.json()["total"] == 525
    states = Counter(c["state"] for c in channels.json()["items"])
    assert states == {"normal": 450, "fault": 75}
    enterprises = (await env.client.get("/api/v1/enterprises", params={"limit": 1000})).json()
    assert all(e["online"] and e["online_rate_today"] == 1.0 for e in enterprises["items"])

    channel_s = await _median_s(lambda: env.client.get("/api/v1/channels?limit=1000"))
    enterprise_s = await _median_s(lambda: env.client.get("/api/v1/enterprises?limit=1000"))
    print(f"/channels {channel_s * 1000:.1f} ms, /enterprises {enterprise_s * 1000:.1f} ms")
    assert channel_s < BUDGET_S, f"/channels took {channel_s * 1000:.0f} ms"
    assert enterprise_s < BUDGET_S, f"/enterprises took {enterprise_s * 1000:.0f} ms"


async def test_list_endpoints_make_a_constant_number_of_store_calls(env: Env) -> None:
    telemetry_calls: Counter[str] = Counter()
    alert_calls: Counter[str] = Counter()
    counted = dataclasses.replace(
        env.deps,
        telemetry=cast(TelemetryStore, CountingProxy(env.telemetry, telemetry_calls)),
        alerts=cast(AlertStore, CountingProxy(env.alerts, alert_calls)),
    )
    transport = httpx.ASGITransport(app=create_app(counted))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=env.client.headers
    ) as client:
        await client.get("/api/v1/channels", params={"limit": 1000})
        assert telemetry_calls == {"latest": 1, "last_seen": 1}
        assert alert_calls == {"open_alerts": 1}
        telemetry_calls.clear()
        alert_calls.clear()
        await client.get("/api/v1/enterprises", params={"limit": 1000})
        assert telemetry_calls == {"last_seen": 1, "coverage": 1, "first_seen": 1}
        assert alert_calls == {"open_alerts": 1}
