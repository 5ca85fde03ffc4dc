"""``/api/v1/registry/import`` and ``/export``: a table checked row by row, dry run, then
the good rows applied to the live registry and its store (audited); CSV and XLSX."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest

from lifeline.core.identity import AuditQuery, Role
from lifeline.core.registry import Registry
from lifeline.tables import Sheet, xlsx_bytes
from tests.api.conftest import Env
from tests.api.factories import NOW_MS
from tests.registry_tables import BAD_ROWS, HEADER, channel_rows, copy_registry, csv_of

IMPORT = "/api/v1/registry/import"


@pytest.fixture
def registry(registry: Registry) -> Registry:
    """This module's tests edit the registry: each gets a copy of the session's."""
    return copy_registry(registry)


async def test_500_rows_with_3_bad_ones_dry_run_then_497_applied(env: Env) -> None:
    admin = await env.client_as(Role.ADMIN, "admin1")
    data = csv_of(channel_rows(500))
    before = len(env.registry.channels)
    dry = (await admin.post(IMPORT, params={"kind": "channels"}, content=data)).json()
    assert (dry["dry_run"], dry["applied"], dry["rows"], dry["added"]) == (True, False, 500, 497)
    assert dry["rejected_rows"] == 3
    assert [(e["row"], e["column"]) for e in dry["errors"]] == [
        (index + 2, column) for index, column, _ in BAD_ROWS
    ]  # sheet rows: the header is row 1
    assert "outside 35..37.5" in dry["errors"][0]["message"]
    assert (dry["errors"][0]["code"], dry["errors"][0]["params"]["value"]) == (
        "out_of_range",
        "3.61",
    )
    assert len(env.registry.channels) == before  # nothing changed yet
    done = await admin.post(IMPORT, params={"kind": "channels", "dry_run": False}, content=data)
    assert done.json()["applied"] is True
    assert len(env.registry.channels) == before + 497
    added = env.registry.channels["GAS-2001"]
    assert (added.low_pct, added.high_pct, added.registered_at_ms) == (15.0, 40.0, NOW_MS)
    assert "GAS-2042" not in env.registry.channels  # its latitude was bad
    assert env.deps.registry_store is not None
    stored = await env.deps.registry_store.load()
    assert stored is not None
    assert len(stored.channels) == before + 497
    [entry] = await env.auth.audit(AuditQuery(kind="registry"))
    detail = json.loads(entry.detail or "")
    assert (entry.action, len(detail["added"]), detail["rejected_rows"]) == (
        "import_channels",
        497,
        3,
    )


async def test_an_update_keeps_the_registration_and_audits_the_changed_fields(env: Env) -> None:
    admin = await env.client_as(Role.ADMIN)
    rows = channel_rows(2, bad=False)
    await admin.post(IMPORT, params={"kind": "channels", "dry_run": False}, content=csv_of(rows))
    env.clock.now += 3_600_000
    rows[1][HEADER.index("high_pct")] = "45"
    again = await admin.post(
        IMPORT, params={"kind": "channels", "dry_run": False}, content=csv_of(rows)
    )
    assert (again.json()["updated"], again.json()["unchanged"]) == (1, 1)
    assert env.registry.channels["GAS-2002"].registered_at_ms == NOW_MS
    entry = (await env.auth.audit(AuditQuery(kind="registry")))[0]
    detail = json.loads(entry.detail or "")
    assert detail["before"] == {"GAS-2002": {"high_pct": 40.0}}
    assert detail["after"] == {"GAS-2002": {"high_pct": 45.0}}


async def test_xlsx_imports_and_exports_round_trip(env: Env) -> None:
    admin = await env.client_as(Role.ADMIN)
    sheet = Sheet("channels", HEADER, channel_rows(3, bad=False))
    done = await admin.post(
        IMPORT, params={"kind": "channels", "dry_run": False}, content=xlsx_bytes([sheet])
    )
    assert done.json()["added"] == 3, done.text
    exported = await admin.get("/api/v1/registry/export", params={"kind": "channels",
                                                                    "format": "xlsx"})  # fmt: skip
    assert "registry-channels-" in exported.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(exported.content))
    rows = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][:3] == ("id", "name", "district")
    assert len(rows) == 1 + len(env.registry.channels)
    csv_export = await admin.get("/api/v1/registry/export", params={"kind": "channels"})
    again = await admin.post(IMPORT, params={"kind": "channels"}, content=csv_export.content)
    assert (again.json()["unchanged"], again.json()["rejected_rows"]) == (
        len(env.registry.channels),
        0,
    )


async def test_unreadable_tables_and_references_are_refused(env: Env) -> None:
    admin = await env.client_as(Role.ADMIN)
    post = admin.post
    missing = csv_of([["GAS-3001", "x"]], header=["id", "name"])
    refused = await post(IMPORT, params={"kind": "channels"}, content=missing)
    assert refused.status_code == 422
    assert "missing columns" in refused.json()["detail"]
    assert (await post(IMPORT, params={"kind": "channels"}, content=b"")).status_code == 422
    broken = b"PK\x03\x04 not really a workbook"
    assert (await post(IMPORT, params={"kind": "meters"}, content=broken)).status_code == 422
    station = csv_of(
        [["HEAT-999-S01", "HEAT-999", "s", "市南", "36.07", "120.38", "1000"],
         ["GAS-0001", "HEAT-001", "s", "市南", "36.07", "120.38", "1000"]],
        header=["id", "enterprise_id", "name", "district", "lat", "lon", "area_m2"],
    )  # fmt: skip
    answer = (await post(IMPORT, params={"kind": "stations"}, content=station)).json()
    assert [e["message"] for e in answer["errors"]] == [
        "enterprise 'HEAT-999' is not in the registry",
        "GAS-0001 is already one of the channels",
    ]
    gbk = "id,name,district,owner,lat,lon\nHEAT-200,新企业,黄岛,heat-200,35.96,120.2\n"
    answer = (
        await post(IMPORT, params={"kind": "enterprises"}, content=gbk.encode("gb18030"))
    ).json()
    assert (answer["added"], answer["rejected_rows"]) == (1, 0)  # with its own account
