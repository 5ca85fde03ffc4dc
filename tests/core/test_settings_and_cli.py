from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from lifeline.cli.main import DEMO_BACKFILL_S, _simulation_flags, build_parser
from lifeline.core.errors import ConfigError
from lifeline.mqtt import parse_mqtt_url
from lifeline.settings import load_settings


def test_env_file_then_environment_then_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "lifeline.env"
    env_file.write_text("LIFELINE_API_PORT=9000\nLIFELINE_MQTT_PORT=1999\nLIFELINE_SPEED=5\n")
    monkeypatch.setenv("LIFELINE_ENV_FILE", str(env_file))
    monkeypatch.setenv("LIFELINE_MQTT_PORT", "2883")
    settings = load_settings(speed=7.0, api_host=None)
    assert settings.api_port == 9000  # from the file
    assert settings.mqtt_port == 2883  # the environment beats the file
    assert settings.speed == 7.0  # a flag beats both
    assert settings.api_host == "127.0.0.1"  # None means "not given"


def test_mqtt_url_parts_and_errors() -> None:
    address = parse_mqtt_url("mqtt://svc:p%40ss@broker.local:1884")
    assert (address.host, address.port, address.username, address.password) == (
        "broker.local",
        1884,
        "svc",
        "p@ss",
    )
    assert parse_mqtt_url("mqtt://localhost").port == 1883
    with pytest.raises(ConfigError):
        parse_mqtt_url("http://localhost:1883")


def test_up_simulate_without_flags_runs_the_demo_replay() -> None:
    args = build_parser().parse_args(["up", "--simulate"])
    flags = _simulation_flags(args)
    assert "--random-scenarios" in flags
    assert f"--backfill={DEMO_BACKFILL_S}" in flags
    assert any(f.startswith("--speed=") for f in flags)


def test_up_simulate_with_a_scenario_injects_only_that() -> None:
    args = build_parser().parse_args(
        ["up", "--simulate", "--scenario", "gas_leak_ramp:GAS-0042@+1m", "--speed", "2"]
    )
    flags = _simulation_flags(args)
    assert flags == ["--scenario=gas_leak_ramp:GAS-0042@+1m"]


def test_store_urls_name_sqlite_files_and_influx_databases(tmp_path: Path) -> None:
    from lifeline.roles.stores import parse_store_url

    assert parse_store_url("sqlite://", tmp_path).path == tmp_path / "telemetry.db"
    assert parse_store_url("sqlite:///var/x.db", tmp_path).path == Path("/var/x.db")
    influx = parse_store_url("influx://db.local:8087/lifeline", tmp_path)
    assert (influx.base_url, influx.database) == ("http://db.local:8087", "lifeline")
    assert parse_store_url("influx://h/db", tmp_path, tls=True).base_url == "https://h:8086"
    for bad in ("influx://h:8086/", "influx://h/a/b", "postgres://h/db"):
        with pytest.raises(ConfigError):
            parse_store_url(bad, tmp_path)


def test_lifeline_detect_is_dispatched_to_the_detector_command(tmp_path: Path) -> None:
    from lifeline.cli import main

    data = tmp_path / "in" / "site"
    data.mkdir(parents=True)
    rows = "\n".join(f"2026-01-01 00:{m:02d}:00,{m % 3}" for m in range(30))
    (data / "s.csv").write_text("timestamp,value\n" + rows + "\n")
    assert main(["detect", str(tmp_path / "in"), str(tmp_path / "out"), "--quiet"]) == 0
    header, *lines = (tmp_path / "out" / "site" / "s.csv").read_text().splitlines()
    assert header == "timestamp,value,anomaly_score,alert"
    assert len(lines) == 30


def test_mqtt_password_from_a_file_and_a_warning_for_one_in_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    # the module, not the function ``lifeline.cli.main`` that its package exports
    cli = importlib.import_module("lifeline.cli.main")

    secret = tmp_path / "mqtt-password"
    secret.write_text("s3cret-from-file\n")
    monkeypatch.setenv("LIFELINE_MQTT_PASSWORD_FILE", str(secret))
    settings = load_settings()
    assert settings.mqtt_password is not None
    assert settings.mqtt_password.get_secret_value() == "s3cret-from-file"
    monkeypatch.setenv("LIFELINE_MQTT_PASSWORD", "from-env")  # the variable wins
    assert load_settings().mqtt_password.get_secret_value() == "from-env"  # type: ignore[union-attr]

    args = build_parser().parse_args(
        ["ingest", "--data-dir", str(tmp_path), "--mqtt-url", "mqtt://svc:pw@broker:1883"]
    )
    # this test process keeps its umask and its logging (caplog)
    monkeypatch.setattr(cli, "keep_state_private", lambda data_dir=None: None)
    monkeypatch.setattr(cli, "configure_logging", lambda *args: None)
    with caplog.at_level(logging.WARNING, logger="lifeline.cli.main"):
        cli._configured(args)
    assert [r.getMessage() for r in caplog.records] == ["mqtt_password_in_url"]
