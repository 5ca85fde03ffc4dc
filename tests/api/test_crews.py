"""``/api/v1/crews``: crews from their accounts and their open incidents."""

from __future__ import annotations

from lifeline.core.alert import AlertAction, AlertCommand
from lifeline.core.identity import Role
from tests.api.conftest import Env
from tests.api.factories import raise_alert


async def test_crews_list_their_members_and_open_incidents(env: Env) -> None:
    admin = await env.client_as(Role.ADMIN)
    for name, crew in (("li", "crew-02"), ("wang", "crew-02"), ("zhao", "crew-05")):
        body = {"username": name, "role": "crew", "crew_id": crew, "password": "pw-123456789"}
        assert (await admin.post("/api/v1/users", json=body)).status_code == 201
    assert (await admin.patch("/api/v1/users/zhao", json={"active": False})).status_code == 200
    alert = await raise_alert(env.alerts, "GAS-0001")
    await env.engine.start()
    await env.engine.act(alert.id, AlertCommand(AlertAction.ASSIGN, "op", assignee="crew-05"))
    crews = (await admin.get("/api/v1/crews")).json()
    assert crews == [
        {"crew_id": "crew-02", "members": ["li", "wang"], "receivers": [], "open_incidents": 0},
        {"crew_id": "crew-05", "members": [], "receivers": [], "open_incidents": 1},
    ]
