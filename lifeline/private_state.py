"""Lifeline's state on disk is private to the service account.

``lifeline.db`` holds password and token hashes, the audit log and dead letters (utility
payloads); ``telemetry.db``, the spool, rule-state snapshots, ground truth and the broker
account files are no one else's business either. Every process that writes state calls
:func:`keep_state_private` once at start: a umask of 0o077 makes every file it creates
0600 (SQLite's ``-wal``/``-shm`` included) and every folder 0700, and a data folder made
by an older version (0755, files 0644) is tightened.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Final

__all__ = ["PRIVATE_DIR_MODE", "PRIVATE_FILE_MODE", "PRIVATE_UMASK", "keep_state_private"]

PRIVATE_UMASK: Final = 0o077
PRIVATE_DIR_MODE: Final = 0o700
PRIVATE_FILE_MODE: Final = 0o600


def keep_state_private(data_dir: Path | None = None) -> None:
    """Set this process's umask to 0o077; make ``data_dir`` (if it exists) 0700 and the
    files and folders in it owner-only."""
    os.umask(PRIVATE_UMASK)
    if data_dir is None or not data_dir.is_dir():
        return
    _restrict(data_dir, PRIVATE_DIR_MODE)
    for entry in data_dir.iterdir():
        with contextlib.suppress(OSError):  # e.g. a file of another user: leave it alone
            mode = entry.lstat().st_mode
            if stat.S_ISREG(mode):
                _restrict(entry, PRIVATE_FILE_MODE)
            elif stat.S_ISDIR(mode):
                _restrict(entry, PRIVATE_DIR_MODE)


def _restrict(path: Path, owner_bits: int) -> None:
    """Drop group and other permission bits (owner bits as they are, at most ``owner_bits``)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(mode & owner_bits)
