"""``sms``: a text message through Aliyun SMS or Tencent Cloud SMS (``provider``).

Both send only approved templates: the message fills the fixed variables of
``texts.template_params`` (event, source, district, level, value, time; the template
texts to register are in alerts/notify/README.md). Aliyun takes them by name
(``TemplateParam`` JSON, ``${source}``), Tencent by position (``TemplateParamSet``,
``{1}``..``{6}`` in ``TEMPLATE_VARIABLES`` order).

- ``aliyun``: one ``SendSms`` for every number (``PhoneNumbers`` comma-joined),
  ``OutId`` = the message key (the delivery receipt carries it back). Aliyun SMS has no
  idempotency: a retry after a timeout may send twice, which beats a missed gas alarm.
- ``tencent``: one ``SendSms`` with ``PhoneNumberSet`` (+86...), ``SessionContext`` =
  the key; a number that failed alone is retried alone (``common.Settled``).

Config: ``provider``, ``phones``, ``sign_name`` (签名), ``template`` (Aliyun
TemplateCode ``SMS_...`` / Tencent TemplateId), ``access_key_id`` +
``access_key_secret`` (Tencent: SecretId + SecretKey), ``sdk_app_id`` (Tencent
SmsSdkAppId), optional ``region``, ``endpoint``, ``param_max_len``.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

import msgspec
from msgspec import Meta

from alerts.notify.base import Message, Receiver
from alerts.notify.receivers import aliyun, tencent
from alerts.notify.receivers.common import (
    BaseReceiver,
    Phone,
    ReceiverConfig,
    ReceiverType,
    Settled,
    mask_phone,
    open_secret,
)
from alerts.notify.receivers.http import new_client
from alerts.notify.receivers.texts import TEMPLATE_VARIABLES, template_params
from alerts.notify.secrets import Secret, masked

__all__ = ["TYPE", "SmsConfig", "SmsReceiver", "build"]

DEFAULT_ENDPOINTS: Final = {"aliyun": "dysmsapi.aliyuncs.com", "tencent": tencent.DEFAULT_ENDPOINT}
DEFAULT_REGIONS: Final = {"aliyun": aliyun.DEFAULT_REGION, "tencent": tencent.DEFAULT_REGION}
# Aliyun: 1-35 characters per variable of a notification template. Tencent's limit
# depends on the account; set param_max_len to what the approved template allows.
DEFAULT_PARAM_MAX_LEN: Final = {"aliyun": 35, "tencent": 20}
MAX_OUT_ID: Final = 255  # Aliyun: OutId shorter than 256 characters


class SmsConfig(ReceiverConfig, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="sms"):
    provider: Literal["aliyun", "tencent"]
    phones: Annotated[list[Phone], Meta(min_length=1, max_length=200)]
    sign_name: str
    template: str
    access_key_id: Secret
    access_key_secret: Secret
    sdk_app_id: str | None = None
    region: str | None = None
    endpoint: str | None = None
    param_max_len: Annotated[int, Meta(ge=4, le=500)] | None = None

    def check(self) -> None:
        super().check()
        if self.provider == "tencent" and not self.sdk_app_id:
            raise ValueError("provider tencent needs sdk_app_id (the SmsSdkAppId, 1400...)")
        if self.provider == "aliyun" and self.sdk_app_id is not None:
            raise ValueError("sdk_app_id is Tencent's; Aliyun has none")
        if len(set(self.phones)) != len(self.phones):
            raise ValueError("phones: a number is listed twice")

    @property
    def max_len(self) -> int:
        return self.param_max_len or DEFAULT_PARAM_MAX_LEN[self.provider]


class SmsReceiver(BaseReceiver[SmsConfig]):
    def __init__(self, config: SmsConfig) -> None:
        super().__init__(config)
        key_id = open_secret(config, "access_key_id", config.access_key_id)
        key_secret = open_secret(config, "access_key_secret", config.access_key_secret)
        endpoint = config.endpoint or DEFAULT_ENDPOINTS[config.provider]
        region = config.region or DEFAULT_REGIONS[config.provider]
        self._client = new_client(config.timeout_s)
        if config.provider == "aliyun":
            self._aliyun = aliyun.AliyunRpc(self._client, endpoint, key_id, key_secret, region)
            self._send = self._send_aliyun
        else:
            self._tencent = tencent.TencentSms(self._client, endpoint, key_id, key_secret, region)
            self._send = self._send_tencent
        self._settled = Settled()

    def settings(self) -> dict[str, object]:
        c = self.config
        return {
            "provider": c.provider,
            "phones": [mask_phone(p) for p in c.phones],
            "sign_name": c.sign_name,
            "template": c.template,
            "access_key_id": masked(c.access_key_id),
            "access_key_secret": masked(c.access_key_secret),
            "sdk_app_id": c.sdk_app_id,
            "region": c.region or DEFAULT_REGIONS[c.provider],
            "endpoint": c.endpoint or DEFAULT_ENDPOINTS[c.provider],
            "template_params": list(TEMPLATE_VARIABLES),
        }

    async def send(self, message: Message) -> str:
        params = template_params(message, self.config.zone(), self.config.max_len)
        return await self._send(message, params)

    async def _send_aliyun(self, message: Message, params: dict[str, str]) -> str:
        answer = await self._aliyun.call(
            "SendSms",
            {
                "PhoneNumbers": ",".join(self.config.phones),
                "SignName": self.config.sign_name,
                "TemplateCode": self.config.template,
                "TemplateParam": msgspec.json.encode(params).decode(),
                "OutId": message.key[:MAX_OUT_ID],
            },
        )
        return f"OK BizId {answer.get('BizId', '')}".strip()

    async def _send_tencent(self, message: Message, params: dict[str, str]) -> str:
        numbers = ["+86" + p.removeprefix("+86") for p in self.config.phones]
        pending = self._settled.pending(message.key, numbers)
        if not pending:
            return "every number already reached"
        results = await self._tencent.send_sms(
            numbers=pending,
            app_id=self.config.sdk_app_id or "",
            sign_name=self.config.sign_name,
            template_id=self.config.template,
            params=[params[name] for name in TEMPLATE_VARIABLES],
            context=message.key,
        )
        return self._settled.settle(message.key, results)

    async def close(self) -> None:
        await self._client.aclose()


def build(config: SmsConfig) -> Receiver:
    return SmsReceiver(config)


TYPE = ReceiverType(SmsConfig, build)
