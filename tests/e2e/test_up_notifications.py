"""Notifications end to end (issue 13): ``lifeline up`` outside development mode, a
utility publishing with its own account, the duty receiver an Alertmanager webhook and
the supervisor a signed DingTalk robot, both the loopback stand-ins of
tests/notify/vendors.py that verify what they receive (the public clouds cannot be
reached from here). Times are generous bounds that only a broken escalation would
cross; the measured latencies are printed and recorded in docs/benchmarks.md."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import Stack, eventually, gas_topic, now_ms
from tests.e2e.utility import (
    UtilityStack,
    issue_accounts,
    owned_channels,
    reading,
    utility_client,
)
from tests.notify.vendors import AlertmanagerWebhook, DingtalkRobot, serving

pytestmark = [pytest.mark.slow, pytest.mark.services]

ESCALATE_S = 12


def _notify_file(path: Path, hook: str, ding_url: str, ding: DingtalkRobot) -> Path:
    path.write_text(
        f"""
receivers:
  - {{name: duty, type: webhook, url: "{hook}/hook"}}
  - name: supervisor
    type: dingtalk
    url: "{ding_url}/robot/send?access_token={ding.access_token}"
    secret: {{env: LIFELINE_TEST_DINGTALK_SECRET}}
routes:
  - name: gas-critical
    match: {{severity: [critical]}}
    notify: [duty]
    repeat: 10m
    escalate: [{{after: {ESCALATE_S}s, notify: [supervisor]}}]
  - name: the-rest
    notify: [duty]
    group_interval: 4s
link_base: "http://lifeline.test"
"""
    )
    return path


@dataclass
class Notified:
    running: UtilityStack
    hook: AlertmanagerWebhook
    ding: DingtalkRobot

    def to_duty(self, source: str, kind: str) -> list[dict[str, Any]]:
        found = []
        for payload in self.hook.payloads():
            if payload.lifeline.kind != kind:
                continue
            if any(a.labels["source_id"] == source for a in payload.alerts):
                found.append({"key": payload.lifeline.key, "payload": payload})
        return found

    def to_supervisor(self, word: str) -> list[dict[str, Any]]:
        return [b for b in self.ding.bodies() if word in b["markdown"]["text"]]


@asynccontextmanager
async def notified_stack(data_dir: Path, *, start: bool = True) -> AsyncIterator[Notified]:
    hook, ding = AlertmanagerWebhook(), DingtalkRobot()
    async with serving(hook) as hook_url, serving(ding) as ding_url:
        passwords = await asyncio.to_thread(issue_accounts, data_dir)
        notify = _notify_file(data_dir.parent / "notify.yaml", hook_url, ding_url, ding)
        stack = Stack(
            data_dir=data_dir,
            env={
                "LIFELINE_DEV_MODE": "0",
                "LIFELINE_NOTIFY_FILE": str(notify),
                "LIFELINE_TEST_DINGTALK_SECRET": ding.secret,
            },
        )
        await asyncio.to_thread(stack.start)  # the stand-ins keep answering meanwhile
        try:
            yield Notified(UtilityStack(stack, passwords), hook, ding)
        finally:
            await asyncio.to_thread(stack.stop)


async def _leak(running: UtilityStack, channel: str, lel: float) -> None:
    owner = running.registry.channels[channel].owner
    async with utility_client(running, owner) as client:
        await client.publish(gas_topic(channel), reading(now_ms(), lel_pct=lel), qos=1)


async def until(check: Callable[[], Any], timeout_s: float) -> Any:
    """``check()`` once it is truthy (polled), or TimeoutError."""

    async def probe() -> Any:
        return check() or None

    return await eventually(probe, timeout_s, interval_s=0.05)


def _channel(running: UtilityStack, index: int = 0) -> str:
    return owned_channels(running.registry, "gas-huarun")[index]


async def test_a_leak_pages_duty_escalates_unacknowledged_and_an_ack_stops_it(
    tmp_path: Path,
) -> None:
    async with notified_stack(tmp_path / "data") as n:
        channel = _channel(n.running)
        sent = time.monotonic()
        await _leak(n.running, channel, 60.0)
        [firing] = await until(lambda: n.to_duty(channel, "firing"), 30)
        took = time.monotonic() - sent
        print(f"\npublish -> duty webhook POST: {took:.3f} s")
        assert took < 5.0  # the acceptance's bound (measured: about 0.1 s)
        payload = firing["payload"]
        assert payload.status == "firing"
        [alert] = payload.alerts
        assert alert.labels["alertname"] == "gas_leak"
        assert alert.labels["severity"] == "critical"
        assert alert.labels["owner"] == "gas-huarun"
        assert "燃气泄漏" in alert.annotations["summary"]
        assert "60.0 %LEL" in alert.annotations["summary"]
        assert alert.generatorURL.startswith("http://lifeline.test/?alert=")

        # nobody acknowledges: the supervisor's robot gets one escalation (signed)
        escalated = await until(lambda: n.to_supervisor("升级通知"), 90)
        print(f"publish -> escalation: {time.monotonic() - sent:.1f} s (after {ESCALATE_S} s)")
        assert len(escalated) == 1
        assert time.monotonic() - sent >= ESCALATE_S  # not before nobody had time to ack

        # the operator acknowledges through the API: both are told, escalation ends
        alert_id = int(alert.annotations["alert_id"])
        async with n.running.api() as api:
            acked = await api.post(f"/api/v1/alerts/{alert_id}/ack", json={"note": "on my way"})
            assert acked.status_code == 200
            await until(lambda: n.to_duty(channel, "acknowledged"), 30)
            await until(lambda: n.to_supervisor("已确认"), 30)
            history = (await api.get(f"/api/v1/alerts/{alert_id}/notifications")).json()
        states = {(i["kind"], i["receiver"]): i["state"] for i in history["items"]}
        assert states[("firing", "duty")] == "sent"
        assert states[("escalation", "supervisor")] == "sent"
        assert states[("repeat", "duty")] == "cancelled"  # no repeats after the ack
        assert all(a["ok"] for a in history["attempts"])
        assert len(n.to_duty(channel, "firing")) == 1  # each notice once

        # an admin sees the receivers with their secrets masked, and tests one
        async with n.running.api() as api:
            receivers = (await api.get("/api/v1/notify/receivers")).json()
            assert {r["name"]: r["type"] for r in receivers} == {
                "duty": "webhook",
                "supervisor": "dingtalk",
            }
            assert n.ding.secret not in str(receivers)
            assert n.ding.access_token not in str(receivers)
            tested = (await api.post("/api/v1/notify/test/duty")).json()
            assert tested["ok"] is True, (tested, n.hook.refused[-1:])
            assert (await api.post("/api/v1/notify/test/nobody")).status_code == 404
        assert [p.lifeline.kind for p in n.hook.payloads()][-1] == "test"


async def test_an_escalation_pending_at_kill_9_happens_once_after_the_restart(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    async with notified_stack(data) as n:
        channel = _channel(n.running, 1)
        await _leak(n.running, channel, 65.0)
        await until(lambda: n.to_duty(channel, "firing"), 30)
        stack = n.running.stack
        await asyncio.to_thread(stack.kill, signal.SIGKILL)  # mid-escalation
        assert n.to_supervisor("升级通知") == []
        restarted = Stack(
            data_dir=data, api_port=stack.api_port, mqtt_port=stack.mqtt_port, env=stack.env
        )
        await asyncio.to_thread(restarted.start)
        try:
            await until(lambda: n.to_supervisor("升级通知"), 90)
            await asyncio.sleep(8)  # a second copy would come within its retry window
            assert len(n.to_supervisor("升级通知")) == 1
            assert len(n.to_duty(channel, "firing")) == 1
        finally:
            await asyncio.to_thread(restarted.stop)


async def test_a_flood_comes_as_digests_and_a_critical_leak_in_it_at_once(
    tmp_path: Path,
) -> None:
    """400 major leaks (30 %LEL) from five utilities: duty gets the first ten one by one,
    then digests every 4 s; a critical leak published in the middle is its own message,
    not held for a digest."""
    async with notified_stack(tmp_path / "data") as n:
        registry = n.running.registry
        by_owner: dict[str, list[str]] = {}
        for channel in sorted(registry.channels)[:401]:
            by_owner.setdefault(registry.channels[channel].owner, []).append(channel)
        critical = by_owner["gas-huarun"].pop()
        flood = sorted(c for channels in by_owner.values() for c in channels)[:400]
        for owner, channels in by_owner.items():
            async with utility_client(n.running, owner, max_inflight=100) as client:
                for channel in (c for c in channels if c in flood):
                    await client.publish(gas_topic(channel), reading(now_ms(), lel_pct=30.0), qos=1)
                if owner == "gas-huarun":
                    await client.publish(
                        gas_topic(critical), reading(now_ms(), lel_pct=70.0), qos=1
                    )

        def digested() -> int:
            return sum(len(p.alerts) for p in n.hook.payloads() if p.lifeline.kind == "digest")

        await until(lambda: n.to_duty(critical, "firing"), 30)
        singles = [p for p in n.hook.payloads() if p.lifeline.kind == "firing"]
        await until(lambda: digested() + len(singles) >= 401, 60)
        kinds = [p.lifeline.kind for p in n.hook.payloads()]
        print(
            f"\n401 alerts -> {len(kinds)} messages: {kinds.count('firing')} single, "
            f"{kinds.count('digest')} digests"
        )
        assert kinds.count("firing") == 11  # ten before the flood was declared + the critical
        assert kinds.count("digest") <= 15
        assert digested() == 390
        assert [
            p.alerts[0].labels["severity"]
            for p in singles
            if p.alerts[0].labels["source_id"] == critical
        ] == ["critical"]
