"""deploy/influxdb/influxdb.conf as the installed influxd (Debian's 1.x) reads it."""

from __future__ import annotations

import re
import subprocess
import tomllib
from typing import Any

import pytest

from tests.deploy.files import DEPLOY
from tests.services import require_binary

pytestmark = pytest.mark.services

CONF = DEPLOY / "influxdb" / "influxdb.conf"


def _seconds(text: str) -> float:
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)(ms|h|m|s)", text))


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def test_every_setting_is_known_to_influxd_and_takes_effect() -> None:
    influxd = require_binary("influxd", "/usr/bin/influxd")
    out = subprocess.run(
        [influxd, "config", "-config", str(CONF)], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    effective = _flatten(tomllib.loads(out.stdout))
    ours = _flatten(tomllib.loads(CONF.read_text()))
    for key, value in ours.items():
        # influxd ignores unknown keys silently: a misspelt one would be a silent no-op
        assert key in effective, f"{key} is not an InfluxDB setting"
        got = effective[key]
        if isinstance(value, str) and re.fullmatch(r"[\d.]+(ms|h|m|s)", value):
            assert _seconds(got) == _seconds(value), key
        else:
            assert got == value, key
    assert effective["http.auth-enabled"] is True
    assert effective["data.index-version"] == "tsi1"
