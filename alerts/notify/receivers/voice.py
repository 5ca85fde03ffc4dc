"""``voice``: a phone call that reads the alert out (Aliyun 语音服务, ``SingleCallByTts``).

One call per number, all numbers at once; each call fills the TTS template's variables
with ``texts.template_params`` (``TtsParam`` JSON; the template text to register is in
alerts/notify/README.md). ``OutId`` carries the message key (cut to 255 characters)
back in the call receipt. A number whose call failed alone is called again alone on the
retry (``common.Settled``): nobody is rung twice for one message. Aliyun limits calls
to one number (1 a minute, 5 an hour, 20 a day): ``isv.BUSINESS_LIMIT_CONTROL`` is
retried later.

Config: ``provider: aliyun``, ``phones`` (mobile or landline with area code),
``tts_code`` (TTS_...), ``called_show_number`` (the number shown; omit for the public
number pool), ``access_key_id`` + ``access_key_secret``, ``play_times`` (1-3), optional
``region``, ``endpoint``, ``param_max_len``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Final, Literal

import msgspec
from msgspec import Meta

from alerts.notify.base import Message, Receiver, SendError
from alerts.notify.receivers import aliyun
from alerts.notify.receivers.common import (
    BaseReceiver,
    CallNumber,
    ReceiverConfig,
    ReceiverType,
    Settled,
    mask_phone,
    open_secret,
)
from alerts.notify.receivers.http import new_client
from alerts.notify.receivers.texts import TEMPLATE_VARIABLES, template_params
from alerts.notify.secrets import Secret, masked

__all__ = ["TYPE", "VoiceConfig", "VoiceReceiver", "build"]

DEFAULT_ENDPOINT: Final = "dyvmsapi.aliyuncs.com"
MAX_OUT_ID: Final = 255


class VoiceConfig(
    ReceiverConfig, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="voice"
):
    phones: Annotated[list[CallNumber], Meta(min_length=1, max_length=20)]
    tts_code: str
    access_key_id: Secret
    access_key_secret: Secret
    provider: Literal["aliyun"] = "aliyun"
    called_show_number: str | None = None
    play_times: Annotated[int, Meta(ge=1, le=3)] = 2
    region: str = aliyun.DEFAULT_REGION
    endpoint: str = DEFAULT_ENDPOINT
    param_max_len: Annotated[int, Meta(ge=4, le=500)] = 35

    def check(self) -> None:
        super().check()
        if len(set(self.phones)) != len(self.phones):
            raise ValueError("phones: a number is listed twice")


class VoiceReceiver(BaseReceiver[VoiceConfig]):
    def __init__(self, config: VoiceConfig) -> None:
        super().__init__(config)
        key_id = open_secret(config, "access_key_id", config.access_key_id)
        key_secret = open_secret(config, "access_key_secret", config.access_key_secret)
        self._client = new_client(config.timeout_s)
        self._rpc = aliyun.AliyunRpc(
            self._client, config.endpoint, key_id, key_secret, config.region
        )
        self._settled = Settled()

    def settings(self) -> dict[str, object]:
        c = self.config
        return {
            "provider": c.provider,
            "phones": [mask_phone(p) for p in c.phones],
            "tts_code": c.tts_code,
            "called_show_number": c.called_show_number,
            "play_times": c.play_times,
            "access_key_id": masked(c.access_key_id),
            "access_key_secret": masked(c.access_key_secret),
            "region": c.region,
            "endpoint": c.endpoint,
            "template_params": list(TEMPLATE_VARIABLES),
        }

    async def _call(self, number: str, tts_param: str, out_id: str) -> str:
        params = {
            "CalledNumber": number.removeprefix("+86"),
            "TtsCode": self.config.tts_code,
            "TtsParam": tts_param,
            "PlayTimes": str(self.config.play_times),
            "OutId": out_id,
        }
        if self.config.called_show_number:
            params["CalledShowNumber"] = self.config.called_show_number
        answer = await self._rpc.call("SingleCallByTts", params)
        return f"OK CallId {answer.get('CallId', '')}".strip()

    async def send(self, message: Message) -> str:
        pending = self._settled.pending(message.key, self.config.phones)
        if not pending:
            return "every number already called"
        params = template_params(message, self.config.zone(), self.config.param_max_len)
        tts_param = msgspec.json.encode(params).decode()
        out_id = message.key[:MAX_OUT_ID]
        outcomes = await asyncio.gather(
            *(self._call(number, tts_param, out_id) for number in pending),
            return_exceptions=True,
        )
        results: dict[str, str | SendError] = {}
        for number, outcome in zip(pending, outcomes, strict=True):
            if isinstance(outcome, SendError | str):
                results[number] = outcome
            elif isinstance(outcome, Exception):  # a bug: keep the calls that went out
                detail = f"unexpected {type(outcome).__name__}: {outcome}"
                results[number] = SendError(detail, retryable=True)
            else:
                raise outcome  # cancelled
        return self._settled.settle(message.key, results)

    async def close(self) -> None:
        await self._client.aclose()


def build(config: VoiceConfig) -> Receiver:
    return VoiceReceiver(config)


TYPE = ReceiverType(VoiceConfig, build)
