"""HTTP for the receivers: one ``httpx.AsyncClient`` each, and one place that turns
transport failures and HTTP statuses into :class:`SendError` with ``retryable`` set.

- retryable: connection refused/reset, timeouts, 408, 425, 429, 5xx;
- permanent: other 4xx, 3xx (a moved endpoint is a configuration fault), an unknown
  scheme, a TLS certificate that does not verify.

Details never contain the URL (it may carry a key); they carry the status and the
first characters of the answer, for the audit trail.
"""

from __future__ import annotations

import ssl
from typing import Any, Final

import httpx
import msgspec

from alerts.notify.base import SendError
from alerts.notify.receivers.common import as_str_dict, mask_url, short

__all__ = [
    "RETRYABLE_STATUSES",
    "USER_AGENT",
    "json_object",
    "new_client",
    "raise_for_status",
    "send",
]

USER_AGENT: Final = "lifeline-notify/1"
RETRYABLE_STATUSES: Final = frozenset({408, 425, 429})


def new_client(timeout_s: float, tls: ssl.SSLContext | None = None) -> httpx.AsyncClient:
    """A client for one receiver: its timeout, no redirects, the system CAs (or ``tls``)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        verify=tls if tls is not None else True,
        headers={"User-Agent": USER_AGENT},
    )


def _certificate_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


async def send(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """Send ``request``; transport failures become :class:`SendError`."""
    try:
        return await client.send(request)
    except httpx.TimeoutException as exc:
        raise SendError(f"timeout ({type(exc).__name__})", retryable=True) from exc
    except httpx.UnsupportedProtocol as exc:
        raise SendError(f"unsupported URL scheme: {exc}", retryable=False) from exc
    except httpx.TransportError as exc:
        if (failure := _certificate_failure(exc)) is not None:
            detail = f"TLS certificate not trusted: {failure.verify_message}"
            raise SendError(detail, retryable=False) from exc
        raise SendError(f"connection failed: {type(exc).__name__}: {exc}", retryable=True) from exc
    except httpx.InvalidURL as exc:
        raise SendError(f"invalid URL: {exc}", retryable=False) from exc


def raise_for_status(response: httpx.Response) -> None:
    """Return on 2xx; else raise :class:`SendError`, retryable for 408/425/429/5xx."""
    status = response.status_code
    if 200 <= status < 300:
        return
    retryable = status in RETRYABLE_STATUSES or status >= 500
    body = short(response.text) if response.content else ""
    detail = f"HTTP {status}" + (f": {body}" if body else "")
    if 300 <= status < 400:
        location = mask_url(response.headers.get("location", "?"))
        detail += f" (redirect to {location}; fix the URL)"
    raise SendError(detail, retryable=retryable)


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer as a JSON object; a 2xx that is not one is a permanent fault."""
    try:
        decoded = msgspec.json.decode(response.content)
    except msgspec.DecodeError as exc:
        detail = f"HTTP {response.status_code}, not JSON: {short(response.text)}"
        raise SendError(detail, retryable=False) from exc
    if not isinstance(decoded, dict):
        raise SendError(f"HTTP {response.status_code}, not a JSON object", retryable=False)
    return as_str_dict(decoded)
