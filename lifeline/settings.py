"""One settings object for every Lifeline process.

Values come from (highest first) command-line flags, ``LIFELINE_*`` environment
variables, an optional env file named by ``LIFELINE_ENV_FILE`` (see
``deploy/lifeline.env.example``), then the defaults below.

Secrets never need the command line (``ps`` shows it to every local user): the MQTT
service password comes from ``LIFELINE_MQTT_PASSWORD`` or from the file named by
``LIFELINE_MQTT_PASSWORD_FILE`` (a systemd credential, a Docker secret), read once here.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lifeline.core.topics import DEFAULT_PREFIX

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIFELINE_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="SQLite files and spool live here")
    mqtt_url: str | None = Field(
        default=None,
        description="external broker, mqtt://[user:pass@]host:port; unset = embedded amqtt",
    )
    mqtt_host: str = Field(default="127.0.0.1", description="embedded broker bind address")
    mqtt_port: int = Field(default=1883, description="embedded broker port")
    mqtt_username: str | None = Field(default=None, description="service account user name")
    mqtt_password: SecretStr | None = Field(default=None, description="service account password")
    mqtt_password_file: Path | None = Field(
        default=None,
        description="file holding the service account password (used when mqtt_password is "
        "unset; trailing newline ignored), e.g. a systemd credential or a Docker secret",
    )
    mqtt_v5: bool = Field(
        default=False,
        description="ingest subscribes with MQTT 5 (needed for mqtt_publisher_property)",
    )
    mqtt_publisher_property: str | None = Field(
        default=None,
        description="MQTT 5 user property that a trusted broker (EMQX) stamps with the publishing "
        "account, e.g. lifeline-publisher; enables the ingester's own not_owner check",
    )
    mqtt_client_id: str = Field(default="lifeline-ingest", description="persistent session id")
    topic_prefix: str = DEFAULT_PREFIX
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    metrics_port: int = Field(
        default=9100, description="/healthz and /metrics of the ingest and rules workers"
    )
    store: str = Field(
        default="sqlite://",
        description="telemetry store: sqlite:// (data_dir/telemetry.db), sqlite:///PATH, "
        "or influx://HOST:PORT/DB (credentials below)",
    )
    influx_username: str | None = Field(default=None, description="InfluxDB 1.x user")
    influx_password: SecretStr | None = Field(default=None, description="InfluxDB 1.x password")
    influx_token: SecretStr | None = Field(
        default=None, description="InfluxDB 2.x/3.x API token (sent as 'Token ...')"
    )
    influx_tls: bool = Field(default=False, description="use https:// for InfluxDB")
    spool_max_bytes: int = Field(
        default=1 << 30,
        ge=1 << 20,
        description="bound of the on-disk spool used while the "
        "telemetry store is down (data_dir/spool)",
    )
    rules_file: Path | None = Field(default=None, description="unset = the shipped default rules")
    notify_file: Path | None = Field(
        default=None,
        description="notifications: receivers, routes, escalation, rosters (YAML; "
        "deploy/notify.example.yaml); unset = alerts leave only by MQTT and the live stream",
    )
    demo_meters: int = Field(default=10_000, ge=0, le=2_000_000)
    registry_seed: int = 20230701
    simulate: bool = False
    dev_mode: bool = Field(
        default=False,
        description="development mode: the embedded broker accepts anonymous clients, no ACL; "
        "the API creates the documented demo accounts (docs/security.md)",
    )
    bootstrap_admin_token: SecretStr | None = Field(
        default=None,
        description="API bearer token of the 'bootstrap-admin' account, registered (as a "
        "SHA-256 hash) at every start; at least 32 characters outside development mode",
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="lifetime of a login's bearer token"
    )
    login_failures_per_minute: int = Field(
        default=5, ge=1, description="failed logins per client IP and per user name before 429"
    )
    speed: float = Field(default=1.0, gt=0, description="simulated seconds per wall second")
    store_batch_size: int = Field(default=1000, ge=1)
    store_flush_ms: int = Field(default=50, ge=1)
    partitions: int = Field(
        default=16, ge=1, le=4096, description="internal record partitions (scaled-out rules)"
    )
    rules_partitions: str = Field(
        default="all", description="partitions this rules worker owns: all, 0-7, 0,2,4-6"
    )
    ingest_shared_group: str = Field(
        default="lifeline-ingest", description="MQTT shared-subscription group of ingest workers"
    )
    instance: str = Field(
        default_factory=socket.gethostname,
        description="this process's name: part of MQTT client ids and the spool directory",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"

    @model_validator(mode="after")
    def _password_from_file(self) -> Settings:
        if self.mqtt_password is None and self.mqtt_password_file is not None:
            try:
                secret = self.mqtt_password_file.read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as err:
                raise ValueError(f"LIFELINE_MQTT_PASSWORD_FILE unreadable: {err}") from err
            self.mqtt_password = SecretStr(secret)
        return self

    @property
    def db_path(self) -> Path:
        return self.data_dir / "lifeline.db"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the env file (if any), the environment and ``overrides``."""
    env_file = os.environ.get("LIFELINE_ENV_FILE")
    clean: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    if env_file:
        clean["_env_file"] = env_file
    return Settings(**clean)
