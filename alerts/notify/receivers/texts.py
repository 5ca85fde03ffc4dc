"""Text pieces the receivers cut or build themselves: UTF-8 byte limits, and the fixed
template parameters of SMS and voice messages.

Vendors send SMS and voice only through templates a utility registers and the vendor
approves; a message can fill in variables, not write free text. So every SMS/voice
receiver fills the same documented set (alerts/notify/README.md has the template texts
to register), from the message's first alert:

=========  ==========================================  =====================
variable   value                                        example
=========  ==========================================  =====================
event      what happened (the message's kind)           报警 / 已恢复
source     the source's name (+ "等N处" in a digest)     幸福里小区3号楼调压箱
district   the district                                  朝阳区
level      the severity label                            紧急
value      value and unit, or "-"                        60%LEL
time       the alert's start, HH:MM in the receiver's zone  03:00
=========  ==========================================  =====================

Each value is cut to ``max_len`` characters (Aliyun: 35 for notification templates).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from alerts.notify.base import Message
from lifeline.core.labels import label

__all__ = ["TEMPLATE_VARIABLES", "template_params", "truncate_utf8"]

TEMPLATE_VARIABLES: Final = ("event", "source", "district", "level", "value", "time")

_EVENT: Final[dict[str, dict[str, str]]] = {
    "zh-CN": {
        "firing": "报警",
        "repeat": "报警未确认",
        "escalation": "报警升级",
        "acknowledged": "已确认",
        "resolved": "已恢复",
        "dispatch": "派单",
        "digest": "多处报警",
        "test": "测试",
    },
    "en": {
        "firing": "alarm",
        "repeat": "alarm unacknowledged",
        "escalation": "alarm escalated",
        "acknowledged": "acknowledged",
        "resolved": "resolved",
        "dispatch": "dispatch",
        "digest": "several alarms",
        "test": "test",
    },
}
_MORE: Final = {"zh-CN": "等{n}处", "en": " +{n} more"}


def truncate_utf8(text: str, max_bytes: int, ellipsis: str = "…") -> str:
    """``text`` in at most ``max_bytes`` of UTF-8, cut on a character boundary."""
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    room = max_bytes - len(ellipsis.encode())
    return data[: max(room, 0)].decode("utf-8", errors="ignore") + ellipsis


def _cut(text: str, max_len: int) -> str:
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def template_params(message: Message, zone: ZoneInfo, max_len: int) -> dict[str, str]:
    """The template variables (see the module doc) for ``message``."""
    lang = message.lang if message.lang in _EVENT else "zh-CN"
    params = dict.fromkeys(TEMPLATE_VARIABLES, "-")
    params["event"] = _EVENT[lang].get(message.kind, message.kind)
    if message.alerts:
        first = message.alerts[0]
        more = len(message.alerts) - 1
        suffix = _MORE[lang].format(n=len(message.alerts)) if more else ""
        name = first.source_name or first.source_id
        params["source"] = _cut(name, max_len - len(suffix)) + suffix if suffix else name
        params["district"] = first.district or "-"
        params["level"] = label(f"severity.{first.severity}", lang)
        if first.value is not None:
            params["value"] = _number(first.value) + first.unit
        started = datetime.fromisoformat(first.starts_at.replace("Z", "+00:00"))
        params["time"] = started.astimezone(zone).strftime("%H:%M")
    elif message.title:
        params["source"] = message.title
    return {key: _cut(value, max_len) for key, value in params.items()}
