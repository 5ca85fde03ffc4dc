"""`lifeline up` outside development mode: the embedded broker is closed to anonymous
clients, its own ingester works with the service account it issued itself, and the
utility accounts `lifeline accounts` issued earlier keep working (not rotated)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import aiomqtt
import pytest

from lifeline.core.timeutil import now_ms
from tests.e2e.stack import Stack
from tests.security.conftest import connected, topics_until


def _first_topic(acl: str, user: str) -> str:
    block = acl.split(f"\nuser {user}\n", 1)[1]
    return next(
        line.removeprefix("topic write ")
        for line in block.splitlines()
        if line.startswith("topic write ")
    )


def _issue_accounts(data_dir: Path) -> dict[str, str]:
    """Run `lifeline accounts`; its stdout is ``account<TAB>role<TAB>password`` lines."""
    env = {**os.environ, "LIFELINE_DEMO_METERS": "500", "LIFELINE_DEV_MODE": "0"}
    issued = subprocess.run(
        [sys.executable, "-m", "lifeline.cli", "accounts", "--data-dir", str(data_dir)],
        env=env, check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return {line.split("\t")[0]: line.split("\t")[2] for line in issued.stdout.splitlines()}


@pytest.mark.slow
async def test_up_outside_dev_mode_admits_only_issued_accounts(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    passwords = await asyncio.to_thread(_issue_accounts, data_dir)
    own = _first_topic((data_dir / "broker" / "acl").read_text(), "gas-huarun")
    stack = Stack(data_dir=data_dir, env={"LIFELINE_DEV_MODE": "0"})
    stack.start()
    try:
        port = stack.mqtt_port
        with pytest.raises(aiomqtt.MqttError):
            async with connected(port, None, None, name="anon"):
                pass
        with pytest.raises(aiomqtt.MqttError):  # rotated at start: the old one is gone
            async with connected(port, "lifeline", passwords["lifeline"], name="old-svc"):
                pass
        rejects = "lifeline/v1/rejects/gas-huarun"
        async with connected(port, "gas-huarun", passwords["gas-huarun"], name="huarun") as gas:
            await gas.subscribe(rejects, qos=1)
            await gas.publish(own, json.dumps({"ts": now_ms(), "lel_pct": 250}), qos=1)
            assert await topics_until(gas, rejects, timeout_s=15) == [rejects]
    finally:
        stack.stop()
