"""/api/v1/series: downsampled history through the real store, metrics, events."""

from __future__ import annotations

import pytest

from lifeline.core.payloads import GasEventType
from tests.api.conftest import Env
from tests.api.factories import HOUR, MINUTE, NOW_MS, gas, gas_event

DAY = 24 * HOUR


async def _write_minutely(env: Env, source: str, start_ms: int, count: int) -> None:
    await env.telemetry.write(
        [gas(source, start_ms + k * MINUTE, float(k % 10)) for k in range(count)]
    )


async def test_history_downsamples_into_buckets_with_mean_min_max_last_count(env: Env) -> None:
    start = NOW_MS - HOUR
    await _write_minutely(env, "GAS-0001", start, 60)  # values 0..9 repeating
    params = {"metric": "lel_pct", "start": str(start), "end": str(NOW_MS), "step": "10m"}
    body = (await env.client.get("/api/v1/series/GAS-0001", params=params)).json()
    assert body["step_ms"] == 10 * MINUTE
    assert (body["start_ms"], body["end_ms"]) == (start, NOW_MS)
    assert len(body["buckets"]) == 6
    first = body["buckets"][0]
    assert first["ts_ms"] == start
    assert first["ts"] == "2026-01-15T01:00:00.000Z"
    assert (first["min"], first["max"], first["last"], first["count"]) == (0.0, 9.0, 9.0, 10)
    assert first["mean"] == pytest.approx(4.5)


async def test_default_window_is_last_24h_with_at_most_about_500_buckets(env: Env) -> None:
    await _write_minutely(env, "GAS-0002", NOW_MS - DAY - 10 * MINUTE, 24 * 60 + 10)
    body = (await env.client.get("/api/v1/series/GAS-0002")).json()
    assert body["metric"] == "lel_pct"
    assert body["end_ms"] == NOW_MS
    assert body["start_ms"] == NOW_MS - DAY
    assert body["step_ms"] == 5 * MINUTE  # 24 h / 500 = 172.8 s -> next nice step
    assert len(body["buckets"]) == 288
    assert sum(b["count"] for b in body["buckets"]) == 24 * 60


async def test_rfc3339_start_and_end_with_offsets_are_accepted(env: Env) -> None:
    await _write_minutely(env, "GAS-0003", NOW_MS - HOUR, 60)
    params = {"start": "2026-01-15T09:30:00+08:00", "end": "2026-01-15T02:00:00Z", "step": "60000"}
    body = (await env.client.get("/api/v1/series/GAS-0003", params=params)).json()
    assert body["start_ms"] == NOW_MS - 30 * MINUTE
    assert body["step_ms"] == MINUTE
    assert len(body["buckets"]) == 30


@pytest.mark.parametrize(
    "params",
    [
        {"start": "yesterday"},
        {"start": "2026-01-15T09:30:00"},  # no offset
        {"start": str(NOW_MS), "end": str(NOW_MS - 1)},
        {"step": "fast"},
        {"step": "0"},
        {"step": "1s", "start": str(NOW_MS - 7 * DAY), "end": str(NOW_MS)},  # 604,800 buckets
    ],
)
async def test_bad_window_or_step_is_422(env: Env, params: dict[str, str]) -> None:
    response = await env.client.get("/api/v1/series/GAS-0001", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_unknown_source_and_unknown_metric_are_404(env: Env) -> None:
    unknown = await env.client.get("/api/v1/series/GAS-9999")
    assert unknown.status_code == 404
    bad_metric = await env.client.get("/api/v1/series/GAS-0001", params={"metric": "volts"})
    assert bad_metric.status_code == 404
    assert "volts" in bad_metric.json()["detail"]


async def test_enterprise_series_needs_an_explicit_metric(env: Env) -> None:
    response = await env.client.get("/api/v1/series/HEAT-001")
    assert response.status_code == 422


async def test_metrics_lists_what_the_source_sent(env: Env) -> None:
    await env.telemetry.write([gas("GAS-0004", NOW_MS, 3.0)])
    body = (await env.client.get("/api/v1/series/GAS-0004/metrics")).json()
    assert body == {"source_id": "GAS-0004", "source_kind": "gas_channel", "metrics": ["lel_pct"]}
    assert (await env.client.get("/api/v1/series/NOPE/metrics")).status_code == 404


async def test_events_are_newest_first_in_the_window_and_paginated(env: Env) -> None:
    await env.telemetry.write(
        [
            gas_event("GAS-0005", NOW_MS - 2 * DAY, GasEventType.FAULT),  # outside 24 h
            gas_event("GAS-0005", NOW_MS - 3 * MINUTE, GasEventType.ALARM_LOW),
            gas_event("GAS-0005", NOW_MS - 2 * MINUTE, GasEventType.ALARM_HIGH, "kitchen"),
            gas_event("GAS-0005", NOW_MS - 1 * MINUTE, GasEventType.VALVE_CLOSED),
        ]
    )
    body = (await env.client.get("/api/v1/series/GAS-0005/events")).json()
    assert body["total"] == 3
    assert [e["type"] for e in body["items"]] == ["valve_closed", "alarm_high", "alarm_low"]
    assert body["items"][1]["detail"] == "kitchen"
    page = (
        await env.client.get("/api/v1/series/GAS-0005/events", params={"limit": 1, "offset": 1})
    ).json()
    assert [e["type"] for e in page["items"]] == ["alarm_high"]
    assert page["total"] == 3
