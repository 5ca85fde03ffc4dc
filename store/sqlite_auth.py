"""SqliteAuthStore: API accounts, bearer credentials and the audit log (``lifeline.db``).

- ``users`` one row per account (Argon2id password hash, or NULL for machine accounts).
- ``credentials`` session tokens and API keys, by the SHA-256 hex of the token only;
  revoking sets ``revoked_at_ms`` (rows are kept: who held which key stays traceable).
- ``audit_log`` who did what, when and from where (logins, account and registry
  changes, alert actions). Triggers abort any UPDATE or DELETE: it can only grow.
- ``login_throttle`` password checks per (client address, user name) in the current
  window: reserved in one ``BEGIN IMMEDIATE`` transaction before a password is checked,
  so the limit holds under concurrency and across API processes sharing the file.
  Refusals are counted here; the store writes one summary audit entry per window.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Final

import msgspec

from lifeline.core.errors import ConflictError
from lifeline.core.identity import AuditQuery, AuditRecord, Credential, LoginGate, LoginPolicy, User
from store.sqlite_db import Migration, SqliteWorker, Synchronous, transaction

__all__ = ["SqliteAuthStore"]

_MIGRATIONS: Final[tuple[Migration, ...]] = (
    (
        """CREATE TABLE users (
            username TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            password_hash TEXT,
            crew_id TEXT,
            utility_id TEXT,
            active INTEGER NOT NULL) WITHOUT ROWID""",
        """CREATE TABLE credentials (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            token_hash TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            username TEXT NOT NULL REFERENCES users(username),
            name TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            expires_at_ms INTEGER,
            revoked_at_ms INTEGER)""",
        "CREATE INDEX credentials_by_user ON credentials(username)",
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at_ms INTEGER NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            action TEXT NOT NULL,
            outcome TEXT NOT NULL,
            target TEXT,
            client_ip TEXT,
            detail TEXT)""",
        "CREATE INDEX audit_log_by_time ON audit_log(at_ms DESC, id DESC)",
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    ),
    (
        """CREATE TABLE login_throttle (
            client TEXT NOT NULL,
            username TEXT NOT NULL,
            window_ms INTEGER NOT NULL,
            ends_at_ms INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            refused INTEGER NOT NULL,
            PRIMARY KEY (client, username)) WITHOUT ROWID""",
        "CREATE INDEX login_throttle_by_end ON login_throttle(ends_at_ms)",
    ),
)

_USER_FIELDS: Final = User.__struct_fields__
_CRED_FIELDS: Final = Credential.__struct_fields__
_AUDIT_FIELDS: Final = AuditRecord.__struct_fields__


class SqliteAuthStore:
    """:class:`lifeline.core.ports.AuthStore` on SQLite; tables are created on open."""

    def __init__(self, path: Path, synchronous: Synchronous = "NORMAL") -> None:
        self._worker = SqliteWorker(path, "auth", _MIGRATIONS, synchronous)

    async def get_user(self, username: str) -> User | None:
        found = await self._worker.run(_users, " WHERE username = ?", [username])
        return found[0] if found else None

    async def list_users(self) -> list[User]:
        return await self._worker.run(_users, " ORDER BY username", [])

    async def put_user(self, user: User) -> None:
        await self._worker.run(_put_user, user)

    async def add_credential(self, credential: Credential) -> Credential:
        return await self._worker.run(_add_credential, credential)

    async def get_credential(self, token_hash: str) -> Credential | None:
        found = await self._worker.run(_credentials, " WHERE token_hash = ?", [token_hash])
        return found[0] if found else None

    async def list_credentials(self, username: str | None = None) -> list[Credential]:
        if username is None:
            return await self._worker.run(_credentials, " ORDER BY id", [])
        return await self._worker.run(_credentials, " WHERE username = ? ORDER BY id", [username])

    async def revoke_credential(self, credential_id: int, at_ms: int) -> Credential | None:
        return await self._worker.run(_revoke, credential_id, at_ms)

    async def append_audit(self, record: AuditRecord) -> AuditRecord:
        return await self._worker.run(_append_audit, record)

    async def audit(self, query: AuditQuery) -> list[AuditRecord]:
        return await self._worker.run(_audit, query)

    async def reserve_login(
        self, client: str, username: str, now_ms: int, policy: LoginPolicy
    ) -> LoginGate:
        return await self._worker.run(_reserve_login, client, username, now_ms, policy)

    async def login_succeeded(self, client: str, username: str) -> None:
        await self._worker.run(_login_succeeded, client, username)

    async def close(self) -> None:
        await self._worker.close()


def _row(struct: msgspec.Struct) -> dict[str, Any]:
    row: dict[str, Any] = msgspec.to_builtins(struct)
    return row


def _users(conn: sqlite3.Connection, where: str, params: list[Any]) -> list[User]:
    rows = conn.execute(f"SELECT {', '.join(_USER_FIELDS)} FROM users{where}", params)
    return [
        msgspec.convert(dict(zip(_USER_FIELDS, r, strict=True)), User, strict=False) for r in rows
    ]


def _put_user(conn: sqlite3.Connection, user: User) -> None:
    columns = ", ".join(_USER_FIELDS)
    values = ", ".join(f":{f}" for f in _USER_FIELDS)
    with transaction(conn):
        conn.execute(
            f"INSERT INTO users({columns}) VALUES ({values}) ON CONFLICT(username) DO UPDATE"
            f" SET {', '.join(f'{f} = excluded.{f}' for f in _USER_FIELDS[1:])}",
            _row(user),
        )


def _credentials(conn: sqlite3.Connection, where: str, params: list[Any]) -> list[Credential]:
    rows = conn.execute(f"SELECT {', '.join(_CRED_FIELDS)} FROM credentials{where}", params)
    return [
        msgspec.convert(dict(zip(_CRED_FIELDS, r, strict=True)), Credential, strict=False)
        for r in rows
    ]


def _add_credential(conn: sqlite3.Connection, credential: Credential) -> Credential:
    row = _row(credential)
    del row["id"]
    columns = ", ".join(row)
    try:
        with transaction(conn):
            (new_id,) = conn.execute(
                f"INSERT INTO credentials({columns}) VALUES ({', '.join(':' + c for c in row)})"
                " RETURNING id",
                row,
            ).fetchone()
    except sqlite3.IntegrityError as exc:
        raise ConflictError(f"credential not stored: {exc}") from exc
    return msgspec.structs.replace(credential, id=int(new_id))


def _revoke(conn: sqlite3.Connection, credential_id: int, at_ms: int) -> Credential | None:
    with transaction(conn):
        conn.execute(
            "UPDATE credentials SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL",
            (at_ms, credential_id),
        )
    found = _credentials(conn, " WHERE id = ?", [credential_id])
    return found[0] if found else None


def _append_audit(conn: sqlite3.Connection, record: AuditRecord) -> AuditRecord:
    with transaction(conn):
        return _insert_audit(conn, record)


def _insert_audit(conn: sqlite3.Connection, record: AuditRecord) -> AuditRecord:
    row = _row(record)
    del row["id"]
    (new_id,) = conn.execute(
        f"INSERT INTO audit_log({', '.join(row)}) VALUES ({', '.join(':' + c for c in row)})"
        " RETURNING id",
        row,
    ).fetchone()
    return msgspec.structs.replace(record, id=int(new_id))


def _audit(conn: sqlite3.Connection, query: AuditQuery) -> list[AuditRecord]:
    clauses: list[str] = []
    params: list[Any] = []
    for clause, value in (
        ("kind = ?", query.kind),
        ("actor = ?", query.actor),
        ("at_ms >= ?", query.since_ms),
        ("at_ms <= ?", query.until_ms),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    rows = conn.execute(
        f"SELECT {', '.join(_AUDIT_FIELDS)} FROM audit_log{where}"
        " ORDER BY at_ms DESC, id DESC LIMIT ?",
        [*params, query.limit],
    )
    return [
        msgspec.convert(dict(zip(_AUDIT_FIELDS, r, strict=True)), AuditRecord, strict=False)
        for r in rows
    ]


def _reserve_login(
    conn: sqlite3.Connection, client: str, username: str, now_ms: int, policy: LoginPolicy
) -> LoginGate:
    with transaction(conn):
        _forget_stale(conn, now_ms, policy)
        row = conn.execute(
            "SELECT window_ms, ends_at_ms, attempts, refused FROM login_throttle"
            " WHERE client = ? AND username = ?",
            (client, username),
        ).fetchone()
        if row is None or now_ms >= row[1]:
            window = policy.window_ms
            if row is not None:
                _summarise_refusals(conn, client, username, int(row[3]), now_ms)
                if row[2] >= policy.limit:  # the last window filled up: back off
                    window = min(int(row[0]) * 2, policy.max_window_ms)
            conn.execute(
                "INSERT OR REPLACE INTO login_throttle"
                " (client, username, window_ms, ends_at_ms, attempts, refused)"
                " VALUES (?, ?, ?, ?, 1, 0)",
                (client, username, window, now_ms + window),
            )
            return LoginGate(allowed=True)
        _, ends_at_ms, attempts, refused = (int(v) for v in row)
        if attempts < policy.limit:
            conn.execute(
                "UPDATE login_throttle SET attempts = attempts + 1"
                " WHERE client = ? AND username = ?",
                (client, username),
            )
            return LoginGate(allowed=True)
        conn.execute(
            "UPDATE login_throttle SET refused = refused + 1 WHERE client = ? AND username = ?",
            (client, username),
        )
        return LoginGate(False, retry_after_ms=ends_at_ms - now_ms, first_refusal=refused == 0)


def _forget_stale(conn: sqlite3.Connection, now_ms: int, policy: LoginPolicy) -> None:
    """Drop throttles idle for longer than the longest window (their backoff is over)."""
    stale = conn.execute(
        "DELETE FROM login_throttle WHERE ends_at_ms < ? RETURNING client, username, refused",
        (now_ms - policy.max_window_ms,),
    ).fetchall()
    for client, username, refused in stale:
        _summarise_refusals(conn, client, username, int(refused), now_ms)


def _summarise_refusals(
    conn: sqlite3.Connection, client: str, username: str, refused: int, now_ms: int
) -> None:
    """One audit entry for the refusals of a whole window (the first is audited as it
    happens, so only windows with more than one need a summary)."""
    if refused <= 1:
        return
    _insert_audit(
        conn,
        AuditRecord(
            at_ms=now_ms,
            actor=username,
            kind="login",
            action="login",
            outcome="denied",
            client_ip=client or None,
            detail=f"{refused} logins refused while rate limited (one window)",
        ),
    )


def _login_succeeded(conn: sqlite3.Connection, client: str, username: str) -> None:
    """A window with refusals had no check left, so nothing here awaits a summary."""
    with transaction(conn):
        conn.execute(
            "DELETE FROM login_throttle WHERE client = ? AND username = ?", (client, username)
        )
