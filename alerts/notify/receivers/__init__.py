"""Receiver types. Each is one module here (config Struct tagged with its ``type:``,
``check()``, the receiver, ``build``); ``RECEIVER_TYPES`` is the registry: adding a type
is a new module and one line below.

- ``webhook``   Alertmanager webhook v4 JSON (+ Lifeline's fields)
- ``wecom``     企业微信群机器人, markdown
- ``dingtalk``  钉钉自定义机器人 (signed), markdown
- ``email``     SMTP (ssl / starttls), text + HTML
- ``sms``       Aliyun or Tencent Cloud SMS, template variables
- ``voice``     Aliyun voice call (TTS template)

Shared pieces: ``common`` (config base, receiver base, masking, per-recipient
settling), ``http`` (client, error classification), ``signing`` (vendor signatures),
``texts`` (byte limits, SMS/voice template variables), ``aliyun`` / ``tencent`` (the
vendors' API calls).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from typing import Any, Final

from alerts.notify.base import Receiver
from alerts.notify.receivers import dingtalk, sms, smtp, voice, webhook, wecom
from alerts.notify.receivers.common import ReceiverConfig, ReceiverType
from lifeline.core.errors import ConfigError

__all__ = [
    "ANY_RECEIVER_CONFIG",
    "RECEIVER_TYPES",
    "ReceiverConfig",
    "ReceiverType",
    "build_receiver",
]


def _registry(*types: ReceiverType) -> dict[str, ReceiverType]:
    return {t.name: t for t in types}


RECEIVER_TYPES: Final[Mapping[str, ReceiverType]] = _registry(
    webhook.TYPE,
    wecom.TYPE,
    dingtalk.TYPE,
    smtp.TYPE,
    sms.TYPE,
    voice.TYPE,
)

ANY_RECEIVER_CONFIG: Final[Any] = functools.reduce(
    operator.or_, (t.config for t in RECEIVER_TYPES.values())
)
"""The tagged union of every receiver config (msgspec picks one by ``type:``)."""


def build_receiver(config: ReceiverConfig) -> Receiver:
    """Check ``config`` and build its receiver; :class:`ConfigError` names the receiver
    and the fault (a failed check, a secret's missing variable or file)."""
    receiver_type = RECEIVER_TYPES[config.type]
    try:
        config.check()
    except ValueError as exc:
        raise ConfigError(f"receiver {config.name!r} ({config.type}): {exc}") from exc
    return receiver_type.build(config)
