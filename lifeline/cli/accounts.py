"""``lifeline accounts``: issue MQTT accounts and write the brokers' password and ACL files.

    lifeline accounts [--data-dir DIR] [--out DIR] [--demo] [--rotate ACCOUNT ...]

Reads the registry from ``DATA_DIR/lifeline.db`` (seeding it at first use, like every
role), adds an account for every utility that has none yet plus the service accounts
(``lifeline``, ``healthcheck``; ``simulator`` with ``--demo``), and writes the files of
``lifeline.account_files`` to ``--out`` (default ``DATA_DIR/broker``).

Each new password is printed once on stdout (``account<TAB>role<TAB>password``);
re-running adds accounts for new utilities and leaves the others alone; ``--rotate``
issues a new password for an account. ACLs are rewritten from the registry every run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from lifeline.account_files import AccountFiles, accounts_dir, ensure_accounts
from lifeline.core.errors import ConfigError
from lifeline.core.registry import Registry
from lifeline.roles.stores import load_or_seed_registry
from lifeline.settings import Settings, load_settings
from store import SqliteRegistryStore

__all__ = ["add_arguments", "main", "run"]


async def _load_registry(settings: Settings) -> Registry:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteRegistryStore(settings.db_path)
    try:
        return await load_or_seed_registry(store, settings)
    finally:
        await store.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``lifeline accounts`` (shared with lifeline/cli/main.py)."""
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
