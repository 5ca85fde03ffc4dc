"""docker-compose.yml as the real Compose v2 binary resolves it (no Docker daemon needed)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from lifeline.cli.main import build_parser
from lifeline.core.partitions import parse_partitions
from tests.deploy.compose import REPO, SECRETS, run_compose
from tests.deploy.files import DEPLOY, mosquitto_directives

LIFELINE_SERVICES = {"ingest-1", "ingest-2", "rules-a", "rules-b", "api", "simulator"}
REQUIRED = [k for k in SECRETS if k != "LIFELINE_SIMULATOR_MQTT_PASSWORD"]
SECRET_KEY = re.compile(r"PASSWORD|TOKEN|SECRET|PASSWD", re.IGNORECASE)


def _services(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = model["services"]
    return services


def _lifeline(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in _services(model).items() if s.get("build") is not None}


def _by_role(model: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in _lifeline(model).items() if s["command"][0] == role}


def _env(service: dict[str, Any]) -> dict[str, str]:
    env: dict[str, str] = service.get("environment") or {}
    return env


def _healthy_deps(service: dict[str, Any]) -> set[str]:
    deps: dict[str, dict[str, Any]] = service.get("depends_on") or {}
    return {name for name, dep in deps.items() if dep["condition"] == "service_healthy"}


def test_compose_file_is_valid_with_its_secrets_set(compose_bin: Path, tmp_path: Path) -> None:
    out = run_compose(compose_bin, ["config", "--quiet"], SECRETS, tmp_path)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("missing", REQUIRED)
def test_compose_refuses_to_render_without_each_required_secret(
    compose_bin: Path, tmp_path: Path, missing: str
) -> None:
    env = {k: v for k, v in SECRETS.items() if k != missing}
    out = run_compose(compose_bin, ["config", "--quiet"], env, tmp_path)
    assert out.returncode != 0
    assert missing in out.stderr


def test_every_lifeline_service_runs_the_one_image_built_here(model: dict[str, Any]) -> None:
    lifeline = _lifeline(model)
    assert set(lifeline) == LIFELINE_SERVICES
    assert {s["image"] for s in lifeline.values()} == {"lifeline:latest"}
    builds = [s["build"] for s in lifeline.values()]
    assert all(b == {"context": str(REPO), "dockerfile": "Dockerfile"} for b in builds)
    # nothing else claims the lifeline image
    others = [s for n, s in _services(model).items() if n not in lifeline]
    assert not [s for s in others if str(s.get("image", "")).startswith("lifeline")]


def test_dockerfile_is_slim_non_root_with_the_lifeline_entrypoint() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert re.findall(r"^FROM (\S+)", text, re.M)[-1] == "python:3.11-slim"
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    assert 'ENTRYPOINT ["lifeline"]' in text
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git", "deploy"} <= set(ignored)


def test_every_lifeline_command_parses_with_the_real_cli(model: dict[str, Any]) -> None:
    parser = build_parser()
    roles = set()
    for name, service in _lifeline(model).items():
        args = parser.parse_args(service["command"])
        roles.add(args.command)
        assert name != "simulator" or args.command == "simulate"
    assert roles == {"ingest", "rules", "api", "simulate"}


def test_healthchecks_probe_the_real_service(model: dict[str, Any]) -> None:
    services = _services(model)
    for name in ("mosquitto", "influxdb", "api"):
        check = services[name].get("healthcheck")
        assert check, name
        assert not check.get("disable"), name
        assert "exit 0" not in " ".join(check["test"]), f"{name} healthcheck can never fail"
    mosquitto = " ".join(services["mosquitto"]["healthcheck"]["test"])
    assert "mosquitto_sub" in mosquitto
    assert "-u healthcheck" in mosquitto
    assert "$$MQTT_HEALTHCHECK_PASSWORD" in mosquitto  # from the container env, not literal
    assert "/ping" in " ".join(services["influxdb"]["healthcheck"]["test"])
    api = services["api"]
    port = _env(api)["LIFELINE_API_PORT"]
    # liveness, not readiness: /readyz is 503 while InfluxDB is down and the spool works
    assert f"127.0.0.1:{port}/livez" in " ".join(api["healthcheck"]["test"])
    for name in ("ingest-1", "ingest-2", "rules-a", "rules-b"):
        assert "127.0.0.1:9100/livez" in " ".join(services[name]["healthcheck"]["test"]), name


def test_workers_wait_for_healthy_broker_and_store(model: dict[str, Any]) -> None:
    services = _services(model)
    for name, service in _lifeline(model).items():
        needs = {"mosquitto"} | ({"influxdb"} if "LIFELINE_STORE" in _env(service) else set())
        if name != "simulator":
            assert needs <= _healthy_deps(service), name
        for dep in _healthy_deps(service):
            assert services[dep].get("healthcheck"), f"{name} waits on {dep} which has none"


def test_long_running_services_restart(model: dict[str, Any]) -> None:
    for name, service in _services(model).items():
        expected = {"on-failure"} if name == "simulator" else {"unless-stopped", "always"}
        assert service.get("restart") in expected, name


def test_simulator_is_demo_only(model: dict[str, Any]) -> None:
    profiles = {n: s.get("profiles") for n, s in _services(model).items() if s.get("profiles")}
    assert profiles == {"simulator": ["demo"]}
    assert _env(_services(model)["simulator"])["LIFELINE_MQTT_USERNAME"] == "simulator"


def test_no_literal_secret_in_the_compose_file(model: dict[str, Any]) -> None:
    allowed = set(SECRETS.values()) | {""}
    for name, service in _services(model).items():
        for key, value in _env(service).items():
            if SECRET_KEY.search(key):
                assert value in allowed, f"{name}.{key} is a literal, not ${{...}}"
    # the file itself: every secret-looking key takes its value from interpolation
    for line in (REPO / "docker-compose.yml").read_text().splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and SECRET_KEY.search(key) and not key.startswith("#"):
            assert value.strip().startswith("${"), line


def test_each_secret_reaches_only_the_services_that_need_it(model: dict[str, Any]) -> None:
    def holders(secret: str) -> set[str]:
        value = SECRETS[secret]
        return {n for n, s in _services(model).items() if value in _env(s).values()}

    workers = {"ingest-1", "ingest-2", "rules-a", "rules-b", "api"}
    assert holders("LIFELINE_MQTT_PASSWORD") == workers
    assert holders("LIFELINE_INFLUX_PASSWORD") == {"ingest-1", "ingest-2", "api", "influxdb"}
    assert holders("LIFELINE_INFLUX_ADMIN_PASSWORD") == {"influxdb"}
    assert holders("LIFELINE_MQTT_HEALTHCHECK_PASSWORD") == {"mosquitto"}
    assert holders("LIFELINE_SIMULATOR_MQTT_PASSWORD") == {"simulator"}


def _mounts(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["target"]: v for v in service.get("volumes") or []}


def test_broker_mounts_everything_its_config_names(model: dict[str, Any]) -> None:
    conf = DEPLOY / "mosquitto" / "mosquitto.conf"
    directives = mosquitto_directives(conf)
    options = dict(directives)
    assert options["allow_anonymous"] == "false"
    assert options["persistence"] == "true"
    mosquitto = _services(model)["mosquitto"]
    mounts = _mounts(mosquitto)
    assert mounts["/etc/mosquitto/mosquitto.conf"]["source"] == str(conf)
    assert str(conf.parent / "passwd") == mounts[options["password_file"]]["source"]
    assert str(conf.parent / "acl") == mounts[options["acl_file"]]["source"]
    for path in (options["password_file"], options["acl_file"], "/etc/mosquitto/mosquitto.conf"):
        assert mounts[path]["read_only"] is True
    for key in ("certfile", "keyfile"):
        directory = str(Path(options[key]).parent)
        assert mounts[directory]["read_only"] is True
        assert mounts[directory]["source"] == str(REPO / "deploy" / "secrets" / "tls")
    data = mounts[options["persistence_location"].rstrip("/")]
    assert data["type"] == "volume"
    assert "/etc/mosquitto/mosquitto.conf" in " ".join(mosquitto["entrypoint"])


def test_only_tls_mqtt_and_the_api_are_published(model: dict[str, Any]) -> None:
    published = {
        (name, int(port["target"]))
        for name, service in _services(model).items()
        for port in service.get("ports") or []
    }
    assert published == {("mosquitto", 8883), ("api", 8080)}
    api_port = next(p for p in _services(model)["api"]["ports"])
    assert api_port["host_ip"] == "127.0.0.1"  # no login before issue 6
    listeners = [
        v
        for k, v in mosquitto_directives(DEPLOY / "mosquitto" / "mosquitto.conf")
        if k == "listener"
    ]
    assert listeners == ["8883", "1883"]
    assert model["networks"]["backend"]["internal"] is True
    for name, service in _services(model).items():
        if not service.get("ports"):
            assert set(service["networks"]) == {"backend"}, name


def test_influxdb_runs_with_auth_and_its_mounted_config(model: dict[str, Any]) -> None:
    influx = _services(model)["influxdb"]
    assert influx["image"].startswith("influxdb:1.8")
    config_path = influx["command"][influx["command"].index("-config") + 1]
    mounts = _mounts(influx)
    assert mounts[config_path]["source"] == str(DEPLOY / "influxdb" / "influxdb.conf")
    assert mounts["/var/lib/influxdb"]["type"] == "volume"
    env = _env(influx)
    assert env["INFLUXDB_HTTP_AUTH_ENABLED"] == "true"
    assert env["INFLUXDB_DB"] == "lifeline"
    for service in _lifeline(model).values():
        store = _env(service).get("LIFELINE_STORE")
        if store is not None:
            assert store == f"influx://influxdb:8086/{env['INFLUXDB_DB']}"
            assert _env(service)["LIFELINE_INFLUX_USERNAME"] == env["INFLUXDB_USER"]


def test_at_least_two_ingest_workers_with_their_own_identity(model: dict[str, Any]) -> None:
    ingest = _by_role(model, "ingest")
    replicas = sum((s.get("deploy") or {}).get("replicas", 1) for s in ingest.values())
    assert replicas >= 2
    instances = []
    for name, service in ingest.items():
        # one container per service: a replicated service would get random hostnames and
        # so new MQTT sessions and spool directories at every recreation
        assert (service.get("deploy") or {}).get("replicas", 1) == 1, name
        assert _env(service)["LIFELINE_INSTANCE"] == service["hostname"]
        assert _env(service)["LIFELINE_STORE"].startswith("influx://")
        instances.append(service["hostname"])
    assert len(set(instances)) == len(instances)


def test_every_worker_has_a_distinct_fixed_instance(model: dict[str, Any]) -> None:
    instances = [
        _env(s)["LIFELINE_INSTANCE"] for n, s in _lifeline(model).items() if n != "simulator"
    ]
    assert len(instances) == len(set(instances)) == len(LIFELINE_SERVICES) - 1


def test_rules_workers_own_every_partition_exactly_once(model: dict[str, Any]) -> None:
    counts = {
        _env(s)["LIFELINE_PARTITIONS"] for n, s in _lifeline(model).items() if n != "simulator"
    }
    assert len(counts) == 1  # ingest, rules and api agree on the partition count
    total = int(counts.pop())
    owned: list[int] = []
    parser = build_parser()
    for service in _by_role(model, "rules").values():
        args = parser.parse_args(service["command"])
        owned.extend(parse_partitions(args.partitions, total))
    assert len(_by_role(model, "rules")) >= 2
    assert sorted(owned) == list(range(total))


def test_rules_api_and_ingest_share_the_sqlite_volume(model: dict[str, Any]) -> None:
    for name, service in _lifeline(model).items():
        if name == "simulator":
            continue
        data_dir = _env(service)["LIFELINE_DATA_DIR"]
        assert _mounts(service)[data_dir]["source"] == "lifeline-data", name


def test_documented_commands_match_the_compose_roles() -> None:
    doc = (REPO / "docs" / "deployment.md").read_text()
    for command in (
        "lifeline ingest",
        "lifeline rules --partitions 0-7",
        "lifeline rules --partitions 8-15",
        "lifeline api",
        "lifeline simulate",
        "mosquitto -c deploy/mosquitto/mosquitto.conf",
        "influxd -config deploy/influxdb/influxdb.conf",
    ):
        assert command in doc, command
    # every shell line of the doc that runs lifeline parses with the real CLI
    parser = build_parser()
    for line in doc.splitlines():
        match = re.search(r"\blifeline ((?:ingest|rules|api|simulate)\b.*)$", line.strip())
        if match and not line.strip().startswith(("#", "|")):
            words = shlex.split(match.group(1).split("  #")[0].rstrip("`"))
            parser.parse_args(words)
