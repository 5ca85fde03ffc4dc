"""SqliteDeadLetterStore against real SQLite files."""

from __future__ import annotations

from pathlib import Path

import msgspec

from lifeline.core.ports import DeadLetter, DeadLetterQuery
from store import SqliteDeadLetterStore
from tests.store.factories import T0


def _letter(n: int, reason: str = "out_of_range", utility: str | None = "gas-huarun") -> DeadLetter:
    return DeadLetter(
        received_at_ms=T0 + n,
        topic=f"lifeline/v1/gas/GAS-{n:04d}/reading",
        utility_id=utility,
        reason=reason,
        detail=f"record {n}",
        index=n if n % 2 else None,
        payload=b'{"lel_pct": 101}\xff\x00' + bytes([n % 256]),
    )


async def test_letters_round_trip_with_raw_payload_newest_first(tmp_path: Path) -> None:
    store = SqliteDeadLetterStore(tmp_path / "lifeline.db")
    try:
        sent = [_letter(n) for n in range(1, 4)]
        await store.add(sent)

        found, total = await store.query(DeadLetterQuery())

        assert total == 3
        assert found == [msgspec.structs.replace(x, id=x.received_at_ms - T0) for x in sent[::-1]]
    finally:
        await store.close()


async def test_query_filters_and_counts_by_reason(tmp_path: Path) -> None:
    store = SqliteDeadLetterStore(tmp_path / "lifeline.db")
    try:
        await store.add(
            [
                _letter(1, "bad_json", "gas-huarun"),
                _letter(2, "bad_json", "heat-004"),
                _letter(3, "unknown_id", "heat-004"),
                _letter(4, "bad_json", None),
            ]
        )

        by_reason, n_reason = await store.query(DeadLetterQuery(reason="bad_json", limit=2))
        by_both, n_both = await store.query(
            DeadLetterQuery(reason="bad_json", utility_id="heat-004")
        )
        paged, _ = await store.query(DeadLetterQuery(reason="bad_json", limit=1, offset=2))

        assert (n_reason, [x.id for x in by_reason]) == (3, [4, 2])
        assert (n_both, [x.id for x in by_both]) == (1, [2])
        assert [x.id for x in paged] == [1]
        assert await store.counts_by_reason() == {"bad_json": 3, "unknown_id": 1}
    finally:
        await store.close()


async def test_store_keeps_only_the_newest_max_rows(tmp_path: Path) -> None:
    store = SqliteDeadLetterStore(tmp_path / "lifeline.db", max_rows=5)
    try:
        await store.add([_letter(n) for n in range(1, 4)])
        await store.add([_letter(n) for n in range(4, 9)])
        await store.add([_letter(9)])

        found, total = await store.query(DeadLetterQuery())

        assert total == 5
        assert [x.received_at_ms - T0 for x in found] == [9, 8, 7, 6, 5]
    finally:
        await store.close()


async def test_letters_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "lifeline.db"
    first = SqliteDeadLetterStore(path)
    await first.add([_letter(7)])
    await first.close()

    second = SqliteDeadLetterStore(path)
    try:
        found, _ = await second.query(DeadLetterQuery())
        assert [x.payload for x in found] == [_letter(7).payload]
    finally:
        await second.close()
