"""BroadcastNotifier: fan-out to subscribers; slow ones drop oldest, never block."""

from __future__ import annotations

import asyncio

from alerts.notify_memory import BroadcastNotifier
from lifeline.core.payloads import AlertEvent


def event(n: int) -> AlertEvent:
    return AlertEvent(
        n, "GAS-0001", "gas_channel", "gas_leak", "major", "active_unacked", "m", None, None,
        "2025-11-13T00:00:00.000Z", "2025-11-13T00:00:00.000Z", None, None,
    )  # fmt: skip


async def test_every_subscriber_gets_every_event_in_order() -> None:
    notifier = BroadcastNotifier()
    with notifier.subscribe() as first, notifier.subscribe() as second:
        for n in range(3):
            await notifier.notify(event(n))
        assert [e.id for e in first.drain()] == [0, 1, 2]
        got = [await anext(second) for _ in range(3)]
        assert [e.id for e in got] == [0, 1, 2]
    assert notifier.subscribers == 0


async def test_a_slow_subscriber_loses_the_oldest_events_and_never_blocks() -> None:
    notifier = BroadcastNotifier(queue_size=3)
    with notifier.subscribe() as slow:
        async with asyncio.timeout(1):
            for n in range(10):
                await notifier.notify(event(n))
        assert [e.id for e in slow.drain()] == [7, 8, 9]
        assert slow.dropped == 7


async def test_a_waiting_subscriber_wakes_on_the_next_event() -> None:
    notifier = BroadcastNotifier()
    with notifier.subscribe() as subscription:
        waiter = asyncio.create_task(anext(subscription))
        await asyncio.sleep(0)
        await notifier.notify(event(42))
        async with asyncio.timeout(1):
            assert (await waiter).id == 42
