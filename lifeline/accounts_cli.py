"""``lifeline accounts``: issue MQTT accounts and write the brokers' password and ACL files.

    lifeline accounts [--data-dir DIR] [--out DIR] [--demo] [--rotate ACCOUNT ...]

Reads the registry from ``DATA_DIR/lifeline.db`` (seeding it at first use, like every
role), adds an account for every utility that has none yet plus the service accounts
(``lifeline``, ``healthcheck``; ``simulator`` with ``--demo``), and writes to ``--out``
(default ``DATA_DIR/broker``), every file mode 0600:

| file | read by |
|---|---|
| ``passwd`` | Mosquitto ``password_file`` (``$7$`` PBKDF2-SHA512) |
| ``acl`` | Mosquitto ``acl_file`` |
| ``amqtt-passwd`` | the embedded broker, amqtt ``FileAuthPlugin`` (Argon2id) |
| ``amqtt-acl.json`` | the embedded broker, amqtt ``TopicAccessControlListPlugin`` |
| ``accounts.json`` | this tool: which accounts exist, with their hashes only |

Each new password is printed once on stdout (``account<TAB>role<TAB>password``);
re-running adds accounts for new utilities and leaves the others alone; ``--rotate``
issues a new password for an account. ACLs are rewritten from the registry every run.

:func:`issue_embedded_credentials` is what ``lifeline up`` uses for its embedded broker.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec

from lifeline.accounts import (
    SERVICE_ACCOUNT,
    SIMULATOR_ACCOUNT,
    AccountsState,
    Credential,
    amqtt_acl,
    amqtt_passwd,
    grants,
    mosquitto_acl,
    mosquitto_passwd,
    reconcile,
    wanted_accounts,
)
from lifeline.errors import ConfigError
from lifeline.registry import Registry
from lifeline.settings import Settings, load_settings
from lifeline.timeutil import now_ms

__all__ = [
    "AccountFiles",
    "accounts_dir",
    "ensure_accounts",
    "issue_embedded_credentials",
    "load_state",
    "main",
]


@dataclass(frozen=True, slots=True)
class AccountFiles:
    """Where the generated files of one broker directory live."""

    directory: Path

    @property
    def state(self) -> Path:
        return self.directory / "accounts.json"

    @property
    def mosquitto_passwd(self) -> Path:
        return self.directory / "passwd"

    @property
    def mosquitto_acl(self) -> Path:
        return self.directory / "acl"

    @property
    def amqtt_passwd(self) -> Path:
        return self.directory / "amqtt-passwd"

    @property
    def amqtt_acl(self) -> Path:
        return self.directory / "amqtt-acl.json"

    def complete(self) -> bool:
        """True when the embedded broker's two files exist."""
        return self.amqtt_passwd.is_file() and self.amqtt_acl.is_file()


def accounts_dir(settings: Settings) -> Path:
    """Default output directory: ``data_dir/broker``."""
    return settings.data_dir / "broker"


def load_state(path: Path) -> AccountsState:
    """The accounts state file, or an empty state when there is none yet."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return AccountsState()
    try:
        return msgspec.json.decode(data, type=AccountsState)
    except msgspec.DecodeError as err:
        raise ConfigError(f"accounts state {path} is unreadable: {err}") from None


def ensure_accounts(
    registry: Registry,
    files: AccountFiles,
    *,
    prefix: str,
    utilities: bool = True,
    demo: bool = False,
    rotate: Collection[str] = (),
) -> list[Credential]:
    """Reconcile the state in ``files`` with the registry, rewrite every file, and
    return the passwords issued by this call (new accounts and rotations)."""
    state = load_state(files.state)
    wanted = wanted_accounts(registry, utilities=utilities, demo=demo)
    result = reconcile(state, wanted, now_ms=now_ms(), rotate=rotate)
    access = grants(registry, result.state.accounts.values(), prefix)
    files.directory.mkdir(parents=True, exist_ok=True)
    _write_secret(files.mosquitto_passwd, mosquitto_passwd(result.state).encode())
    _write_secret(files.mosquitto_acl, mosquitto_acl(access).encode())
    _write_secret(files.amqtt_passwd, amqtt_passwd(result.state).encode())
    _write_secret(files.amqtt_acl, msgspec.json.format(msgspec.json.encode(amqtt_acl(access))))
    # The state goes last: if anything above failed, the next run issues the same
    # accounts again instead of remembering passwords that no broker file holds.
    _write_secret(files.state, msgspec.json.format(msgspec.json.encode(result.state)))
    return result.issued


def issue_embedded_credentials(settings: Settings, registry: Registry) -> dict[str, str]:
    """Accounts for ``lifeline up``'s embedded broker: fresh ``lifeline`` and ``simulator``
    passwords on every start (handed to our own processes, never written), other accounts
    (utilities added by ``lifeline accounts``) kept. Returns ``{account: password}``."""
    issued = ensure_accounts(
        registry,
        AccountFiles(accounts_dir(settings)),
        prefix=settings.topic_prefix,
        utilities=False,
        demo=True,
        rotate=(SERVICE_ACCOUNT, SIMULATOR_ACCOUNT),
    )
    return {c.name: c.password for c in issued if c.name in (SERVICE_ACCOUNT, SIMULATOR_ACCOUNT)}


def _write_secret(path: Path, data: bytes) -> None:
    """Write ``data`` atomically to ``path`` with mode 0600."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def _load_registry(settings: Settings) -> Registry:
    from lifeline.runtime import load_or_seed_registry
    from store import SqliteRegistryStore

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteRegistryStore(settings.db_path)
    try:
        return await load_or_seed_registry(store, settings)
    finally:
        await store.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``lifeline accounts`` (shared with lifeline/cli.py)."""
    parser.add_argument("--data-dir", type=Path, help="state directory (LIFELINE_DATA_DIR)")
    parser.add_argument("--out", type=Path, help="output directory (default DATA_DIR/broker)")
    parser.add_argument(
        "--rotate",
        action="append",
        default=[],
        metavar="ACCOUNT",
        help="issue a new password for ACCOUNT (repeatable)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="also create the `simulator` account (publishes for every utility; demos only)",
    )


def run(args: argparse.Namespace) -> int:
    """Execute ``lifeline accounts`` for parsed ``args``; prints new passwords."""
    settings = load_settings(data_dir=args.data_dir)
    registry = asyncio.run(_load_registry(settings))
    files = AccountFiles(args.out or accounts_dir(settings))
    try:
        issued = ensure_accounts(
            registry, files, prefix=settings.topic_prefix, demo=args.demo, rotate=args.rotate
        )
    except ConfigError as err:
        print(f"lifeline accounts: {err}", file=sys.stderr)
        return 2
    for credential in issued:
        print(f"{credential.name}\t{credential.role.value}\t{credential.password}")
    print(
        f"{len(issued)} password(s) issued; files in {files.directory} "
        "(passwd, acl, amqtt-passwd, amqtt-acl.json, accounts.json). "
        "Passwords are not stored: hand them over now.",
        file=sys.stderr,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lifeline accounts", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
