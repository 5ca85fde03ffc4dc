"""Tencent Cloud (腾讯云) SMS, API 3.0 ``SendSms`` version 2021-01-11, TC3-HMAC-SHA256.

One JSON POST to ``/`` with ``X-TC-Action``, ``X-TC-Version``, ``X-TC-Timestamp``,
``X-TC-Region`` and the ``Authorization`` of ``signing.tc3_authorization``. The answer
is ``{"Response": {...}}``: an ``Error`` fails the whole request (``LimitExceeded*``,
``RequestLimitExceeded*`` and ``InternalError*`` are worth a retry, everything else,
e.g. ``AuthFailure.SignatureFailure``, is not); otherwise ``SendStatusSet`` has one
``Code`` per number, "Ok" when accepted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import httpx
import msgspec

from alerts.notify.base import SendError
from alerts.notify.receivers.common import as_str_dict, short
from alerts.notify.receivers.http import json_object, raise_for_status, send
from alerts.notify.receivers.signing import tc3_authorization

__all__ = ["DEFAULT_ENDPOINT", "TencentSms", "is_retryable_code"]

DEFAULT_ENDPOINT: Final = "sms.tencentcloudapi.com"
DEFAULT_REGION: Final = "ap-guangzhou"
API_VERSION: Final = "2021-01-11"
CONTENT_TYPE: Final = "application/json; charset=utf-8"
MAX_SESSION_CONTEXT: Final = 500  # "less than 512 bytes"; keys are ASCII


def is_retryable_code(code: str) -> bool:
    return code.startswith(("LimitExceeded", "RequestLimitExceeded", "InternalError"))


class TencentSms:
    """``SendSms`` with one SecretId/SecretKey pair."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        endpoint: str,
        secret_id: str,
        secret_key: str,
        region: str = DEFAULT_REGION,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._url = (endpoint if "://" in endpoint else f"https://{endpoint}").rstrip("/") + "/"
        self._host = urlsplit(self._url).netloc
        self._secret_id = secret_id
        self._secret_key = secret_key
        self._region = region
        self._clock = clock

    async def send_sms(
        self,
        *,
        numbers: Sequence[str],
        app_id: str,
        sign_name: str,
        template_id: str,
        params: Sequence[str],
        context: str,
    ) -> dict[str, str | SendError]:
        """Per E.164 number, the vendor's serial number or the number's error."""
        body = {
            "PhoneNumberSet": list(numbers),
            "SmsSdkAppId": app_id,
            "SignName": sign_name,
            "TemplateId": template_id,
            "TemplateParamSet": list(params),
            "SessionContext": context[:MAX_SESSION_CONTEXT],
        }
        payload = msgspec.json.encode(body)
        timestamp = int(self._clock())
        authorization = tc3_authorization(
            secret_id=self._secret_id,
            secret_key=self._secret_key,
            service="sms",
            host=self._host,
            content_type=CONTENT_TYPE,
            payload=payload,
            timestamp=timestamp,
        )
        headers = {
            "Authorization": authorization,
            "Content-Type": CONTENT_TYPE,
            "Host": self._host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": API_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self._region,
        }
        request = self._client.build_request("POST", self._url, content=payload, headers=headers)
        response = await send(self._client, request)
        raise_for_status(response)
        answer = as_str_dict(json_object(response).get("Response"))
        if error := as_str_dict(answer.get("Error")):
            code = str(error.get("Code", ""))
            detail = f"SendSms {code}: {short(str(error.get('Message', '')))}"
            raise SendError(detail, retryable=is_retryable_code(code))
        return _per_number(numbers, answer.get("SendStatusSet"))


def _per_number(numbers: Sequence[str], statuses: Any) -> dict[str, str | SendError]:
    results: dict[str, str | SendError] = {
        n: SendError("no status for this number", retryable=True) for n in numbers
    }
    for status in statuses if isinstance(statuses, list) else []:
        status = as_str_dict(status)
        number = str(status.get("PhoneNumber", ""))
        if number not in results:
            continue
        code = str(status.get("Code", ""))
        if code == "Ok":
            results[number] = f"Ok {status.get('SerialNo', '')}".strip()
        else:
            detail = f"{code}: {short(str(status.get('Message', '')))}"
            results[number] = SendError(detail, retryable=is_retryable_code(code))
    return results
