"""SqliteAuthStore: API accounts, bearer credentials and the audit log (``lifeline.db``).

- ``users`` one row per account (Argon2id password hash, or NULL for machine accounts).
- ``credentials`` session tokens and API keys, by the SHA-256 hex of the token only;
  revoking sets ``revoked_at_ms`` (rows are kept: who held which key stays traceable).
- ``audit_log`` who did what, when and from where (logins, account and registry
  changes, alert actions). Triggers abort any UPDATE or DELETE: it can only grow.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Final

import msgspec

from lifeline.errors import ConflictError
from lifeline.identity import AuditQuery, AuditRecord, Credential, User
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
)

_USER_FIELDS: Final = User.__struct_fields__
_CRED_FIELDS: Final = Credential.__struct_fields__
_AUDIT_FIELDS: Final = AuditRecord.__struct_fields__


class SqliteAuthStore:
    """:class:`lifeline.ports.AuthStore` on SQLite; tables are created on open."""

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
    row = _row(record)
    del row["id"]
    with transaction(conn):
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
