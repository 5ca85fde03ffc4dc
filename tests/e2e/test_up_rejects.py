"""Every malformed input class of contract.md is rejected with its reason and counted,
and good records in the same batch are stored (through the embedded broker)."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import aiomqtt
import httpx
import msgspec

from tests.e2e.stack import Stack, eventually, gas_topic, now_ms

OWNER_TOPIC = "lifeline/v1/rejects/{owner}"


def _metric(text: str, name: str, **labels: str) -> float:
    selector = ",".join(f'{k}="{v}"' for k, v in labels.items())
    prefix = f"{name}{{{selector}}} " if selector else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    return 0.0


async def test_each_malformed_class_is_rejected_with_reason_and_good_records_stand(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    owner = (await api.get("/api/v1/channels/GAS-0020")).json()["owner"]
    now = now_ms()
    big = b'{"ts": 1, "lel_pct": 1, "pad": "' + b"x" * (300 * 1024) + b'"}'
    cases: list[tuple[str, bytes, str]] = [
        (gas_topic("GAS-0020"), b"{not json", "bad_json"),
        (gas_topic("GAS-0020"), b'{"ts": %d, "lel_pct": "high"}' % now, "wrong_type"),
        (gas_topic("GAS-0020"), b'{"ts": %d, "lel_pct": NaN}' % now, "not_finite"),
        (gas_topic("GAS-0020"), b'{"ts": %d, "lel_pct": 140}' % now, "out_of_range"),
        (gas_topic("GAS-9999"), b'{"ts": %d, "lel_pct": 1}' % now, "unknown_id"),
        (gas_topic("GAS-0020"), b'{"ts": %d, "lel_pct": 1}' % (now + 3_600_000), "ts_future"),
        (gas_topic("GAS-0020"), big, "oversized"),
        (
            gas_topic("GAS-0020"),
            msgspec.json.encode({"batch": [{"ts": now, "lel_pct": 1.0}] * 1001}),
            "batch_too_large",
        ),
        (gas_topic("GAS-0020"), b'{"ts": %d}' % now, "missing_field"),
    ]
    good_ts = [now - 3000, now - 2000, now - 1000]
    mixed = {
        "batch": [
            {"ts": good_ts[0], "lel_pct": 2.5},
            {"ts": now, "lel_pct": -4},
            {"ts": good_ts[1], "lel_pct": 2.6},
            {"ts": "yesterday", "lel_pct": 1},
            {"ts": good_ts[2], "lel_pct": 2.7},
        ]
    }
    host, port = stack.mqtt_host_port
    received: list[dict[str, Any]] = []
    async with aiomqtt.Client(host, port, identifier="e2e-rejects") as client:
        await client.subscribe(OWNER_TOPIC.format(owner=owner), qos=1)
        for topic, payload, _ in cases:
            await client.publish(topic, payload, qos=1)
        await client.publish(gas_topic("GAS-0020"), msgspec.json.encode(mixed), qos=1)
        # the unknown id has no owner to tell: every other case plus 2 batch records
        expected_published = len(cases) - 1 + 2
        async with asyncio.timeout(10):
            async for message in client.messages:
                received.append(msgspec.json.decode(message.payload))  # type: ignore[arg-type]
                if len(received) >= expected_published:
                    break
    published = {r["reason"] for r in received}
    assert published == ({reason for _, _, reason in cases} - {"unknown_id"}) | {"bad_ts"}
    assert sorted(r["index"] for r in received if r["index"] is not None) == [1, 3]

    async def summary() -> dict[str, int] | None:
        counts: dict[str, int] = (await api.get("/api/v1/rejects/summary")).json()["by_reason"]
        return counts if sum(counts.values()) >= len(cases) + 2 else None

    counts = await eventually(summary, timeout_s=5.0)
    for _, _, reason in cases:
        assert counts.get(reason, 0) >= 1, (reason, counts)
    assert counts["out_of_range"] >= 2  # 140 %LEL and the -4 in the batch
    assert counts["bad_ts"] >= 1

    rejects = (await api.get("/api/v1/rejects", params={"reason": "not_finite"})).json()
    assert rejects["total"] == 1
    assert "NaN" in rejects["items"][0]["payload_text"]

    metrics = (await api.get("/metrics")).text
    for _, _, reason in cases:
        assert _metric(metrics, "lifeline_ingest_rejects_total", reason=reason) >= 1, reason

    series = (
        await api.get(
            "/api/v1/series/GAS-0020",
            params={"metric": "lel_pct", "start": now - 60_000, "end": now + 1, "step": 1000},
        )
    ).json()
    values = sorted(b["mean"] for b in series["buckets"])
    assert len(values) == 3
    assert all(math.isclose(a, b) for a, b in zip(values, [2.5, 2.6, 2.7], strict=True))
