"""Contract v1.1: an oversized payload is dead-lettered only up to its first 4 KiB.

From outside: a utility publishes 600 KiB on its own channel's topic of a non-development
``lifeline up``; the rejects API shows the reason, the real size in the detail and no
more than 4 KiB of payload kept (it kept all 600 KiB, twice in the listing, before).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.stack import eventually
from tests.e2e.utility import get_json, owned_channels, utility_client, utility_stack

pytestmark = pytest.mark.slow

SIZE = 600 * 1024


async def test_oversized_payload_is_kept_as_its_first_4_kib_with_its_real_size(
    tmp_path: Path,
) -> None:
    with utility_stack(tmp_path / "data") as running:
        channel = owned_channels(running.registry, "gas-huarun")[0]
        payload = b'{"ts": 1, "lel_pct": 1, "pad": "' + b"x" * SIZE + b'"}'
        async with utility_client(running, "gas-huarun") as client:
            await client.publish(f"lifeline/v1/gas/{channel}/reading", payload, qos=1)
        async with running.api() as api:

            async def oversized() -> list[dict[str, object]] | None:
                body = await get_json(api, "/api/v1/rejects", {"reason": "oversized"})
                return body["items"] or None

            (letter,) = await eventually(oversized, timeout_s=20)
        assert letter["payload_size"] == 4096
        assert str(letter["payload_text"]) == payload[:4096].decode()
        assert f"payload is {len(payload)} bytes" in str(letter["detail"])
