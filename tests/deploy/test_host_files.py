"""The plain-host path: systemd units and per-role env files mirror docker-compose.yml."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

import pytest

from lifeline.cli.main import build_parser
from lifeline.settings import Settings
from tests.deploy.files import DEPLOY, unit_directives

UNITS = DEPLOY / "systemd"
ENV_EXAMPLES = sorted((DEPLOY / "env").glob("*.env.example"))


def _env_example(path: Path) -> dict[str, str]:
    pairs = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_every_compose_service_has_a_unit(model: dict[str, Any]) -> None:
    unit_for = {
        "mosquitto": "lifeline-mosquitto.service",
        "influxdb": "lifeline-influxdb.service",
        "ingest-1": "lifeline-ingest@.service",
        "ingest-2": "lifeline-ingest@.service",
        "rules-a": "lifeline-rules@.service",
        "rules-b": "lifeline-rules@.service",
        "api": "lifeline-api.service",
        "simulator": "lifeline-simulator.service",
    }
    assert set(model["services"]) == set(unit_for)
    assert {p.name for p in UNITS.glob("*.service")} == set(unit_for.values())


def test_lifeline_units_run_the_same_roles_as_compose(model: dict[str, Any]) -> None:
    parser = build_parser()
    instance = {"lifeline-ingest@.service": "1", "lifeline-rules@.service": "0-7"}
    roles = set()
    for path in UNITS.glob("lifeline-*.service"):
        unit = unit_directives(path)
        argv = shlex.split(unit["Service.ExecStart"][0].replace("%i", instance.get(path.name, "")))
        if not argv[0].endswith("/lifeline"):
            continue
        roles.add(parser.parse_args(argv[1:]).command)
        assert unit["Service.User"] == ["lifeline"], path.name
        env = dict(e.split("=", 1) for e in unit.get("Service.Environment", []))
        env_file = Path(env["LIFELINE_ENV_FILE"])
        role = env_file.name.removesuffix(".env")
        assert (DEPLOY / "env" / f"{role}.env.example").is_file(), path.name
    compose_roles = {s["command"][0] for s in model["services"].values() if s.get("build")}
    assert roles == compose_roles


def test_broker_units_run_the_shipped_configs() -> None:
    mosquitto = unit_directives(UNITS / "lifeline-mosquitto.service")["Service.ExecStart"][0]
    assert mosquitto.endswith("-c /opt/lifeline/deploy/mosquitto/mosquitto.conf")
    influx = unit_directives(UNITS / "lifeline-influxdb.service")["Service.ExecStart"][0]
    assert influx.endswith("-config /opt/lifeline/deploy/influxdb/influxdb.conf")


def test_env_examples_hold_only_real_settings_and_no_secrets() -> None:
    known = {f"LIFELINE_{name.upper()}" for name in Settings.model_fields}
    assert ENV_EXAMPLES
    for path in ENV_EXAMPLES:
        for key, value in _env_example(path).items():
            if path.name != "compose.env.example":
                assert key in known, f"{path.name}: {key} is not a setting"
            if "PASSWORD" in key or "TOKEN" in key:
                assert value == "", f"{path.name}: {key} must be left empty"


def test_role_env_examples_load_as_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("ingest", "rules", "api"):
        for key in list(os.environ):
            if key.startswith("LIFELINE_"):
                monkeypatch.delenv(key)
        path = DEPLOY / "env" / f"{role}.env.example"
        settings = Settings(_env_file=path)
        assert settings.partitions == 16
        assert settings.mqtt_username == "lifeline"
        assert str(settings.data_dir) == "/var/lib/lifeline"
