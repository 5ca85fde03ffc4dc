"""The login throttle of the SQLite auth store: per (client, user name), atomic across
processes sharing ``lifeline.db``, exponential backoff, refusals summarised in the audit."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from lifeline.core.identity import AuditQuery, LoginPolicy
from store import SqliteAuthStore

POLICY = LoginPolicy(limit=5, window_ms=60_000, max_window_ms=3_600_000)
T0 = 1_767_571_200_000

_RESERVE_MANY = """
import asyncio, sys
from pathlib import Path
from lifeline.core.identity import LoginPolicy
from store import SqliteAuthStore

async def main() -> None:
    store = SqliteAuthStore(Path(sys.argv[1]))
    gates = await asyncio.gather(*(
        store.reserve_login("10.0.0.9", "operator", int(sys.argv[2]), LoginPolicy())
        for _ in range(20)
    ))
    await store.close()
    print(sum(g.allowed for g in gates))

asyncio.run(main())
"""


async def test_two_processes_sharing_the_store_check_at_most_the_limit(tmp_path: Path) -> None:
    db = tmp_path / "lifeline.db"
    store = SqliteAuthStore(db)  # create the schema once, before the processes race
    await store.close()
    runs = [
        asyncio.create_subprocess_exec(
            sys.executable, "-c", _RESERVE_MANY, str(db), str(T0), stdout=subprocess.PIPE
        )
        for _ in range(2)
    ]
    processes = await asyncio.gather(*runs)
    outputs = [await p.communicate() for p in processes]
    assert [p.returncode for p in processes] == [0, 0]
    assert sum(int(out) for out, _ in outputs) == 5


async def test_windows_that_fill_up_double_and_success_resets(tmp_path: Path) -> None:
    store = SqliteAuthStore(tmp_path / "lifeline.db")
    try:
        gates = [await store.reserve_login("a", "op", T0, POLICY) for _ in range(7)]
        assert [g.allowed for g in gates] == [True] * 5 + [False] * 2
        assert [g.first_refusal for g in gates[5:]] == [True, False]
        assert gates[5].retry_after_ms == 60_000
        other = await store.reserve_login("b", "op", T0, POLICY)
        assert other.allowed  # another address is not locked out by "a"
        later = T0 + 60_000
        assert [
            (await store.reserve_login("a", "op", later, POLICY)).allowed for _ in range(6)
        ] == [True] * 5 + [False]
        refused = await store.reserve_login("a", "op", later + 1, POLICY)
        assert refused.retry_after_ms == 120_000 - 1  # the second window is twice as long
        await store.login_succeeded("a", "op")
        assert (await store.reserve_login("a", "op", later + 2, POLICY)).allowed
        summaries = await store.audit(AuditQuery(actor="op"))
        assert [s.detail for s in summaries] == ["2 logins refused while rate limited (one window)"]
        assert summaries[0].client_ip == "a"
    finally:
        await store.close()


async def test_idle_throttles_are_forgotten_and_summarised(tmp_path: Path) -> None:
    store = SqliteAuthStore(tmp_path / "lifeline.db")
    try:
        for _ in range(9):
            await store.reserve_login("c", "nobody", T0, POLICY)
        much_later = T0 + 60_000 + POLICY.max_window_ms + 1
        assert (await store.reserve_login("d", "x", much_later, POLICY)).allowed
        summaries = await store.audit(AuditQuery(actor="nobody"))
        assert [s.detail for s in summaries] == ["4 logins refused while rate limited (one window)"]
    finally:
        await store.close()
