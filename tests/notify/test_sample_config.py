"""The sample notify file the docs point to loads and builds every receiver."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.notify.center import build_receivers
from alerts.notify.config import load_notify_config
from lifeline.core.errors import ConfigError

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "notify.example.yaml"
SECRETS = (
    "LIFELINE_DUTY_WEBHOOK_TOKEN",
    "LIFELINE_WECOM_GAS_GROUP_URL",
    "LIFELINE_DINGTALK_SUPERVISORS_URL",
    "LIFELINE_DINGTALK_SUPERVISORS_SECRET",
    "LIFELINE_ALIYUN_ACCESS_KEY_ID",
    "LIFELINE_ALIYUN_ACCESS_KEY_SECRET",
    "LIFELINE_SMTP_PASSWORD",
)


def test_the_sample_file_builds_every_receiver(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRETS:
        value = "https://example.invalid/robot?key=k" if name.endswith("_URL") else "s3cret"
        monkeypatch.setenv(name, value)
    config = load_notify_config(SAMPLE)
    receivers = build_receivers(config)
    assert set(receivers) == set(config.receiver_names)
    assert {r.type for r in receivers.values()} == {
        "webhook", "wecom", "dingtalk", "sms", "voice", "email"
    }  # fmt: skip
    assert [config.route_name(i) for i in range(len(config.routes))] == [
        "gas-critical", "gas-other", "heating"
    ]  # fmt: skip
    shown = str([r.describe() for r in receivers.values()])
    assert "s3cret" not in shown  # secrets masked in GET /api/v1/notify/receivers


def test_a_missing_secret_stops_the_start_naming_the_receiver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="duty-webhook"):
        build_receivers(load_notify_config(SAMPLE))
