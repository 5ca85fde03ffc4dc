"""LocalInbox: the embedded broker's hand-off holds the PUBACK until the ingester acks."""

from __future__ import annotations

import asyncio

import pytest

from ingest.local import IngestUnavailableError, LocalInbox

TOPIC = "lifeline/v1/gas/GAS-0001/reading"


def test_accepts_exactly_the_ingester_subscriptions() -> None:
    inbox = LocalInbox("lifeline/v1")
    assert inbox.accepts(TOPIC)
    assert inbox.accepts("lifeline/v1/heat/HEAT-001/HEAT-001-S01/telemetry")
    assert inbox.accepts("lifeline/v1/meter/MTR-00000001/reading")
    assert not inbox.accepts("lifeline/v1/alerts/critical/GAS-0001")
    assert not inbox.accepts("lifeline/v1/gas/GAS-0001/reading/extra")
    assert not inbox.accepts("lifeline/v1/rejects/gas-huarun")
    assert not inbox.accepts("other/v1/gas/GAS-0001/reading")


async def test_qos1_delivery_returns_only_after_the_ack() -> None:
    inbox = LocalInbox("lifeline/v1")
    delivered = asyncio.ensure_future(inbox.deliver(TOPIC, b"{}", 1, "gas-huarun"))
    message = await inbox.get(5)
    assert message is not None
    assert message.publisher == "gas-huarun"
    await asyncio.sleep(0.05)
    assert not delivered.done()
    message.ack()
    await asyncio.wait_for(delivered, 5)


async def test_qos0_delivery_does_not_wait() -> None:
    inbox = LocalInbox("lifeline/v1")
    await asyncio.wait_for(inbox.deliver(TOPIC, b"{}", 0, None), 5)
    assert await inbox.get(1) is not None


async def test_close_fails_queued_messages_and_refuses_new_ones() -> None:
    inbox = LocalInbox("lifeline/v1")
    delivered = asyncio.ensure_future(inbox.deliver(TOPIC, b"{}", 1, None))
    await asyncio.sleep(0.01)
    inbox.close()
    with pytest.raises(IngestUnavailableError):
        await asyncio.wait_for(delivered, 5)
    with pytest.raises(IngestUnavailableError):
        await inbox.deliver(TOPIC, b"{}", 1, None)


async def test_get_times_out_with_none() -> None:
    assert await LocalInbox("lifeline/v1").get(0.01) is None
