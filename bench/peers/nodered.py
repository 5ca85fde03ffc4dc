"""Node-RED for the peer bench: install from npm, run headless, stop.

:func:`install` runs ``npm install node-red@4 node-red-contrib-influxdb`` into a
directory of the bench's work dir (skipped when that directory already holds both, so
``--node-red-dir`` can reuse an install); nothing of it is committed. :func:`run_node_red`
writes ``flows.json`` and ``settings.js`` (:mod:`bench.peers.nodered_flow`) into a run
directory and starts ``node .../node-red/red.js --settings settings.js``; the install
directory is Node-RED's user directory, which is where it finds the InfluxDB nodes.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from bench.peers.nodered_flow import flow, settings_js
from bench.services import free_port

__all__ = [
    "NODE_RED_PACKAGES",
    "NodeRedMissingError",
    "install",
    "installed",
    "run_node_red",
    "versions",
]

NODE_RED_PACKAGES: Final = ("node-red@4", "node-red-contrib-influxdb")
_MARKERS: Final = ("node-red/red.js", "node-red-contrib-influxdb/influxdb.js")


class NodeRedMissingError(RuntimeError):
    """node/npm is not installed, or the npm install failed."""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise NodeRedMissingError(f"{name} is not installed (Node.js 20 or newer is needed)")
    return found


def installed(directory: Path) -> bool:
    return all((directory / "node_modules" / marker).is_file() for marker in _MARKERS)


def install(directory: Path, timeout_s: float = 600.0) -> str:
    """Install Node-RED and the InfluxDB nodes into ``directory``; their versions."""
    if not installed(directory):
        directory.mkdir(parents=True, exist_ok=True)
        command = [_tool("npm"), "install", "--no-audit", "--no-fund", "--loglevel=error"]
        done = subprocess.run(
            [*command, "--prefix", str(directory), *NODE_RED_PACKAGES],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode != 0 or not installed(directory):
            raise NodeRedMissingError(f"npm install failed:\n{done.stderr[-2000:]}")
    return versions(directory)


def versions(directory: Path) -> str:
    found = []
    for package in ("node-red", "node-red-contrib-influxdb"):
        meta = json.loads((directory / "node_modules" / package / "package.json").read_text())
        found.append(f"{package} {meta['version']}")
    return ", ".join(found)


@contextlib.contextmanager
def run_node_red(
    install_dir: Path,
    run_dir: Path,
    mqtt: tuple[str, int],
    influx: tuple[str, int],
    database: str,
) -> Iterator[subprocess.Popen[bytes]]:
    """Node-RED running the peer flow against ``mqtt`` and ``influx`` (host, port)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    flows = run_dir / "flows.json"
    flows.write_text(flow(*mqtt, *influx, database))
    settings = run_dir / "settings.js"
    settings.write_text(settings_js(install_dir, flows, free_port()))
    red = install_dir / "node_modules" / "node-red" / "red.js"
    with (run_dir / "node-red.log").open("ab") as log:
        process = subprocess.Popen(
            [_tool("node"), str(red), "--settings", str(settings)],
            cwd=run_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
