"""MQTT accounts: which exist, their hashed passwords, and what each may publish and read.

Pure (no I/O; ``lifeline.account_files`` writes the files).

Accounts are one per utility of the registry (user name = utility id) plus the service
accounts: ``lifeline`` (ingest, rules, api), ``healthcheck`` (the broker probe) and, in
demos only, ``simulator`` (publishes for every utility). :class:`AccountsState` is what
``lifeline accounts`` remembers between runs: names and hashes, never a password.
:func:`reconcile` adds the accounts that are missing and rotates the ones asked for; it
returns each new password once, in a :class:`Credential`.

:func:`grants` derives the ACL from the registry:

- a utility publishes only on the topics of the devices it owns (gas channels: reading
  and event; stations: ``{prefix}/heat/{enterprise}/{station}/telemetry``; meters:
  reading) and reads only ``{prefix}/rejects/{utility}``;
- ``lifeline`` reads ``{prefix}/#`` (inbound topics, shared subscriptions, alerts for
  the API), writes alerts and rejects, and reads and writes ``lifeline/internal/#``;
- nobody else reads ``#`` or the internal topics.

Renderers turn accounts and grants into a Mosquitto password file and ACL, and into
amqtt's ``FileAuthPlugin`` password file and ``TopicAccessControlListPlugin`` config.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

import msgspec

from lifeline.core.errors import ConfigError
from lifeline.core.ids import is_valid_id
from lifeline.core.partitions import INTERNAL_PREFIX
from lifeline.core.registry import Registry
from lifeline.core.topics import (
    DEFAULT_PREFIX,
    gas_event_topic,
    gas_reading_topic,
    inbound_filters,
    meter_reading_topic,
    rejects_topic,
    station_topic,
)

__all__ = [
    "HEALTHCHECK_ACCOUNT",
    "SERVICE_ACCOUNT",
    "SIMULATOR_ACCOUNT",
    "Account",
    "AccountsState",
    "Credential",
    "Grants",
    "Reconciled",
    "Role",
    "amqtt_acl",
    "amqtt_passwd",
    "grants",
    "mosquitto_acl",
    "mosquitto_passwd",
    "reconcile",
    "wanted_accounts",
]

SERVICE_ACCOUNT: Final = "lifeline"
HEALTHCHECK_ACCOUNT: Final = "healthcheck"
SIMULATOR_ACCOUNT: Final = "simulator"
INTERNAL_ROOT: Final = INTERNAL_PREFIX.rsplit("/", 1)[0]  # lifeline/internal
BROKER_UPTIME: Final = "$SYS/broker/uptime"


class Role(enum.StrEnum):
    UTILITY = "utility"
    SERVICE = "service"
    DEMO = "demo"  # never on a production broker


class Account(msgspec.Struct, frozen=True):
    """One broker account as remembered in the state file (hashes only)."""

    name: str
    role: Role
    mosquitto_hash: str
    amqtt_hash: str
    created_at_ms: int
    rotated_at_ms: int | None = None


class AccountsState(msgspec.Struct, frozen=True):
    """Every account ``lifeline accounts`` has issued, by name."""

    version: int = 1
    accounts: dict[str, Account] = {}


class Credential(msgspec.Struct, frozen=True):
    """A password just issued: shown once, never stored."""

    name: str
    role: Role
    password: str


@dataclass(frozen=True, slots=True)
class Reconciled:
    state: AccountsState
    issued: list[Credential]


@dataclass(frozen=True, slots=True)
class Grants:
    """MQTT topics (or filters) each account may publish to and subscribe to."""

    publish: dict[str, list[str]]
    subscribe: dict[str, list[str]]


BrokerHashes = Callable[[str], tuple[str, str]]
"""A password's (Mosquitto ``$7$``, amqtt Argon2id) hashes: ``lifeline.passwords``."""


def new_password() -> str:
    """A random password: 32 URL-safe characters (192 bits)."""
    return secrets.token_urlsafe(24)


def wanted_accounts(
    registry: Registry, *, utilities: bool = True, demo: bool = False
) -> dict[str, Role]:
    """The accounts that should exist: services, the registry's utilities, the demo one."""
    wanted = {SERVICE_ACCOUNT: Role.SERVICE, HEALTHCHECK_ACCOUNT: Role.SERVICE}
    if demo:
        wanted[SIMULATOR_ACCOUNT] = Role.DEMO
    if utilities:
        for utility_id in sorted(registry.utilities):
            if utility_id in wanted:
                raise ConfigError(f"utility id {utility_id!r} collides with a service account")
            wanted[utility_id] = Role.UTILITY
    return wanted


def reconcile(
    state: AccountsState,
    wanted: Mapping[str, Role],
    *,
    now_ms: int,
    hashes: BrokerHashes,
    rotate: Collection[str] = (),
    password: Callable[[], str] = new_password,
) -> Reconciled:
    """Add the ``wanted`` accounts missing from ``state`` and rotate those in ``rotate``.

    Existing accounts keep their password (and stay even when no longer wanted, so
    removing a utility from the registry does not lock out a live client silently; its
    ACL then only lets it read its rejects).
    """
    unknown = sorted(set(rotate) - set(state.accounts) - set(wanted))
    if unknown:
        raise ConfigError(f"cannot rotate unknown account(s): {', '.join(unknown)}")
    accounts = dict(state.accounts)
    issued: list[Credential] = []
    for name, role in wanted.items():
        if name in accounts:
            continue
        if not is_valid_id(name):
            raise ConfigError(f"account name {name!r} is not a valid identifier")
        secret = password()
        accounts[name] = Account(name, role, *hashes(secret), now_ms)
        issued.append(Credential(name, role, secret))
    for name in sorted(set(rotate)):
        if any(c.name == name for c in issued):
            continue
        old = accounts.get(name)
        role = old.role if old is not None else wanted[name]
        created = old.created_at_ms if old is not None else now_ms
        secret = password()
        accounts[name] = Account(name, role, *hashes(secret), created, now_ms)
        issued.append(Credential(name, role, secret))
    return Reconciled(AccountsState(accounts=accounts), issued)


def grants(registry: Registry, accounts: Iterable[Account], prefix: str = DEFAULT_PREFIX) -> Grants:
    """Topics each of ``accounts`` may publish to and subscribe to (see module doc)."""
    owned = _owned_topics(registry, prefix)
    internal = f"{INTERNAL_ROOT}/#"
    publish: dict[str, list[str]] = {}
    subscribe: dict[str, list[str]] = {}
    for account in sorted(accounts, key=_order):
        name = account.name
        if name == SERVICE_ACCOUNT:
            publish[name] = [f"{prefix}/alerts/#", f"{prefix}/rejects/#", internal]
            subscribe[name] = [f"{prefix}/#", f"$share/+/{prefix}/#", internal]
        elif name == HEALTHCHECK_ACCOUNT:
            publish[name] = []
            subscribe[name] = [BROKER_UPTIME]
        elif name == SIMULATOR_ACCOUNT:
            publish[name] = inbound_filters(prefix)
            subscribe[name] = []
        else:
            publish[name] = owned.get(name, [])
            subscribe[name] = [rejects_topic(name, prefix)]
    return Grants(publish, subscribe)


def _order(account: Account) -> tuple[int, str]:
    return (0 if account.role is Role.SERVICE else 1 if account.role is Role.DEMO else 2), (
        account.name
    )


def _owned_topics(registry: Registry, prefix: str) -> dict[str, list[str]]:
    topics: dict[str, list[str]] = {}
    for channel in sorted(registry.channels.values(), key=lambda c: c.id):
        topics.setdefault(channel.owner, []).extend(
            [gas_reading_topic(channel.id, prefix), gas_event_topic(channel.id, prefix)]
        )
    for station in sorted(registry.stations.values(), key=lambda s: s.id):
        owner = registry.enterprises[station.enterprise_id].owner
        topics.setdefault(owner, []).append(
            station_topic(station.enterprise_id, station.id, prefix)
        )
    for meter in sorted(registry.meters.values(), key=lambda m: m.id):
        topics.setdefault(meter.owner, []).append(meter_reading_topic(meter.id, prefix))
    return topics


# --------------------------------------------------------------------------- renderers

_HEADER: Final = "# Generated by `lifeline accounts`; do not edit (re-run it instead).\n"


def mosquitto_passwd(state: AccountsState) -> str:
    """A Mosquitto 2.x password file (``password_file``)."""
    lines = [f"{a.name}:{a.mosquitto_hash}" for a in sorted(state.accounts.values(), key=_order)]
    return "\n".join(lines) + "\n"


def amqtt_passwd(state: AccountsState) -> str:
    """An amqtt ``FileAuthPlugin`` password file."""
    lines = [f"{a.name}:{a.amqtt_hash}" for a in sorted(state.accounts.values(), key=_order)]
    return _HEADER + "\n".join(lines) + "\n"


def mosquitto_acl(access: Grants) -> str:
    """A Mosquitto ``acl_file``: one ``user`` block per account; everything else denied."""
    out = [_HEADER, "# Nothing is granted to anonymous clients (allow_anonymous false).\n"]
    for name, writes in access.publish.items():
        reads = access.subscribe.get(name, [])
        out.append(f"\nuser {name}\n")
        out.extend(f"topic readwrite {t}\n" for t in reads if t in writes)
        out.extend(f"topic read {t}\n" for t in reads if t not in writes and "$share" not in t)
        out.extend(f"topic write {t}\n" for t in writes if t not in reads)
    return "".join(out)


def amqtt_acl(access: Grants) -> dict[str, dict[str, list[str]]]:
    """``TopicAccessControlListPlugin`` config of amqtt 0.12.

    Its ``Config`` dataclass has ``publish_acl`` and ``acl``; the plugin uses ``acl`` as
    the subscribe ACL (``subscribe-acl`` is not a field of 0.12's dataclass config).
    """
    return {"publish_acl": dict(access.publish), "acl": dict(access.subscribe)}
