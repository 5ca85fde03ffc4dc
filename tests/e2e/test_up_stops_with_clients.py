"""SIGTERM to ``lifeline up`` with a control room's live stream and a utility connected:
the process ends by itself (it ran on for 30 s and more before, until killed)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.e2e.utility import utility_client, utility_stack

pytestmark = pytest.mark.slow


async def test_sigterm_ends_lifeline_up_with_a_live_stream_and_a_publisher_connected(
    tmp_path: Path,
) -> None:
    with utility_stack(tmp_path / "data") as running:
        stack = running.stack
        assert stack.process is not None
        async with (
            httpx.AsyncClient(base_url=stack.api, headers=stack.headers, timeout=None) as api,
            api.stream("GET", "/api/v1/alerts/stream") as stream,
            utility_client(running, "gas-huarun"),
        ):
            assert stream.status_code == 200
            stack.process.send_signal(signal.SIGTERM)
            try:
                code = await asyncio.to_thread(stack.process.wait, 25)
            except subprocess.TimeoutExpired:
                pytest.fail(f"lifeline up still running 25 s after SIGTERM: {stack.log_tail()}")
        assert code == 0
        log = (stack.data_dir / "stack.log").read_text()
        assert '"lifeline_stopped"' in log
        assert '"job_did_not_stop"' not in log, stack.log_tail()
