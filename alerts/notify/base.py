"""What a notification is, and what a receiver must do with it.

The notification centre (``alerts.notify.center``) decides *whom* to tell *what* and
*when*; it hands each receiver a :class:`Message` already rendered in that receiver's
language and time zone. A receiver (one module per type in ``alerts.notify.receivers``)
only delivers it: :meth:`Receiver.send` returns on success and raises
:class:`SendError` otherwise, saying whether a retry may help (a timeout, a 5xx, a
vendor's rate limit) or not (a 4xx, a refused signature, a bad number). The centre
retries with a jittered backoff, records every attempt, and sends each message once:
``Message.key`` is its idempotency key, passed on to receivers that can carry it.
"""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec

__all__ = ["AlertFacts", "Kind", "Message", "Receiver", "SendError"]

Kind = Literal[
    "firing",  # a new alert (or one that came back), first notice of a route
    "repeat",  # still active and unacknowledged, the route's repeat interval passed
    "escalation",  # nobody acknowledged within an escalation step's ``after``
    "acknowledged",  # to whoever was told of it
    "resolved",  # condition cleared or alert closed: to whoever was told of it
    "dispatch",  # an incident assigned to a crew
    "digest",  # several alerts of a route in a flood, in one message
    "test",  # POST /api/v1/notify/test/{receiver}
]


class AlertFacts(msgspec.Struct, frozen=True):
    """One alert as a message shows it (the webhook carries these as ``alerts[]``)."""

    id: int
    fingerprint: str  # stable per (source_id, rule): sha256 hex, first 16
    rule: str
    rule_label: str  # the rule's name in the message's language
    source_id: str
    source_name: str
    source_kind: str
    severity: str
    state: str
    district: str
    owner: str  # the utility that owns the source
    address: str
    value: float | None
    threshold: float | None
    unit: str
    summary: str  # one line in the message's language
    starts_at: str  # RFC 3339, UTC
    ends_at: str | None  # RFC 3339 when resolved, else None
    local_time: str  # starts_at in the receiver's zone, "2026-12-08 03:00:12 CST"
    link: str  # the alert in the control room
    lat: float | None = None
    lon: float | None = None


class Message(msgspec.Struct, frozen=True):
    """One notification for one receiver, rendered (see the module doc)."""

    key: str  # idempotency key: the same key is never delivered twice on purpose
    kind: Kind
    receiver: str
    route: str  # the route that chose the receiver ("" for dispatch and test)
    lang: str  # "zh-CN" | "en"
    title: str  # a subject line / card title
    text: str  # plain text (SMS, voice, e-mail text part)
    markdown: str  # WeCom / DingTalk markdown
    html: str  # e-mail HTML part (escaped)
    alerts: tuple[AlertFacts, ...]
    status: Literal["firing", "resolved"]
    group_key: str  # Alertmanager's groupKey: which route and which alerts
    escalation_step: int = 0  # 0 = the route's own receivers, n = escalation step n
    link: str = ""  # the alert, or the crew view for a dispatch
    navigation: str = ""  # a map link to the place (dispatch)


class SendError(Exception):
    """A delivery failed; ``retryable`` says whether trying again may help."""

    def __init__(self, detail: str, *, retryable: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable


class Receiver(Protocol):
    """One configured destination (a webhook URL, a robot, a mailbox, phone numbers)."""

    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...

    def describe(self) -> dict[str, object]:
        """The receiver's settings for ``GET /api/v1/notify/receivers``, secrets masked."""
        ...

    async def send(self, message: Message) -> str:
        """Deliver ``message``; returns a short result (``"200"``, a vendor's request id)
        or raises :class:`SendError`."""
        ...

    async def close(self) -> None: ...
