"""Request signing of the vendors' public APIs, as their documentation specifies.

Pure functions (the clock and the nonce are arguments), checked against the worked
examples the vendors publish (tests/notify/test_signing.py):

- DingTalk custom robot (加签): ``sign = urlencode(base64(HMAC-SHA256(secret,
  f"{timestamp_ms}\\n{secret}")))``.
- Aliyun RPC signature version 1.0 (dysmsapi, dyvmsapi): HMAC-SHA1 over
  ``METHOD&%2F&percent(canonical query)`` keyed with ``AccessKeySecret + "&"``.
- Tencent Cloud API 3.0, TC3-HMAC-SHA256: a canonical request over the
  ``content-type;host`` headers and the body's SHA-256, a credential scope
  ``date/service/tc3_request`` and a key derived from ``"TC3" + SecretKey``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote, quote_plus

__all__ = [
    "TC3_ALGORITHM",
    "aliyun_percent",
    "aliyun_signature",
    "aliyun_string_to_sign",
    "dingtalk_sign",
    "tc3_authorization",
]

TC3_ALGORITHM: Final = "TC3-HMAC-SHA256"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` query value (already URL-encoded, as DingTalk's example sends it)."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def aliyun_percent(value: str) -> str:
    """Aliyun's percent-encoding: RFC 3986 unreserved kept, space %20, ``*`` %2A, ``~`` kept."""
    return quote(value, safe="~")


def aliyun_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(
        f"{aliyun_percent(k)}={aliyun_percent(v)}" for k, v in sorted(params.items())
    )
    return f"{method.upper()}&{aliyun_percent('/')}&{aliyun_percent(canonical)}"


def aliyun_signature(access_key_secret: str, method: str, params: Mapping[str, str]) -> str:
    """The ``Signature`` parameter of an RPC request (``params`` without ``Signature``)."""
    key = (access_key_secret + "&").encode()
    message = aliyun_string_to_sign(method, params).encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha1).digest()).decode()


def _hmac256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tc3_authorization(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    content_type: str,
    payload: bytes,
    timestamp: int,
) -> str:
    """The ``Authorization`` header of a Tencent Cloud API 3.0 POST to ``/``."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host"
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            # names and values lower-cased and trimmed, as the canonical request wants
            f"content-type:{content_type.strip().lower()}\nhost:{host.strip().lower()}\n",
            signed_headers,
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [
            TC3_ALGORITHM,
            str(timestamp),
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = _hmac256(_hmac256(_hmac256(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"{TC3_ALGORITHM} Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
