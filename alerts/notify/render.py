"""Messages in the receiver's language and time zone: :func:`render`.

Chinese by default, English per receiver (``lang: en``). Every message names the source
(name, address, district), the value against its threshold in the metric's unit, the
time in the receiver's zone, and links to the alert in the control room (a dispatch
also links the crew view and a map to the place). Texts are built from the labels of
``lifeline.core.labels``, never from the rules' English message templates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections.abc import Mapping, Sequence
from urllib.parse import quote
from zoneinfo import ZoneInfo

from alerts.notify.base import AlertFacts, Kind, Message
from lifeline.core.alert import Alert, AlertState
from lifeline.core.labels import label, metric_text
from lifeline.core.registry import Registry
from lifeline.core.timeutil import iso_ms

__all__ = ["Audience", "alert_facts", "fingerprint", "render"]

_ZH = "zh-CN"
_HEADLINE: dict[str, dict[str, str]] = {
    _ZH: {
        "firing": "【{severity}告警】{rule}",
        "repeat": "【仍未确认·{severity}】{rule}",
        "escalation": "【升级通知·第{step}级】{rule} 未在规定时间内确认",
        "acknowledged": "【已确认】{rule}（{actor}）",
        "resolved": "【已恢复】{rule}",
        "dispatch": "【派单】{rule}，请前往现场处置",
        "digest": "【告警汇总】{count} 条告警",
        "test": "【测试】城市生命线通知测试",
    },
    "en": {
        "firing": "[{severity}] {rule}",
        "repeat": "[Still unacknowledged · {severity}] {rule}",
        "escalation": "[Escalation {step}] {rule} not acknowledged in time",
        "acknowledged": "[Acknowledged] {rule} ({actor})",
        "resolved": "[Resolved] {rule}",
        "dispatch": "[Dispatch] {rule}: please go to the site",
        "digest": "[Digest] {count} alerts",
        "test": "[Test] City Lifeline notification test",
    },
}
_WORDS: dict[str, dict[str, str]] = {
    _ZH: {
        "place": "位置",
        "value": "数值",
        "threshold": "阈值",
        "time": "时间",
        "open": "查看告警",
        "crew": "处置页面",
        "map": "导航",
        "more": "另有 {n} 条",
        "test": "这是一条测试消息，收到即表示该接收方配置正确。",
    },
    "en": {
        "place": "Place",
        "value": "Value",
        "threshold": "threshold",
        "time": "Time",
        "open": "Open the alert",
        "crew": "Crew view",
        "map": "Navigate",
        "more": "and {n} more",
        "test": "A test message: if you read this, the receiver is configured correctly.",
    },
}
_DIGEST_LINES = 20


class Audience(Mapping[str, str]):
    """A receiver as rendering sees it: language and time zone."""

    def __init__(self, lang: str, tz: str) -> None:
        self._values = {"lang": lang if lang in _HEADLINE else _ZH, "tz": tz}

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def fingerprint(source_id: str, rule: str) -> str:
    """Stable per (source, rule), as Alertmanager's: the same alert over its lifetime."""
    return hashlib.sha256(f"{source_id}\x00{rule}".encode()).hexdigest()[:16]


_Place = tuple[str, str, str, str, float | None, float | None]


def _kv(lang: str, key: str, value: str) -> str:
    """``位置：…`` or ``Place: …``."""
    return f"{key}：{value}" if lang == _ZH else f"{key}: {value}"


def _paren(lang: str, text: str) -> str:
    return f"（{text}）" if lang == _ZH else f" ({text})"


def _place(registry: Registry, source_id: str) -> _Place:
    """name, address, district, owner, lat, lon of a source (ids where unknown)."""
    for table in (registry.channels, registry.meters, registry.stations, registry.enterprises):
        entity = table.get(source_id)
        if entity is not None:
            name = getattr(entity, "name", source_id)
            address = getattr(entity, "address", "")
            return (
                name,
                address,
                entity.district,
                registry.owner_of(source_id) or "",
                entity.lat,
                entity.lon,
            )
    return source_id, "", "", registry.owner_of(source_id) or "", None, None


def _local(ms: int, tz: str) -> str:
    moment = dt.datetime.fromtimestamp(ms / 1000, tz=ZoneInfo(tz))
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


def alert_facts(
    alert: Alert,
    registry: Registry,
    metric_of: Mapping[str, str],
    audience: Audience,
    link_base: str,
) -> AlertFacts:
    """One alert for one audience (``metric_of``: rule -> the metric its value is in)."""
    lang, tz = audience["lang"], audience["tz"]
    name, address, district, owner, lat, lon = _place(registry, alert.source_id)
    metric = metric_of.get(alert.rule)
    rule_label = label(f"rule.{alert.rule}", lang)
    value = metric_text(metric, alert.value, lang)
    words = _WORDS[lang]
    summary = _kv(lang, rule_label, name)
    if district:
        summary += _paren(lang, district)
    if alert.value is not None:
        summary += f" {value}"
        if alert.threshold is not None:
            limit = metric_text(metric, alert.threshold, lang)
            summary += _paren(lang, f"{words['threshold']} {limit}")
    ended = alert.state is AlertState.CLOSED or not alert.condition_active
    end_ms = alert.closed_at_ms or alert.cleared_at_ms or alert.updated_at_ms
    return AlertFacts(
        id=alert.id,
        fingerprint=fingerprint(alert.source_id, alert.rule),
        rule=alert.rule,
        rule_label=rule_label,
        source_id=alert.source_id,
        source_name=name,
        source_kind=alert.source_kind.value,
        severity=alert.severity.value,
        state=alert.state.value,
        district=district,
        owner=owner,
        address=address,
        value=alert.value,
        threshold=alert.threshold,
        unit=metric_text(metric, 0.0).partition(" ")[2],
        summary=summary,
        starts_at=iso_ms(alert.raised_at_ms),
        ends_at=iso_ms(end_ms) if ended else None,
        local_time=_local(alert.raised_at_ms, tz),
        link=f"{link_base}/?alert={alert.id}",
        lat=lat,
        lon=lon,
    )


def _navigation(facts: AlertFacts) -> str:
    if facts.lat is None or facts.lon is None:
        return ""
    name = quote(facts.source_name)
    return (
        f"https://uri.amap.com/marker?position={facts.lon},{facts.lat}"
        f"&name={name}&coordinate=wgs84&callnative=1"
    )


def render(
    kind: Kind,
    *,
    key: str,
    receiver: str,
    route: str,
    audience: Audience,
    alerts: Sequence[AlertFacts],
    step: int = 0,
    actor: str = "",
    crew: str = "",
    link_base: str = "",
) -> Message:
    """The message of ``kind`` about ``alerts`` (one, or a digest's several)."""
    lang = audience["lang"]
    words = _WORDS[lang]
    first = alerts[0] if alerts else None
    severity = label(f"severity.{first.severity}", lang) if first else ""
    headline = _HEADLINE[lang][kind].format(
        severity=severity,
        rule=first.rule_label if first else "",
        step=step,
        actor=actor,
        count=len(alerts),
    )
    title = headline if first is None or kind == "digest" else f"{headline} · {first.source_name}"
    lines: list[str] = []
    link = first.link if first else link_base
    navigation = ""
    if kind == "test":
        lines.append(words["test"])
    elif kind == "digest":
        for facts in alerts[:_DIGEST_LINES]:
            sev = label(f"severity.{facts.severity}", lang)
            lines.append(f"[{sev}] {facts.summary} · {facts.local_time}")
        if len(alerts) > _DIGEST_LINES:
            lines.append(words["more"].format(n=len(alerts) - _DIGEST_LINES))
        link = f"{link_base}/"
    elif first is not None:
        place = " · ".join(p for p in (first.district, first.address, first.source_name) if p)
        lines.append(_kv(lang, words["place"], place + _paren(lang, first.source_id)))
        lines.append(first.summary)
        lines.append(_kv(lang, words["time"], first.local_time))
        if kind == "dispatch":
            navigation = _navigation(first)
    links = [(words["open"], link)]
    if kind == "dispatch":
        crew_link = f"{link_base}/crew" + (f"?crew={quote(crew)}" if crew else "")
        links = [(words["crew"], crew_link), (words["open"], link)]
        if navigation:
            links.append((words["map"], navigation))
        link = crew_link
    text = "\n".join([headline, *lines, *(f"{t}: {u}" for t, u in links)])
    quoted = [f"> {line}" for line in lines]
    markdown = "\n".join([f"### {headline}", *quoted, "", *(f"[{t}]({u})" for t, u in links)])
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    anchors = " · ".join(f'<a href="{html.escape(u)}">{html.escape(t)}</a>' for t, u in links)
    page = f"<h3>{html.escape(headline)}</h3>{body}<p>{anchors}</p>"
    ended = first is not None and first.ends_at is not None and kind != "digest"
    resolved = kind == "resolved" or ended
    return Message(
        key=key,
        kind=kind,
        receiver=receiver,
        route=route,
        lang=lang,
        title=title,
        text=text,
        markdown=markdown,
        html=page,
        alerts=tuple(alerts),
        status="resolved" if resolved else "firing",
        group_key=f"{route or kind}:{{}}:{{alert_ids={','.join(str(a.id) for a in alerts)}}}",
        escalation_step=step,
        link=link,
        navigation=navigation,
    )
