"""Readers for the deployment files the tests check (Mosquitto config, systemd units)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEPLOY", "mosquitto_directives", "unit_directives"]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def mosquitto_directives(path: Path) -> list[tuple[str, str]]:
    """``(option, value)`` pairs of a mosquitto.conf or ACL file, in order, comments out."""
    pairs: list[tuple[str, str]] = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            option, _, value = line.partition(" ")
            pairs.append((option, value.strip()))
    return pairs


def unit_directives(path: Path) -> dict[str, list[str]]:
    """``Section.Key`` to its values (systemd allows repeated keys)."""
    found: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        found.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return found
