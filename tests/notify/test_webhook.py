"""``webhook``: Alertmanager v4 JSON to a loopback receiver that checks the shape."""

from __future__ import annotations

import pytest

from alerts.notify.base import SendError
from tests.notify.conftest import receiver_from
from tests.notify.factories import STARTS_AT, make_facts, make_message
from tests.notify.vendors import ZERO_TIME, AlertmanagerWebhook
from tests.services import free_port


def webhook_yaml(url: str, **extra: str) -> str:
    lines = ["name: duty", "type: webhook", f"url: {url}", *(f"{k}: {v}" for k, v in extra.items())]
    return "\n".join(lines)


def duty_yaml(server: AlertmanagerWebhook, **extra: str) -> str:
    return webhook_yaml(
        f"{server.base_url}/hook",
        bearer_token="{env: TEST_HOOK_TOKEN}",
        headers="{X-Utility: bjgas}",
        **extra,
    )


@pytest.fixture(autouse=True)
def hook_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_HOOK_TOKEN", "hook-token-1234")


async def test_firing_alert_is_an_alertmanager_v4_post_with_lifeline_fields(
    alertmanager: AlertmanagerWebhook,
) -> None:
    message = make_message()
    async with receiver_from(duty_yaml(alertmanager)) as receiver:
        result = await receiver.send(message)
    assert result == "200"
    assert alertmanager.refused == []
    [received] = alertmanager.accepted
    assert received.headers["idempotency-key"] == message.key
    assert received.headers["x-utility"] == "bjgas"
    [body] = alertmanager.payloads()
    assert (body.version, body.status, body.receiver) == ("4", "firing", "duty")
    assert body.groupKey == message.group_key
    assert body.externalURL == "http://lifeline.test:8000"
    [alert] = body.alerts
    assert alert.labels == {
        "alertname": "gas_leak",
        "source_id": "GAS-0042",
        "severity": "critical",
        "district": "朝阳区",
        "owner": "北京燃气",
    }
    assert alert.annotations["summary"] == "燃气浓度 60%LEL 超过报警值 25%LEL"
    assert alert.annotations["alert_id"] == "42"
    assert alert.annotations["state"] == "active_unacked"
    assert alert.annotations["link"] == alert.generatorURL == "http://lifeline.test:8000/alerts/42"
    assert alert.annotations["value"] == "60%LEL"
    assert (alert.startsAt, alert.endsAt) == (STARTS_AT, ZERO_TIME)
    assert alert.fingerprint == "5f1c2a9e0b7d4c31"
    assert body.lifeline.key == message.key
    assert body.lifeline.kind == "firing"
    assert [(a.id, a.state) for a in body.lifeline.alerts] == [(42, "active_unacked")]


async def test_resolved_alert_carries_its_end_and_resolved_status(
    alertmanager: AlertmanagerWebhook,
) -> None:
    ended = make_facts(state="closed", ends_at="2026-12-07T19:20:00Z")
    message = make_message(ended, kind="resolved", key="alert-42-resolved")
    async with receiver_from(duty_yaml(alertmanager)) as receiver:
        await receiver.send(message)
    [body] = alertmanager.payloads()
    assert body.status == "resolved"
    assert body.alerts[0].status == "resolved"
    assert body.alerts[0].endsAt == "2026-12-07T19:20:00Z"


async def test_digest_common_labels_are_only_those_every_alert_shares(
    alertmanager: AlertmanagerWebhook,
) -> None:
    first = make_facts()
    second = make_facts(id=43, source_id="GAS-0043", fingerprint="77aa", district="海淀区")
    message = make_message(first, second, kind="digest", escalation_step=2)
    async with receiver_from(duty_yaml(alertmanager)) as receiver:
        await receiver.send(message)
    [body] = alertmanager.payloads()
    assert body.commonLabels == {
        "alertname": "gas_leak",
        "severity": "critical",
        "owner": "北京燃气",
    }
    assert body.groupLabels == {"alertname": "gas_leak"}
    assert "summary" in body.commonAnnotations
    assert "alert_id" not in body.commonAnnotations
    assert [a.labels["source_id"] for a in body.alerts] == ["GAS-0042", "GAS-0043"]
    assert body.lifeline.escalation_step == 2
    assert [a.id for a in body.lifeline.alerts] == [42, 43]


async def test_wrong_bearer_token_is_permanent(
    alertmanager: AlertmanagerWebhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_HOOK_TOKEN", "stale-token")
    async with receiver_from(duty_yaml(alertmanager)) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
    assert not error.value.retryable
    assert error.value.detail.startswith("HTTP 401")
    assert alertmanager.accepted == []


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(503, True), (500, True), (429, True), (408, True), (400, False), (404, False)],
)
async def test_status_classification(
    alertmanager: AlertmanagerWebhook, status: int, retryable: bool
) -> None:
    alertmanager.fail_next(status=status, body="nope")
    async with receiver_from(duty_yaml(alertmanager)) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
        assert error.value.retryable is retryable
        assert error.value.detail == f"HTTP {status}: nope"
        assert await receiver.send(make_message()) == "200"  # the next one goes through
    assert len(alertmanager.accepted) == 1


async def test_a_redirect_is_a_configuration_fault(alertmanager: AlertmanagerWebhook) -> None:
    alertmanager.fail_next(status=301, body="moved")
    async with receiver_from(duty_yaml(alertmanager)) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
    assert not error.value.retryable
    assert "fix the URL" in error.value.detail


async def test_dead_port_and_slow_server_are_retryable(alertmanager: AlertmanagerWebhook) -> None:
    dead = webhook_yaml(f"http://127.0.0.1:{free_port()}/hook")
    async with receiver_from(dead) as receiver:
        with pytest.raises(SendError) as refused:
            await receiver.send(make_message())
    assert refused.value.retryable
    assert "connection failed" in refused.value.detail

    alertmanager.delay_s = 1.0
    async with receiver_from(duty_yaml(alertmanager, timeout_s="0.2")) as receiver:
        with pytest.raises(SendError) as slow:
            await receiver.send(make_message())
    assert slow.value.retryable
    assert slow.value.detail.startswith("timeout")


async def test_describe_masks_the_token_and_secret_query_values() -> None:
    yaml = webhook_yaml(
        "https://hooks.example.cn/alert?token=abcdef123456&team=gas",
        bearer_token="literal-bearer-9876",
    )
    async with receiver_from(yaml) as receiver:
        described = receiver.describe()
    assert described["url"] == "https://hooks.example.cn/alert?token=***&team=gas"
    assert described["bearer_token"] == "***76"
    assert "abcdef123456" not in repr(described)
    assert "literal-bearer-9876" not in repr(described)
