"""The brokers' account files: issue MQTT accounts and write password and ACL files.

``ensure_accounts`` reconciles ``DIR/accounts.json`` with the registry and rewrites, every
file mode 0600:

| file | read by |
|---|---|
| ``passwd`` | Mosquitto ``password_file`` (``$7$`` PBKDF2-SHA512) |
| ``acl`` | Mosquitto ``acl_file`` |
| ``amqtt-passwd`` | the embedded broker, amqtt ``FileAuthPlugin`` (Argon2id) |
| ``amqtt-acl.json`` | the embedded broker, amqtt ``TopicAccessControlListPlugin`` |
| ``accounts.json`` | which accounts exist, with their hashes only |

``lifeline accounts`` (lifeline/cli/accounts.py) and ``lifeline up``'s embedded broker
(:func:`issue_embedded_credentials`) both go through it. The policy (who gets which
topics) is pure, in ``lifeline.core.accounts``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import msgspec

from lifeline.core.accounts import (
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
from lifeline.core.errors import ConfigError
from lifeline.core.registry import Registry
from lifeline.core.timeutil import now_ms
from lifeline.passwords import broker_hashes
from lifeline.settings import Settings

__all__ = [
    "AccountFiles",
    "accounts_dir",
    "ensure_accounts",
    "issue_embedded_credentials",
    "load_state",
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
    result = reconcile(state, wanted, now_ms=now_ms(), hashes=broker_hashes, rotate=rotate)
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
