"""Issue 10.5: hostile and odd payloads never take good records down, nor count as our bug.

Driven from outside: a non-development ``lifeline up``, gas-huarun's own MQTT account
publishing on its own channels' topics, then the HTTP API: every bad message or record
has the contract reason it deserves (never ``internal``), the good records of mixed
batches are stored, and the service is still healthy at the end.

The fixed table covers each sibling of the defect once (deep nesting at the top, in a
known or unknown field, in a batch record, in the envelope; huge numbers and strings;
encodings; surrogates; duplicate keys; NUL bytes; non-objects; sizes at the limit).
A hypothesis run then varies nesting depth, placement, encoding and size together.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifeline.broker_guard import MAX_PACKET_BYTES
from lifeline.core.payloads import MAX_NESTING_DEPTH, MAX_PAYLOAD_BYTES
from tests.e2e.stack import gas_topic, now_ms
from tests.e2e.utility import (
    UtilityStack,
    get_json,
    owned_channels,
    utility_client,
    utility_stack,
)

pytestmark = pytest.mark.slow

UTILITY = "gas-huarun"
DEEP = MAX_NESTING_DEPTH
LIMIT = MAX_PAYLOAD_BYTES
HUGE = 5000  # the depth of the report
BIG_INT = b"1" + b"0" * 5000  # 10**5000: too many digits for Python's int() by default


@dataclass(frozen=True)
class Case:
    """One message, what its rejects must be (by record index) and which records stay."""

    name: str
    payload: bytes
    rejects: tuple[tuple[str, int | None], ...] = ()
    stored: tuple[tuple[int, float], ...] = ()  # (ts_ms, lel_pct) of each stored record


def good(ts: int, lel: float = 2.5) -> bytes:
    return b'{"ts":%d,"lel_pct":%s}' % (ts, repr(lel).encode())


def arrays(depth: int) -> bytes:
    """``depth`` levels of nested arrays."""
    return b"[" * depth + b"]" * depth


def objects(depth: int) -> bytes:
    """``depth`` levels of nested objects."""
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


def record_with(ts: int, name: bytes, value: bytes) -> bytes:
    return b'{"ts":%d,"lel_pct":2.5,"%s":%s}' % (ts, name, value)


def batch(*records: bytes, extra: bytes = b"") -> bytes:
    return b'{"batch":[' + b",".join(records) + b"]" + extra + b"}"


def padded_reading(ts: int, size: int) -> bytes:
    head = b'{"ts":%d,"lel_pct":2.5,"pad":"' % ts
    return head + b"x" * (size - len(head) - 2) + b'"}'


def full_batch(base: int) -> bytes:
    """1,000 records, just under 255 KiB."""
    pad = b"y" * 215
    records = [b'{"ts":%d,"lel_pct":1.5,"note":"%s"}' % (base + i, pad) for i in range(1000)]
    payload = batch(*records)
    assert 250 * 1024 < len(payload) <= 255 * 1024
    return payload


def fixed_cases(now: int) -> list[Case]:
    t = now - 600_000  # every record of the table lies in [t - 10 s, t + 10 s]
    g0, g1, g2 = (t - 2000, 2.5), (t - 1000, 2.5), (t + 1000, 2.5)
    nan = b'{"ts":%d,"lel_pct":NaN}' % t
    one = (t, 2.5)
    bad_json = (("bad_json", None),)
    too_deep = (("too_deep", None),)
    return [
        # --- nesting -------------------------------------------------------------------
        Case("deep array at the top", arrays(HUGE), bad_json),
        Case("deep object at the top", objects(HUGE), too_deep),
        Case("deep known field", b'{"ts":%d,"lel_pct":%s}' % (t, arrays(HUGE)), too_deep),
        Case("deep unknown field", record_with(t, b"x", arrays(HUGE)), too_deep),
        Case("unknown field at the limit", record_with(t, b"x", objects(DEEP - 1)), (), (one,)),
        Case("unknown field one over", record_with(t, b"x", arrays(DEEP)), too_deep),
        Case(
            "deep record in a batch",
            batch(good(g0[0]), arrays(HUGE), good(g2[0])),
            (("too_deep", 1),),
            (g0, g2),
        ),
        Case(
            "deep unknown field in a batch record",
            batch(good(g0[0]), record_with(t, b"x", arrays(HUGE)), good(g2[0])),
            (("too_deep", 1),),
            (g0, g2),
        ),
        Case(
            "batch records at and over the limit",
            batch(
                good(g0[0]),
                record_with(g1[0], b"x", arrays(DEEP - 1)),
                record_with(t, b"x", objects(DEEP)),
                good(g2[0]),
            ),
            (("too_deep", 2),),
            (g0, g1, g2),
        ),
        Case(
            "deep record beside a NaN record",
            batch(good(g0[0]), nan, record_with(t, b"x", objects(HUGE)), good(g2[0])),
            (("not_finite", 1), ("too_deep", 2)),
            (g0, g2),
        ),
        Case(
            "deep field in the envelope",
            batch(good(g0[0]), extra=b',"x":' + arrays(HUGE)),
            too_deep,
        ),
        # --- numbers and strings -------------------------------------------------------
        Case("1e400", b'{"ts":%d,"lel_pct":1e400}' % t, (("not_finite", None),)),
        Case("10**5000 value", b'{"ts":%d,"lel_pct":%s}' % (t, BIG_INT), (("not_finite", None),)),
        Case("10**5000 ts", b'{"ts":%s,"lel_pct":1}' % BIG_INT, (("bad_ts", None),)),
        Case("10**5000 unknown field", record_with(t, b"x", BIG_INT), (), (one,)),
        Case(
            "10**5000 in a batch beside NaN",
            batch(good(g0[0]), nan, record_with(g1[0], b"x", BIG_INT), good(g2[0])),
            (("not_finite", 1),),
            (g0, g1, g2),
        ),
        Case(
            "200 KB string in an unknown field",
            record_with(t, b"x", b'"' + b"s" * 200_000 + b'"'),
            (),
            (one,),
        ),
        Case("lone surrogate in an unknown field", record_with(t, b"x", b'"\\ud800"'), (), (one,)),
        Case("lone surrogate as ts", b'{"ts":"\\ud800","lel_pct":1}', bad_json),
        Case(
            "lone surrogate in a batch record",
            batch(good(g0[0]), b'{"ts":"\\udc00","lel_pct":1}', good(g2[0])),
            (("bad_json", 1),),
            (g0, g2),
        ),
        Case(
            "lone surrogate beside NaN",
            batch(good(g0[0]), b'{"ts":"\\ud800","lel_pct":1}', nan, good(g2[0])),
            (("bad_json", 1), ("not_finite", 2)),
            (g0, g2),
        ),
        Case(
            "duplicate key: the last one wins",
            b'{"ts":%d,"lel_pct":1.0,"lel_pct":7.0}' % t,
            (),
            ((t, 7.0),),
        ),
        # --- NUL bytes -----------------------------------------------------------------
        Case("raw NUL in a string", record_with(t, b"x", b'"a\x00b"'), bad_json),
        Case("escaped NUL in an unknown field", record_with(t, b"x", b'"\\u0000"'), (), (one,)),
        Case("NUL after the object", good(t) + b"\x00", bad_json),
        # --- encodings -----------------------------------------------------------------
        Case("invalid UTF-8", record_with(t, b"x", b'"\xff"'), bad_json),
        Case("overlong UTF-8", record_with(t, b"x", b'"\xc0\xaf"'), bad_json),
        Case("UTF-8 encoded surrogate", record_with(t, b"x", b'"\xed\xa0\x80"'), bad_json),
        Case("UTF-8 with a BOM", b"\xef\xbb\xbf" + good(t), bad_json),
        Case("UTF-16-LE without a BOM", good(t).decode().encode("utf-16-le"), bad_json),
        Case("UTF-16-BE without a BOM", good(t).decode().encode("utf-16-be"), bad_json),
        Case("UTF-16 with a BOM", good(t).decode().encode("utf-16"), bad_json),
        Case("UTF-32", good(t).decode().encode("utf-32"), bad_json),
        # --- not an object -------------------------------------------------------------
        *(Case(f"JSON {text!r}", text, bad_json) for text in (b"[]", b"1", b"null", b'"x"')),
        Case("empty payload", b"", bad_json),
        # --- sizes ---------------------------------------------------------------------
        Case("exactly 256 KiB", padded_reading(t, LIMIT), (), (one,)),
        Case("256 KiB and one byte", padded_reading(t, LIMIT + 1), (("oversized", None),)),
        Case(
            "1,000 records in 255 KiB",
            full_batch(t - 5000),
            (),
            tuple((t - 5000 + i, 1.5) for i in range(1000)),
        ),
    ]


async def rejects_of(api: httpx.AsyncClient, after_id: int) -> list[dict[str, Any]]:
    """Dead letters of the utility newer than ``after_id``, oldest first."""
    page = await get_json(api, "/api/v1/rejects", {"utility": UTILITY, "limit": 1000})
    items: list[dict[str, Any]] = page["items"]
    return sorted((r for r in items if r["id"] > after_id), key=lambda r: int(r["id"]))


async def stored_of(
    api: httpx.AsyncClient, channel: str, window: tuple[int, int]
) -> tuple[int, float]:
    """(count, mean lel_pct) of the records of ``channel`` in ``window``."""
    start, end = window
    series = await get_json(
        api,
        f"/api/v1/series/{channel}",
        {"metric": "lel_pct", "start": start, "end": end, "step": end - start},
    )
    buckets = series["buckets"]
    count = sum(int(b["count"]) for b in buckets)
    total = sum(float(b["mean"]) * int(b["count"]) for b in buckets)
    return count, (total / count if count else math.nan)


def window_of(stored: Sequence[tuple[int, float]], fallback: int) -> tuple[int, int]:
    stamps = [ts for ts, _ in stored] or [fallback]
    return min(stamps) - 20_000, max(stamps) + 20_000


async def expect_outcome(
    api: httpx.AsyncClient,
    channel: str,
    case: Case,
    after_id: int,
    window: tuple[int, int],
    timeout_s: float = 30.0,
) -> None:
    """Wait until ``case`` has been processed, then check its rejects and stored records."""
    topic = gas_topic(channel)
    deadline = time.monotonic() + timeout_s
    while True:  # until the expected outcome is there, or the time is up: then compare
        mine = [r for r in await rejects_of(api, after_id) if r["topic"] == topic]
        count, mean = await stored_of(api, channel, window)
        done = len(mine) >= len(case.rejects) and count >= len(case.stored)
        if done or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    got = sorted(((r["reason"], r["index"]) for r in mine), key=lambda x: (x[1] or 0, x[0]))
    assert got == list(case.rejects), (case.name, [(r["reason"], r["detail"]) for r in mine])
    assert count == len(case.stored), (case.name, count)
    if case.stored:
        want = sum(lel for _, lel in case.stored) / len(case.stored)
        assert math.isclose(mean, want), (case.name, mean, want)
    for reject in mine:
        if reject["index"] is None and reject["reason"] != "oversized":
            assert reject["payload_size"] == len(case.payload), case.name  # the exact bytes


async def exchange(
    running: UtilityStack, channel: str, case: Case, window: tuple[int, int]
) -> None:
    async with running.api() as api:
        seen = await rejects_of(api, 0)
        after_id = seen[-1]["id"] if seen else 0
        if len(case.payload) + 64 > MAX_PACKET_BYTES:
            # over the embedded broker's packet cut: refused unread, the connection
            # closed, nothing to dead-letter (docs/contract-v1.md, "Rejects")
            with pytest.raises(aiomqtt.MqttError):
                async with utility_client(running, UTILITY, name="hostile") as mqtt:
                    await mqtt.publish(gas_topic(channel), case.payload, qos=1, timeout=15)
            return
        async with utility_client(running, UTILITY, name="hostile") as mqtt:
            await mqtt.publish(gas_topic(channel), case.payload, qos=1)
        await expect_outcome(api, channel, case, after_id, window)


async def run_fixed_table(running: UtilityStack, channels: list[str]) -> None:
    cases = fixed_cases(now_ms())
    assert len(cases) <= len(channels)
    async with running.api() as api:
        async with utility_client(running, UTILITY, name="hostile-table") as mqtt:
            for channel, case in zip(channels, cases, strict=False):
                await mqtt.publish(gas_topic(channel), case.payload, qos=1)
        for channel, case in zip(channels, cases, strict=False):
            await expect_outcome(api, channel, case, 0, window_of(case.stored, now_ms() - 600_000))


# --- the fuzzed part: nesting depth x placement x encoding x size ------------------------

PLACEMENTS = ("top", "known", "unknown", "batch_record", "batch_unknown", "envelope")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-16", "utf-32")


Rejects = tuple[tuple[str, int | None], ...]
Stored = tuple[tuple[int, float], ...]


def fuzz_outcome(
    placement: str, shape: str, depth: int, base: int
) -> tuple[bytes, Rejects, Stored]:
    """A UTF-8 message with ``depth`` levels of ``shape`` at ``placement``, and what the
    contract says becomes of it."""
    nest = arrays(depth) if shape == "arrays" else objects(depth)
    g0, g1, g2 = (base, 2.5), (base + 1000, 2.5), (base + 2000, 2.5)
    not_object = "bad_json" if shape == "arrays" else "missing_field"  # objects(): no ts
    if placement == "top":
        reason = "bad_json" if shape == "arrays" else "too_deep" if depth > DEEP else not_object
        return nest, ((reason, None),), ()
    if placement == "known":
        text = b'{"ts":%d,"lel_pct":%s}' % (g1[0], nest)
        return text, (("too_deep" if depth + 1 > DEEP else "wrong_type", None),), ()
    if placement == "unknown":
        text = record_with(g1[0], b"x", nest)
        return (text, (("too_deep", None),), ()) if depth + 1 > DEEP else (text, (), (g1,))
    if placement == "batch_record":
        text = batch(good(g0[0]), nest, good(g2[0]))
        return text, (("too_deep" if depth > DEEP else not_object, 1),), (g0, g2)
    if placement == "batch_unknown":
        text = batch(good(g0[0]), record_with(g1[0], b"x", nest), good(g2[0]))
        if depth + 1 > DEEP:
            return text, (("too_deep", 1),), (g0, g2)
        return text, (), (g0, g1, g2)
    # an unknown field of the envelope: the envelope's two levels come on top
    text = batch(good(g0[0]), extra=b',"x":' + nest)
    return (text, (("too_deep", None),), ()) if depth + 1 > DEEP + 2 else (text, (), (g0,))


def fuzz_case(
    placement: str, shape: str, depth: int, encoding: str, size: int | None, base: int
) -> Case:
    """The message, re-encoded and padded with JSON whitespace towards ``size`` bytes,
    and its outcome: size and encoding are judged before the content."""
    text, rejects, stored = fuzz_outcome(placement, shape, depth, base)
    payload = text.decode().encode(encoding)
    if size is not None and size > len(payload):
        width = len(" ".encode(encoding)) - len("".encode(encoding))
        payload = (text.decode() + " " * ((size - len(payload)) // width)).encode(encoding)
    if len(payload) > LIMIT:
        rejects, stored = (("oversized", None),), ()
    elif encoding != "utf-8":
        rejects, stored = (("bad_json", None),), ()
    name = f"{placement}/{shape}/{depth}/{encoding}/{len(payload)}"
    return Case(name, payload, rejects, stored)


depths = st.one_of(
    st.sampled_from([1, 2, DEEP - 2, DEEP - 1, DEEP, DEEP + 1, DEEP + 2, DEEP + 3, 999, HUGE]),
    st.integers(min_value=1, max_value=140_000),
)
sizes = st.one_of(
    st.sampled_from([None, None, None, LIMIT, LIMIT + 1]), st.integers(1, LIMIT + 4096)
)
encodings = st.sampled_from(("utf-8",) * 6 + ENCODINGS[1:])  # mostly UTF-8, so depth matters


def run_fuzz(running: UtilityStack, channels: list[str]) -> None:
    counter = iter(range(10**6))

    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        placement=st.sampled_from(PLACEMENTS),
        shape=st.sampled_from(("arrays", "objects")),
        depth=depths,
        encoding=encodings,
        size=sizes,
    )
    def one_message(
        placement: str, shape: str, depth: int, encoding: str, size: int | None
    ) -> None:
        n = next(counter)
        base = now_ms() - 3_600_000 - n * 10_000  # a fresh window of event time per example
        case = fuzz_case(placement, shape, depth, encoding, size, base)
        channel = channels[n % len(channels)]
        asyncio.run(exchange(running, channel, case, (base - 1000, base + 3000)))

    one_message()


async def assert_healthy_and_never_internal(running: UtilityStack) -> None:
    async with running.api() as api:
        assert (await api.get("/healthz")).status_code == 200
        summary = await get_json(api, "/api/v1/rejects/summary")
        assert "internal" not in summary["by_reason"], summary
    assert running.stack.process is not None
    assert running.stack.process.poll() is None  # never restarted, never stopped


def test_hostile_payloads_get_contract_reasons_and_spare_good_records(tmp_path: Path) -> None:
    with utility_stack(tmp_path / "data") as running:
        channels = owned_channels(running.registry, UTILITY)
        table_channels, fuzz_channels = channels[:45], channels[45:]
        asyncio.run(run_fixed_table(running, table_channels))
        run_fuzz(running, fuzz_channels)
        asyncio.run(assert_healthy_and_never_internal(running))
