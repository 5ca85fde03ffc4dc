"""Login, logout, expiry, rate limits, accounts and API keys, start-up secrets."""

from __future__ import annotations

import pytest

from api.auth.bootstrap import BOOTSTRAP_USER, DEV_ACCOUNTS, prepare_auth
from api.auth.secrets import hash_password
from lifeline.core.errors import ConfigError
from lifeline.core.identity import Role, User
from store import SqliteAuthStore
from tests.api.conftest import Env
from tests.api.factories import HOUR, NOW_MS

PASSWORD = "correct horse battery"


async def _user(env: Env, name: str = "li.na", role: Role = Role.OPERATOR) -> None:
    await env.auth.put_user(User(name, role, NOW_MS, password_hash=hash_password(PASSWORD)))


async def test_login_gives_an_expiring_bearer_token_and_logout_revokes_it(env: Env) -> None:
    await _user(env)
    anonymous = env.anonymous()
    response = await anonymous.post(
        "/api/v1/auth/login", json={"username": "li.na", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["token_type"], body["expires_in"], body["user"]["role"]) == (
        "bearer", 12 * 3600, "operator",
    )  # fmt: skip
    assert body["expires_at_ms"] == NOW_MS + 12 * HOUR
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = await anonymous.get("/api/v1/auth/me", headers=headers)
    assert (me.status_code, me.json()["username"], me.json()["credential"]) == (
        200, "li.na", "session",
    )  # fmt: skip
    stored = await env.auth.list_credentials("li.na")
    assert body["access_token"] not in {c.token_hash for c in stored}  # only the hash is kept
    assert (await anonymous.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert (await anonymous.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_a_login_token_expires_after_12_hours(env: Env) -> None:
    await _user(env)
    anonymous = env.anonymous()
    login = await anonymous.post(
        "/api/v1/auth/login", json={"username": "li.na", "password": PASSWORD}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    env.clock.now = NOW_MS + 12 * HOUR - 1
    assert (await anonymous.get("/api/v1/auth/me", headers=headers)).status_code == 200
    env.clock.now = NOW_MS + 12 * HOUR
    assert (await anonymous.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_wrong_passwords_are_401_then_429_with_retry_after_and_all_audited(env: Env) -> None:
    await _user(env)
    anonymous = env.anonymous()
    wrong = {"username": "li.na", "password": "guess"}
    for _ in range(5):
        assert (await anonymous.post("/api/v1/auth/login", json=wrong)).status_code == 401
    limited = await anonymous.post(
        "/api/v1/auth/login", json={"username": "li.na", "password": PASSWORD}
    )
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # a minute later the account may try again
    env.clock.now = NOW_MS + 61_000
    ok = await anonymous.post(
        "/api/v1/auth/login", json={"username": "li.na", "password": PASSWORD}
    )
    assert ok.status_code == 200
    admin = await env.client_as(Role.ADMIN)
    trail = (await admin.get("/api/v1/audit", params={"kind": "login"})).json()["items"]
    outcomes = [(e["actor"], e["outcome"], e["client_ip"]) for e in reversed(trail)]
    assert outcomes == [("li.na", "failed", "127.0.0.1")] * 5 + [
        ("li.na", "denied", "127.0.0.1"),
        ("li.na", "ok", "127.0.0.1"),
    ]


async def test_unknown_user_and_disabled_account_cannot_log_in(env: Env) -> None:
    await env.auth.put_user(
        User("gone", Role.OPERATOR, NOW_MS, password_hash=hash_password(PASSWORD), active=False)
    )
    anonymous = env.anonymous()
    for name in ("nobody", "gone"):
        response = await anonymous.post(
            "/api/v1/auth/login", json={"username": name, "password": PASSWORD}
        )
        assert response.status_code == 401, name


async def test_admin_creates_an_account_and_a_machine_key_and_revokes_it(env: Env) -> None:
    admin = await env.client_as(Role.ADMIN)
    created = await admin.post(
        "/api/v1/users", json={"username": "scada", "role": "utility", "utility_id": "gas-huarun"}
    )
    assert created.status_code == 201
    assert (
        await admin.post("/api/v1/users", json={"username": "scada", "role": "operator"})
    ).status_code == 409
    crew_without_id = await admin.post("/api/v1/users", json={"username": "c9", "role": "crew"})
    assert crew_without_id.status_code == 422
    issued = (await admin.post("/api/v1/users/scada/api-keys", json={"name": "bridge"})).json()
    machine = env.anonymous()
    machine.headers["Authorization"] = f"Bearer {issued['key']}"
    assert (await machine.get("/api/v1/auth/me")).json()["role"] == "utility"
    listed = (await admin.get("/api/v1/api-keys")).json()
    assert all("key" not in k for k in listed)
    assert (await admin.delete(f"/api/v1/api-keys/{issued['id']}")).status_code == 204
    assert (await machine.get("/api/v1/auth/me")).status_code == 401
    disabled = await admin.patch("/api/v1/users/op-test", json={"active": False})
    assert disabled.json()["active"] is False
    assert (await env.client.get("/api/v1/channels")).status_code == 401
    actions = [(e["kind"], e["action"]) for e in (await admin.get("/api/v1/audit")).json()["items"]]
    for expected in (
        ("user", "create"),
        ("api_key", "create"),
        ("api_key", "revoke"),
        ("user", "update"),
    ):
        assert expected in actions


async def test_admin_edits_a_channel_set_point_saved_and_audited(env: Env) -> None:
    admin = await env.client_as(Role.ADMIN, "admin.zhao")
    edited = await admin.put("/api/v1/channels/GAS-0001", json={"low_pct": 15, "high_pct": 40})
    assert (edited.status_code, edited.json()["low_pct"], edited.json()["high_pct"]) == (
        200,
        15,
        40,
    )
    assert env.deps.registry_store is not None
    saved = await env.deps.registry_store.load()
    assert saved is not None
    assert saved.channels["GAS-0001"].low_pct == 15
    assert (await admin.put("/api/v1/channels/GAS-0001", json={"low_pct": 60})).status_code == 422
    entry = (await admin.get("/api/v1/audit", params={"kind": "registry"})).json()["items"][0]
    assert (entry["actor"], entry["target"]) == ("admin.zhao", "channel/GAS-0001")
    assert "low_pct: 20.0 -> 15" in entry["detail"]
    assert (
        await env.client.put("/api/v1/channels/GAS-0001", json={"low_pct": 10})
    ).status_code == 403


async def test_outside_dev_mode_start_up_refuses_missing_and_default_secrets(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = SqliteAuthStore(tmp_path / "lifeline.db")
    try:
        with pytest.raises(ConfigError, match="BOOTSTRAP_ADMIN_TOKEN"):
            await prepare_auth(store, dev_mode=False, bootstrap_token=None)
        with pytest.raises(ConfigError, match="at least 32"):
            await prepare_auth(store, dev_mode=False, bootstrap_token="short")
        token = "t" * 40
        await prepare_auth(store, dev_mode=False, bootstrap_token=token)
        assert (await store.get_user(BOOTSTRAP_USER)) is not None
        shown: list[str] = []
        await prepare_auth(store, dev_mode=True, bootstrap_token=None, announce=shown.append)
        assert any(DEV_ACCOUNTS[0].password in line for line in shown)
        assert {a.username for a in DEV_ACCOUNTS} <= {u.username for u in await store.list_users()}
        # starting without the bootstrap token revoked it; a revoked token never returns
        assert all(
            c.revoked_at_ms is not None for c in await store.list_credentials(BOOTSTRAP_USER)
        )
        with pytest.raises(ConfigError, match="revoked before"):
            await prepare_auth(store, dev_mode=False, bootstrap_token=token)
        with pytest.raises(ConfigError, match="documented development password"):
            await prepare_auth(store, dev_mode=False, bootstrap_token="u" * 40)
    finally:
        await store.close()
