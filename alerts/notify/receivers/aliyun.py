"""Aliyun (阿里云) RPC-style API calls, shared by ``sms`` (dysmsapi ``SendSms``) and
``voice`` (dyvmsapi ``SingleCallByTts``).

A call is a form POST of the action's parameters plus the common ones (``Format``
JSON, ``Version`` 2017-05-25, ``AccessKeyId``, ``SignatureMethod`` HMAC-SHA1,
``Timestamp`` ISO 8601 UTC, ``SignatureVersion`` 1.0, a fresh ``SignatureNonce``,
``RegionId``), signed with ``signing.aliyun_signature``. The answer's ``Code`` "OK" is
success; ``isv.BUSINESS_LIMIT_CONTROL`` (a number's send or call rate), ``Throttling*``,
``isp.SYSTEM_ERROR`` and ``ServiceUnavailable`` are worth a retry; every other code
(``SignatureDoesNotMatch``, ``InvalidAccessKeyId.NotFound``, ``isv.MOBILE_NUMBER_ILLEGAL``,
``isv.SMS_TEMPLATE_ILLEGAL``, ...) is not.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from alerts.notify.base import SendError
from alerts.notify.receivers.common import short
from alerts.notify.receivers.http import json_object, raise_for_status, send
from alerts.notify.receivers.signing import aliyun_signature

__all__ = ["API_VERSION", "AliyunRpc", "endpoint_url", "is_retryable_code"]

API_VERSION: Final = "2017-05-25"
DEFAULT_REGION: Final = "cn-hangzhou"
_RETRYABLE_CODES: Final = frozenset(
    {"isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "ServiceUnavailable"}
)


def is_retryable_code(code: str) -> bool:
    return code in _RETRYABLE_CODES or code.startswith("Throttling")


def endpoint_url(endpoint: str) -> str:
    """``dysmsapi.aliyuncs.com`` -> ``https://dysmsapi.aliyuncs.com/``; a URL stays."""
    url = endpoint if "://" in endpoint else f"https://{endpoint}"
    return url.rstrip("/") + "/"


def _nonce() -> str:
    return uuid.uuid4().hex


class AliyunRpc:
    """Signed calls to one Aliyun product endpoint with one AccessKey."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        endpoint: str,
        access_key_id: str,
        access_key_secret: str,
        region: str = DEFAULT_REGION,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = _nonce,
    ) -> None:
        self._client = client
        self._url = endpoint_url(endpoint)
        self._key_id = access_key_id
        self._key_secret = access_key_secret
        self._region = region
        self._clock = clock
        self._nonce = nonce

    def signed_params(self, action: str, params: Mapping[str, str]) -> dict[str, str]:
        """Every parameter of the request, ``Signature`` included."""
        timestamp = datetime.fromtimestamp(self._clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        signed = {
            "Action": action,
            "Format": "JSON",
            "Version": API_VERSION,
            "AccessKeyId": self._key_id,
            "SignatureMethod": "HMAC-SHA1",
            "Timestamp": timestamp,
            "SignatureVersion": "1.0",
            "SignatureNonce": self._nonce(),
            "RegionId": self._region,
            **params,
        }
        signed["Signature"] = aliyun_signature(self._key_secret, "POST", signed)
        return signed

    async def call(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The answer of a call whose ``Code`` is "OK"; else :class:`SendError`."""
        request = self._client.build_request(
            "POST", self._url, data=self.signed_params(action, params)
        )
        response = await send(self._client, request)
        if not response.content.lstrip().startswith(b"{"):
            raise_for_status(response)  # a proxy's or gateway's error page
        answer = json_object(response)
        code = str(answer.get("Code", ""))
        if code == "OK" and response.is_success:
            return answer
        message = short(str(answer.get("Message", "")))
        retryable = is_retryable_code(code) or response.status_code >= 500
        detail = f"{action} HTTP {response.status_code} {code or '(no Code)'}: {message}"
        raise SendError(detail, retryable=retryable)
