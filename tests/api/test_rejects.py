"""/api/v1/rejects: dead letters with their payload as text and base64, summary."""

from __future__ import annotations

import base64

from lifeline.core.ports import DeadLetter
from tests.api.conftest import Env
from tests.api.factories import NOW_MS


def _letter(n: int, reason: str, utility: str | None, payload: bytes) -> DeadLetter:
    return DeadLetter(
        received_at_ms=NOW_MS + n,
        topic=f"lifeline/v1/gas/GAS-{n:04d}/reading",
        utility_id=utility,
        reason=reason,
        detail=f"detail {n}",
        index=None if n % 2 else n,
        payload=payload,
    )


async def _seed(env: Env) -> None:
    await env.deadletters.add(
        [
            _letter(1, "bad_json", "gas-huarun", b"\xff\xfe{not json"),
            _letter(2, "out_of_range", "gas-huarun", '{"lel_pct": 180, "note": "厨房"}'.encode()),
            _letter(3, "out_of_range", "gas-xinao", b'{"lel_pct": -1}'),
            _letter(4, "unknown_id", None, b"{}"),
        ]
    )


async def test_rejects_show_payload_as_replaced_text_and_exact_base64(env: Env) -> None:
    await _seed(env)
    body = (await env.client.get("/api/v1/rejects")).json()
    assert body["total"] == 4
    by_topic = {r["topic"]: r for r in body["items"]}
    broken = by_topic["lifeline/v1/gas/GAS-0001/reading"]
    assert broken["payload_text"] == "\ufffd\ufffd{not json"
    assert base64.b64decode(broken["payload_base64"]) == b"\xff\xfe{not json"
    assert broken["payload_size"] == 11
    chinese = by_topic["lifeline/v1/gas/GAS-0002/reading"]
    assert chinese["payload_text"] == '{"lel_pct": 180, "note": "厨房"}'
    assert (chinese["index"], chinese["received_at_ms"]) == (2, NOW_MS + 2)
    assert chinese["received_at"] == "2026-01-15T02:00:00.002Z"


async def test_rejects_filter_by_reason_and_utility_and_paginate(env: Env) -> None:
    await _seed(env)
    by_reason = (await env.client.get("/api/v1/rejects", params={"reason": "out_of_range"})).json()
    assert by_reason["total"] == 2
    assert {r["utility_id"] for r in by_reason["items"]} == {"gas-huarun", "gas-xinao"}
    both = {"reason": "out_of_range", "utility": "gas-xinao"}
    assert (await env.client.get("/api/v1/rejects", params=both)).json()["total"] == 1
    page = (await env.client.get("/api/v1/rejects", params={"limit": 1, "offset": 3})).json()
    assert (page["total"], len(page["items"])) == (4, 1)


async def test_summary_counts_by_reason_largest_first(env: Env) -> None:
    await _seed(env)
    body = (await env.client.get("/api/v1/rejects/summary")).json()
    assert body["total"] == 4
    assert list(body["by_reason"].items()) == [
        ("out_of_range", 2),
        ("bad_json", 1),
        ("unknown_id", 1),
    ]


async def test_no_rejects_is_an_empty_page_not_an_error(env: Env) -> None:
    assert (await env.client.get("/api/v1/rejects")).json() == {"items": [], "total": 0}
    assert (await env.client.get("/api/v1/rejects/summary")).json() == {
        "total": 0,
        "by_reason": {},
    }
