"""``dingtalk``: a DingTalk (钉钉) custom robot with signing (加签), markdown message.

POST ``https://oapi.dingtalk.com/robot/send?access_token=TOKEN&timestamp=TS&sign=SIGN``
with ``{"msgtype": "markdown", "markdown": {"title", "text"}, "at": {...}}``; TS is the
epoch in ms and SIGN is computed from the robot's secret (``signing.dingtalk_sign``;
DingTalk refuses a TS more than an hour off). ``errcode`` 0 is delivered; 130101 (send
too fast: 20 a minute per robot) and -1 (system busy) are worth a retry; 310000 (sign,
keyword or IP refused) and every other code are not. The robot takes no idempotency key.

Config: ``url`` (webhook URL with ``access_token``) or ``access_token`` (+ ``base_url``),
``secret`` (the robot's SEC... signing secret), optional ``at_mobiles`` / ``at_all``
(DingTalk @-mentions; the numbers are appended to the text as it requires).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

import httpx
import msgspec

from alerts.notify.base import Message, Receiver, SendError
from alerts.notify.receivers.common import (
    BaseReceiver,
    Phone,
    ReceiverConfig,
    ReceiverType,
    check_robot_url,
    mask_phone,
    mask_secret_or_url,
    open_robot_url,
    open_secret,
    short,
)
from alerts.notify.receivers.http import json_object, new_client, raise_for_status, send
from alerts.notify.receivers.signing import dingtalk_sign
from alerts.notify.receivers.texts import truncate_utf8
from alerts.notify.secrets import Secret, masked

__all__ = ["TYPE", "DingtalkConfig", "DingtalkReceiver", "build"]

DEFAULT_BASE_URL: Final = "https://oapi.dingtalk.com/robot/send"
RETRYABLE_ERRCODES: Final = frozenset({-1, 130101})
# DingTalk publishes no byte limit for markdown; a digest is cut here, well below what
# robots were seen to accept.
MAX_TEXT_BYTES: Final = 18_000


class DingtalkConfig(
    ReceiverConfig, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="dingtalk"
):
    secret: Secret
    url: Secret | None = None
    access_token: Secret | None = None
    base_url: str = DEFAULT_BASE_URL
    at_mobiles: list[Phone] = msgspec.field(default_factory=list)
    at_all: bool = False

    def check(self) -> None:
        super().check()
        check_robot_url(self.url, self.access_token, self.base_url, "access_token")


class DingtalkReceiver(BaseReceiver[DingtalkConfig]):
    def __init__(self, config: DingtalkConfig, clock: Callable[[], float] = time.time) -> None:
        super().__init__(config)
        self._secret = open_secret(config, "secret", config.secret)
        self._url, self._token = open_robot_url(
            config, config.url, config.access_token, config.base_url, "access_token"
        )
        self._clock = clock
        self._client = new_client(config.timeout_s)

    def settings(self) -> dict[str, object]:
        url = self.config.url
        return {
            "url": mask_secret_or_url(url) if url is not None else None,
            "access_token": masked(self.config.access_token),
            "secret": masked(self.config.secret),
            "base_url": self.config.base_url,
            "at_mobiles": [mask_phone(m) for m in self.config.at_mobiles],
            "at_all": self.config.at_all,
        }

    def _body(self, message: Message) -> bytes:
        mentions = " ".join(f"@{m}" for m in self.config.at_mobiles)
        text = message.markdown or message.text
        text = truncate_utf8(text, MAX_TEXT_BYTES - len(mentions.encode()) - 2)
        if mentions:
            text = f"{text}\n\n{mentions}"
        body = {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": text},
            "at": {"atMobiles": list(self.config.at_mobiles), "isAtAll": self.config.at_all},
        }
        return msgspec.json.encode(body)

    async def send(self, message: Message) -> str:
        timestamp = int(self._clock() * 1000)
        # DingTalk's own example appends the already URL-encoded sign to the URL by hand;
        # httpx would encode it once more, so the query is built here.
        query = httpx.QueryParams(self._token | {"timestamp": str(timestamp)})
        url = httpx.URL(self._url).copy_merge_params(query)
        url = httpx.URL(str(url) + "&sign=" + dingtalk_sign(self._secret, timestamp))
        request = self._client.build_request(
            "POST", url, content=self._body(message), headers={"Content-Type": "application/json"}
        )
        response = await send(self._client, request)
        raise_for_status(response)
        answer = json_object(response)
        code = answer.get("errcode")
        if code == 0:
            return "errcode 0"
        detail = f"errcode {code}: {short(str(answer.get('errmsg', '')))}"
        raise SendError(detail, retryable=code in RETRYABLE_ERRCODES)

    async def close(self) -> None:
        await self._client.aclose()


def build(config: DingtalkConfig) -> Receiver:
    return DingtalkReceiver(config)


TYPE = ReceiverType(DingtalkConfig, build)
