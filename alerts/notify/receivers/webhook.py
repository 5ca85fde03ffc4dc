"""``webhook``: POSTs the Prometheus Alertmanager webhook (version 4) JSON, so any
Alertmanager receiver works unchanged, plus Lifeline's own fields in ``lifeline``.

Alertmanager's fields: ``version`` "4", ``status`` ("firing" while any alert fires),
``receiver``, ``groupKey``, ``truncatedAlerts`` 0, ``groupLabels`` (``alertname`` when
every alert of the message has the same rule: Lifeline groups by route, not by
labels), ``commonLabels`` and ``commonAnnotations`` (the pairs every alert shares, as
Alertmanager computes them), ``externalURL`` (the control room) and ``alerts[]`` with
``status``, ``labels`` (``alertname`` = rule, ``source_id``, ``severity``,
``district``, ``owner``), ``annotations`` (``summary``, ``alert_id``, ``state``,
``link``, and ``address`` / ``value`` when known), ``startsAt``, ``endsAt``
(``0001-01-01T00:00:00Z`` while firing, as Alertmanager sends it), ``generatorURL``
(= link) and ``fingerprint``.

``lifeline``: ``key`` (also the ``Idempotency-Key`` header), ``kind``, ``route``,
``escalation_step``, ``title``, ``link``, ``navigation`` and ``alerts[]`` of ``{id,
state, link}``. Any 2xx is delivered.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

import msgspec

from alerts.notify.base import AlertFacts, Message, Receiver
from alerts.notify.receivers.common import (
    BaseReceiver,
    ReceiverConfig,
    ReceiverType,
    check_http_url,
    mask_url,
    open_secret,
    tls_context,
)
from alerts.notify.receivers.http import new_client, raise_for_status, send
from alerts.notify.secrets import Secret, masked

__all__ = [
    "NOT_RESOLVED",
    "TYPE",
    "WebhookConfig",
    "WebhookReceiver",
    "alertmanager_payload",
    "build",
]

NOT_RESOLVED: Final = "0001-01-01T00:00:00Z"  # Go's zero time: Alertmanager's endsAt while firing
_RESERVED_HEADERS: Final = frozenset({"content-type", "idempotency-key", "content-length", "host"})


class WebhookConfig(
    ReceiverConfig, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="webhook"
):
    """``url``; optional ``headers`` (values may be secrets), ``bearer_token``,
    ``external_url`` (default: the origin of the alert links), ``ca_file``."""

    url: str
    headers: dict[str, Secret] = msgspec.field(default_factory=dict)
    bearer_token: Secret | None = None
    external_url: str = ""
    ca_file: str | None = None

    def check(self) -> None:
        super().check()
        check_http_url(self.url)
        if self.external_url:
            check_http_url(self.external_url, "external_url")
        for header in self.headers:
            if header.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {header!r} is set by the receiver")
            if header.lower() == "authorization" and self.bearer_token is not None:
                raise ValueError("give either bearer_token or an Authorization header")


def _labels(alert: AlertFacts) -> dict[str, str]:
    return {
        "alertname": alert.rule,
        "source_id": alert.source_id,
        "severity": alert.severity,
        "district": alert.district,
        "owner": alert.owner,
    }


def _annotations(alert: AlertFacts) -> dict[str, str]:
    annotations = {
        "summary": alert.summary,
        "alert_id": str(alert.id),
        "state": alert.state,
        "link": alert.link,
    }
    if alert.address:
        annotations["address"] = alert.address
    if alert.value is not None:
        annotations["value"] = f"{alert.value:g}{alert.unit}"
    return annotations


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    return {k: v for k, v in maps[0].items() if all(m.get(k) == v for m in maps[1:])}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _status(message: Message) -> str:
    """Alertmanager's: "firing" while any alert of the group fires, else "resolved"."""
    if not message.alerts:
        return message.status
    return "resolved" if all(a.ends_at for a in message.alerts) else "firing"


def alertmanager_payload(message: Message, external_url: str = "") -> dict[str, Any]:
    """The JSON body (see the module doc)."""
    labels = [_labels(a) for a in message.alerts]
    annotations = [_annotations(a) for a in message.alerts]
    common_labels = _common(labels)
    link = message.link or (message.alerts[0].link if message.alerts else "")
    return {
        "version": "4",
        "groupKey": message.group_key,
        "truncatedAlerts": 0,
        "status": _status(message),
        "receiver": message.receiver,
        "groupLabels": {k: v for k, v in common_labels.items() if k == "alertname"},
        "commonLabels": common_labels,
        "commonAnnotations": _common(annotations),
        "externalURL": external_url or _origin(link),
        "alerts": [
            {
                "status": "resolved" if alert.ends_at else "firing",
                "labels": label_set,
                "annotations": annotation_set,
                "startsAt": alert.starts_at,
                "endsAt": alert.ends_at or NOT_RESOLVED,
                "generatorURL": alert.link,
                "fingerprint": alert.fingerprint,
            }
            for alert, label_set, annotation_set in zip(
                message.alerts, labels, annotations, strict=True
            )
        ],
        "lifeline": {
            "key": message.key,
            "kind": message.kind,
            "route": message.route,
            "escalation_step": message.escalation_step,
            "title": message.title,
            "link": link,
            "navigation": message.navigation,
            "alerts": [{"id": a.id, "state": a.state, "link": a.link} for a in message.alerts],
        },
    }


class WebhookReceiver(BaseReceiver[WebhookConfig]):
    def __init__(self, config: WebhookConfig) -> None:
        super().__init__(config)
        self._headers = {
            k: open_secret(config, f"headers.{k}", v) for k, v in config.headers.items()
        }
        if config.bearer_token is not None:
            token = open_secret(config, "bearer_token", config.bearer_token)
            self._headers["Authorization"] = f"Bearer {token}"
        tls = tls_context(config, config.ca_file) if config.ca_file else None
        self._client = new_client(config.timeout_s, tls)

    def settings(self) -> dict[str, object]:
        return {
            "url": mask_url(self.config.url),
            "headers": {k: masked(v) for k, v in self.config.headers.items()},
            "bearer_token": masked(self.config.bearer_token),
            "external_url": self.config.external_url,
            "ca_file": self.config.ca_file,
        }

    async def send(self, message: Message) -> str:
        body = msgspec.json.encode(alertmanager_payload(message, self.config.external_url))
        headers = self._headers | {
            "Content-Type": "application/json",
            "Idempotency-Key": message.key,
        }
        request = self._client.build_request("POST", self.config.url, content=body, headers=headers)
        response = await send(self._client, request)
        raise_for_status(response)
        return str(response.status_code)

    async def close(self) -> None:
        await self._client.aclose()


def build(config: WebhookConfig) -> Receiver:
    return WebhookReceiver(config)


TYPE = ReceiverType(WebhookConfig, build)
