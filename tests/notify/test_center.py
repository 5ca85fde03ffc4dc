"""The notification centre over the real engine, alert store and outbox (SQLite), with
receivers that record what they are given. The clocks are test clocks: escalations and
repeats run on wall time, which the tests move; the vendor protocols themselves are
tested against their stand-ins in test_receivers.py and end to end in tests/e2e."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from alerts.engine import AlertEngine, EngineOptions
from alerts.metrics import AlertMetrics
from alerts.notify.base import Message, SendError
from alerts.notify.center import NotificationCenter
from alerts.notify.config import parse_notify_config
from alerts.notify.metrics import NotifyMetrics
from alerts.rules import load_rules
from lifeline.core.alert import AlertAction, AlertCommand
from lifeline.core.notifications import ItemState
from store.sqlite_alerts import SqliteAlertStore
from store.sqlite_notifications import SqliteNotificationStore
from tests.alerts.conftest import MIN, T0, FakeClock, gas, make_registry

CONFIG = """
receivers:
  - {name: duty, type: recording}
  - {name: supervisor, type: recording}
  - {name: night, type: recording, lang: en}
  - {name: crew1, type: recording}
  - {name: ops, type: recording}
rosters:
  - {name: on-call, tz: Asia/Shanghai,
     shifts: [{days: mon-sun, from: "08:00", to: "20:00", notify: [duty]},
              {days: mon-sun, from: "20:00", to: "08:00", notify: [night]}]}
routes:
  - name: gas-critical
    match: {severity: [critical]}
    notify: [duty]
    repeat: 10m
    escalate: [{after: 5m, notify: [supervisor]}]
  - name: everything-else
    notify: [ops]
    group_interval: 5m
crews: {crew-01: [crew1]}
link_base: "http://lifeline.test"
"""


@dataclass
class Recording:
    """A receiver that keeps what it is sent (or fails as told)."""

    name: str
    lang: str = "zh-CN"
    sent: list[Message] = field(default_factory=list)
    fail: list[SendError] = field(default_factory=list)

    @property
    def type(self) -> str:
        return "recording"

    @property
    def config(self) -> Recording:
        return self

    @property
    def tz(self) -> str:
        return "Asia/Shanghai"

    def describe(self) -> dict[str, object]:
        return {"name": self.name}

    async def send(self, message: Message) -> str:
        if self.fail:
            raise self.fail.pop(0)
        self.sent.append(message)
        return "200"

    async def close(self) -> None:
        return None

    def kinds(self) -> list[str]:
        return [m.kind for m in self.sent]


@dataclass
class Harness:
    engine: AlertEngine
    center: NotificationCenter
    outbox: SqliteNotificationStore
    alerts: SqliteAlertStore
    clock: FakeClock
    receivers: dict[str, Recording]
    path: Path

    async def step(self) -> None:
        """Plan and send until nothing more is due now."""
        for _ in range(20):
            if not await self.center.step():
                return

    def new_center(self, text: str = CONFIG) -> NotificationCenter:
        config = parse_notify_config(text)
        return NotificationCenter(
            config,
            self.receivers,
            self.outbox,
            self.alerts,
            make_registry(),
            load_rules(None),
            self.clock,
            instance="test",
            metrics=NotifyMetrics.on(CollectorRegistry()),
        )


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    db = tmp_path / "lifeline.db"
    alerts = SqliteAlertStore(db)
    outbox = SqliteNotificationStore(db)
    clock = FakeClock(T0 + 3 * 3600_000)  # 13:13 in Asia/Shanghai (T0 is 02:13 UTC)
    receivers = {
        n: Recording(n, lang="en" if n == "night" else "zh-CN")
        for n in ("duty", "supervisor", "night", "crew1", "ops")
    }
    registry = make_registry()
    engine = AlertEngine(
        load_rules(None),
        registry,
        alerts,
        [],
        clock,
        EngineOptions(),
        AlertMetrics.on(CollectorRegistry()),
    )
    await engine.start()
    h = Harness(engine, None, outbox, alerts, clock, receivers, db)  # type: ignore[arg-type]
    h.center = h.new_center()
    await h.center.step()  # a new consumer starts at the end of the audit log
    yield h
    await outbox.close()
    await alerts.close()


async def test_a_critical_leak_is_told_once_then_escalated_when_nobody_acknowledges(
    harness: Harness,
) -> None:
    await harness.engine.accept([gas("GAS-0001", T0, 60.0)])
    await harness.step()
    duty = harness.receivers["duty"]
    assert duty.kinds() == ["firing"]
    [message] = duty.sent
    assert "燃气泄漏" in message.title
    assert "c1" in message.title
    assert "60.0 %LEL" in message.text
    assert "50.0 %LEL" in message.text
    assert message.link.startswith("http://lifeline.test/?alert=")
    assert harness.receivers["supervisor"].sent == []
    await harness.step()  # nothing new is due: nothing is sent twice
    assert duty.kinds() == ["firing"]
    harness.clock.now += 5 * MIN + 1
    await harness.step()
    assert harness.receivers["supervisor"].kinds() == ["escalation"]
    assert harness.receivers["supervisor"].sent[0].escalation_step == 1
    harness.clock.now += 5 * MIN
    await harness.step()  # 10 min after the first notice: the route repeats
    assert duty.kinds() == ["firing", "repeat"]
    harness.clock.now += 10 * MIN
    await harness.step()
    assert duty.kinds() == ["firing", "repeat", "repeat"]
    assert harness.receivers["supervisor"].kinds() == ["escalation"]  # once


async def test_an_ack_stops_escalation_and_repeats_and_tells_whoever_was_told(
    harness: Harness,
) -> None:
    await harness.engine.accept([gas("GAS-0001", T0, 60.0)])
    await harness.step()
    [alert] = harness.engine.open.alerts()
    harness.clock.now += 2 * MIN
    await harness.engine.act(alert.id, AlertCommand(AlertAction.ACK, "operator", "on it"))
    await harness.step()
    duty = harness.receivers["duty"]
    assert duty.kinds() == ["firing", "acknowledged"]
    assert "operator" in duty.sent[1].title
    harness.clock.now += 60 * MIN
    await harness.step()
    assert duty.kinds() == ["firing", "acknowledged"]  # no repeat after the ack
    assert harness.receivers["supervisor"].sent == []  # no escalation either
    items, _ = await harness.outbox.history(alert.id)
    cancelled = {i.kind for i in items if i.state is ItemState.CANCELLED}
    assert cancelled == {"escalation", "repeat"}


async def test_a_cleared_alert_is_resolved_to_those_told_and_escalates_no_more(
    harness: Harness,
) -> None:
    await harness.engine.accept([gas("GAS-0001", T0, 60.0)])
    await harness.step()
    harness.clock.now += 6 * MIN
    await harness.step()  # escalated to the supervisor
    await harness.engine.accept([gas("GAS-0001", T0 + MIN, 1.0)])
    await harness.step()
    assert harness.receivers["duty"].kinds() == ["firing", "resolved"]
    assert harness.receivers["supervisor"].kinds() == ["escalation", "resolved"]
    resolved = harness.receivers["duty"].sent[1]
    assert resolved.status == "resolved"
    assert resolved.alerts[0].ends_at is not None


async def test_a_flood_goes_out_as_digests_but_a_critical_leak_inside_it_at_once(
    harness: Harness,
) -> None:
    """400 major (non-critical) alerts in 10 minutes: the route's receiver gets its first
    10 notices, then digests (one per 5-minute interval), not 400 messages; a critical gas alert
    in the middle of the flood is sent at once."""
    registry = make_registry()
    from lifeline.core.registry import Channel, Registry

    channels = [
        Channel(f"GAS-{i:04d}", f"c{i}", "市南", "kitchen", "addr", 36.0, 120.0, "gas-a", 1.0, 99.0)
        for i in range(10, 410)
    ]
    big = Registry(
        registry.utilities.values(),
        [*registry.channels.values(), *channels],
        registry.enterprises.values(),
        registry.stations.values(),
        registry.meters.values(),
    )
    harness.engine._registry.adopt(big)
    for i, channel in enumerate(channels):
        await harness.engine.accept([gas(channel.id, T0 + i * 1000, 5.0)])  # a major leak
        if i == 200:
            await harness.engine.accept([gas("GAS-0001", T0 + i * 1000, 60.0)])
        if i % 40 == 0:
            harness.clock.now += 60_000  # 400 alerts over 10 minutes
            await harness.step()
    await harness.step()
    assert harness.receivers["duty"].kinds() == ["firing"]  # the critical one, at once
    harness.clock.now += 10 * MIN
    await harness.step()
    ops = harness.receivers["ops"].kinds()
    assert ops.count("firing") == 10
    assert 1 <= ops.count("digest") <= 4
    digested = sum(len(m.alerts) for m in harness.receivers["ops"].sent if m.kind == "digest")
    assert digested == 390  # every other alert is in a digest, once


async def test_a_pending_escalation_survives_a_restart_and_is_sent_once(
    harness: Harness,
) -> None:
    await harness.engine.accept([gas("GAS-0001", T0, 60.0)])
    await harness.step()
    restarted = harness.new_center()  # the process died; its outbox did not
    harness.clock.now += 6 * MIN
    for _ in range(3):
        await restarted.step()
    assert harness.receivers["supervisor"].kinds() == ["escalation"]
    assert harness.receivers["duty"].kinds() == ["firing"]


async def test_a_roster_tells_whoever_is_on_shift_in_its_time_zone(harness: Harness) -> None:
    """Day shift 08:00-20:00 is ``duty``, the night shift ``night`` (English); the
    clock is 13:13 in Shanghai, then 22:13 for a second leak."""
    harness.center = harness.new_center(
        CONFIG.replace("notify: [duty]\n    repeat", "notify: [on-call]\n    repeat")
    )
    await harness.engine.accept([gas("GAS-0001", T0, 60.0)])
    await harness.step()
    assert harness.receivers["duty"].kinds() == ["firing"]
    assert harness.receivers["night"].sent == []
    [first] = harness.engine.open.alerts()
    await harness.engine.act(
        first.id, AlertCommand(AlertAction.ACK, "operator")
    )  # no repeats of it
    await harness.step()
    assert harness.receivers["duty"].kinds() == ["firing", "acknowledged"]  # the day shift
    harness.clock.now = T0 + 12 * 3600_000
    await harness.engine.accept([gas("GAS-0002", T0 + MIN, 60.0)])
    await harness.step()
    [night] = harness.receivers["night"].sent
    assert night.kind == "firing"
    assert night.lang == "en"
    assert night.title.startswith("[Critical] Gas leak")
    assert "CST" in night.alerts[0].local_time  # the receiver's zone, not UTC


async def test_an_assignment_dispatches_the_crew(harness: Harness) -> None:
    await harness.engine.accept([gas("GAS-0001", T0, 60.0)])
    await harness.step()
    [alert] = harness.engine.open.alerts()
    await harness.engine.act(
        alert.id, AlertCommand(AlertAction.ASSIGN, "operator", assignee="crew-01")
    )
    await harness.step()
    [dispatch] = harness.receivers["crew1"].sent
    assert dispatch.kind == "dispatch"
    assert dispatch.link == "http://lifeline.test/crew?crew=crew-01"
    assert dispatch.navigation.startswith("https://uri.amap.com/marker?position=120.0,36.0")


async def test_retryable_failures_are_retried_and_permanent_ones_fail_the_item(
    harness: Harness,
) -> None:
    duty = harness.receivers["duty"]
    duty.fail = [SendError("503 from the robot", retryable=True)]
    await harness.engine.accept([gas("GAS-0001", T0, 60.0)])
    await harness.step()
    assert duty.sent == []
    ok, detail = harness.center.health()
    assert ok
    assert "duty" in detail
    harness.clock.now += 11_000  # past the first backoff (5 s, jittered to at most 5 s)
    await harness.step()
    assert duty.kinds() == ["firing"]
    assert harness.center.health() == (True, "5 receivers")
    [alert] = harness.engine.open.alerts()
    _, attempts = await harness.outbox.history(alert.id)
    assert [(a.receiver, a.ok, a.retryable) for a in attempts] == [
        ("duty", False, True),
        ("duty", True, False),
    ]
