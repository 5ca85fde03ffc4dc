"""Messages as the notification centre renders them, with Chinese text by default."""

from __future__ import annotations

from typing import Any

import msgspec

from alerts.notify.base import AlertFacts, Message

# 03:00:12 in Asia/Shanghai on 8 December 2026
STARTS_AT = "2026-12-07T19:00:12Z"
SOURCE_NAME = "幸福里小区3号楼调压箱燃气探测器"


def make_facts(**overrides: Any) -> AlertFacts:
    facts = AlertFacts(
        id=42,
        fingerprint="5f1c2a9e0b7d4c31",
        rule="gas_leak",
        rule_label="燃气泄漏",
        source_id="GAS-0042",
        source_name=SOURCE_NAME,
        source_kind="gas_channel",
        severity="critical",
        state="active_unacked",
        district="朝阳区",
        owner="北京燃气",
        address="朝阳区幸福路12号",
        value=60.0,
        threshold=25.0,
        unit="%LEL",
        summary="燃气浓度 60%LEL 超过报警值 25%LEL",
        starts_at=STARTS_AT,
        ends_at=None,
        local_time="2026-12-08 03:00:12 CST",
        link="http://lifeline.test:8000/alerts/42",
    )
    return msgspec.structs.replace(facts, **overrides)


def make_message(*alerts: AlertFacts, **overrides: Any) -> Message:
    facts = alerts or (make_facts(),)
    first = facts[0]
    message = Message(
        key=f"alert-{first.id}-firing-duty-0",
        kind="firing",
        receiver="duty",
        route="critical-gas",
        lang="zh-CN",
        title=f"【紧急】{first.rule_label}：{first.source_name}",
        text=f"{first.summary}\n地址：{first.address}\n时间：{first.local_time}\n{first.link}",
        markdown=(
            f'## <font color="warning">紧急</font> {first.rule_label}\n'
            f"> {first.summary}\n> 地址：{first.address}\n> 时间：{first.local_time}\n"
            f"[查看报警]({first.link})"
        ),
        html=f'<h2>{first.rule_label}</h2><p>{first.summary}</p><a href="{first.link}">查看</a>',
        alerts=facts,
        status="resolved" if all(a.ends_at for a in facts) else "firing",
        group_key='{}/{severity="critical"}:{alertname="gas_leak"}',
        link=first.link,
    )
    return msgspec.structs.replace(message, **overrides)
