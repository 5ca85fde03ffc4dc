"""``wecom``: a WeCom (企业微信) group robot, markdown message.

POST ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`` with
``{"msgtype": "markdown", "markdown": {"content": ...}}``; the content is at most 4096
bytes of UTF-8 (cut on a character boundary). The answer's ``errcode`` 0 is delivered;
45009 (api freq out of limit) and -1 (system busy) are worth a retry, any other code is
not (93000: invalid webhook URL, 40058: content too long, ...). The robot takes no
idempotency key; ``Message.key`` is not sent.

Config: ``url`` (the robot's full webhook URL, key included) or ``key`` (+ ``base_url``);
either may be a secret reference.
"""

from __future__ import annotations

from typing import Final

import httpx
import msgspec

from alerts.notify.base import Message, Receiver, SendError
from alerts.notify.receivers.common import (
    BaseReceiver,
    ReceiverConfig,
    ReceiverType,
    check_robot_url,
    mask_secret_or_url,
    open_robot_url,
    short,
)
from alerts.notify.receivers.http import json_object, new_client, raise_for_status, send
from alerts.notify.receivers.texts import truncate_utf8
from alerts.notify.secrets import Secret, masked

__all__ = ["MAX_CONTENT_BYTES", "TYPE", "WecomConfig", "WecomReceiver", "build"]

DEFAULT_BASE_URL: Final = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
MAX_CONTENT_BYTES: Final = 4096
RETRYABLE_ERRCODES: Final = frozenset({-1, 45009})


class WecomConfig(
    ReceiverConfig, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="wecom"
):
    url: Secret | None = None
    key: Secret | None = None
    base_url: str = DEFAULT_BASE_URL

    def check(self) -> None:
        super().check()
        check_robot_url(self.url, self.key, self.base_url, "key")


class WecomReceiver(BaseReceiver[WecomConfig]):
    def __init__(self, config: WecomConfig) -> None:
        super().__init__(config)
        self._url, self._params = open_robot_url(
            config, config.url, config.key, config.base_url, "key"
        )
        self._client = new_client(config.timeout_s)

    def settings(self) -> dict[str, object]:
        url = self.config.url
        return {
            "url": mask_secret_or_url(url) if url is not None else None,
            "key": masked(self.config.key),
            "base_url": self.config.base_url,
        }

    async def send(self, message: Message) -> str:
        content = truncate_utf8(message.markdown or message.text, MAX_CONTENT_BYTES)
        body = {"msgtype": "markdown", "markdown": {"content": content}}
        # httpx's params= would replace the URL's own query (the robot's key): merge
        url = httpx.URL(self._url).copy_merge_params(self._params)
        request = self._client.build_request(
            "POST",
            url,
            content=msgspec.json.encode(body),
            headers={"Content-Type": "application/json"},
        )
        response = await send(self._client, request)
        raise_for_status(response)
        return _errcode_result(response)

    async def close(self) -> None:
        await self._client.aclose()


def _errcode_result(response: httpx.Response) -> str:
    answer = json_object(response)
    code = answer.get("errcode")
    if code == 0:
        return "errcode 0"
    detail = f"errcode {code}: {short(str(answer.get('errmsg', '')))}"
    raise SendError(detail, retryable=code in RETRYABLE_ERRCODES)


def build(config: WecomConfig) -> Receiver:
    return WecomReceiver(config)


TYPE = ReceiverType(WecomConfig, build)
