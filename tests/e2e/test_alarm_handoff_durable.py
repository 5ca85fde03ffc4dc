"""Issue 10.4: a gas alarm event is never lost while the alert store is busy.

Outside in: ``lifeline up`` outside development mode, a utility's own MQTT account, the
alert database ``lifeline.db`` locked by another process (an exclusive SQLite
transaction, as a long backup or a stuck admin tool would hold it), the API after. The
old ingester gave the rule engine five tries (about 53 s with SQLite's 10 s busy
timeout), then acknowledged the message anyway: the ``alarm_high`` event was in
telemetry, and no alert was ever raised.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import eventually, now_ms
from tests.e2e.utility import get_json, owned_channels, reading, utility_client, utility_stack

pytestmark = pytest.mark.slow

UTILITY = "gas-huarun"
LOCK_S = 65.0  # longer than the old five attempts (~53 s)


@contextmanager
def locked(db: Path) -> Iterator[threading.Event]:
    """Hold an exclusive lock on ``db`` until the yielded event is set (at most 3 min)."""
    release, holding = threading.Event(), threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(db, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            holding.set()
            release.wait(180)
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    if not holding.wait(30):
        raise TimeoutError("could not lock the alert database")
    try:
        yield release
    finally:
        release.set()
        thread.join(190)


async def test_alarm_event_raises_its_alert_after_the_alert_store_was_locked(
    tmp_path: Path,
) -> None:
    with utility_stack(tmp_path / "data") as running:
        channel = owned_channels(running.registry, UTILITY)[0]
        topic = f"lifeline/v1/gas/{channel}/event"
        async with running.api() as api:
            with locked(running.stack.data_dir / "lifeline.db") as release:
                async with utility_client(running, UTILITY, name="huarun-alarm") as client:
                    # the PUBACK is held while the engine cannot save (back-pressure):
                    # publish without waiting for it, and keep the lock for LOCK_S
                    sent = asyncio.ensure_future(
                        client.publish(
                            topic, reading(now_ms(), type="alarm_high"), qos=1, timeout=LOCK_S * 2
                        )
                    )
                    await asyncio.sleep(LOCK_S)
                    acked_while_locked = sent.done() and sent.exception() is None
                    release.set()
                    await asyncio.wait_for(sent, 60)  # the PUBACK, once the alert is stored
            # The event is in the ingester's hands: it must become exactly one alert.

            async def alarm() -> list[dict[str, Any]] | None:
                body = await get_json(api, "/api/v1/alerts", {"open": "true", "source_id": channel})
                found = [a for a in body["items"] if a["rule"] == "gas_leak"]
                return found or None

            alerts = await eventually(alarm, timeout_s=60)
            assert len(alerts) == 1
            assert alerts[0]["severity"] == "critical"
            assert not acked_while_locked, "PUBACK sent while the alarm was not an alert yet"
