"""InfluxDB's 1.x-compatible HTTP API: ``/write``, ``/query`` and ``/ping``.

Speaks to InfluxDB 1.x, to 2.x through its v1 compatibility endpoints (database =
a DBRP-mapped bucket) and to 3.x Core. Credentials: ``token`` is sent as
``Authorization: Token <token>`` (2.x/3.x); ``username``/``password`` as HTTP Basic
auth (1.x, or 2.x with a v1 authorization). This module is the one boundary where
httpx errors become Lifeline errors:

- connection errors, timeouts, 5xx and 429 -> :class:`StoreUnavailableError`;
- any other non-2xx status, or an error inside a query result -> :class:`StoreRequestError`.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Sequence
from typing import Final

import httpx
import msgspec

from lifeline.core.errors import ConfigError
from store.errors import StoreRequestError, StoreUnavailableError

__all__ = ["InfluxHttp", "Row", "Series"]

_GZIP_LEVEL: Final = 1  # line protocol shrinks ~10x already; level 1 keeps the CPU cost low
_GZIP_IN_THREAD: Final = 256 * 1024  # bodies larger than this are compressed off the loop
_BODY_SHOWN: Final = 2000  # characters of an error body kept in the exception

Row = list[int | float | str | bool | None]


class Series(msgspec.Struct, frozen=True):
    """One series of a query result: rows of ``columns`` (``time`` first)."""

    name: str = ""
    tags: dict[str, str] = {}
    columns: list[str] = []
    values: list[Row] = []


class _Statement(msgspec.Struct, frozen=True):
    statement_id: int = 0
    series: list[Series] = []
    error: str | None = None


class _Response(msgspec.Struct, frozen=True):
    results: list[_Statement] = []
    error: str | None = None


_decode_response = msgspec.json.Decoder(_Response).decode


class InfluxHttp:
    """An HTTP client bound to one InfluxDB database.

    ``client`` may be shared (it is not closed by :meth:`close`); every request carries
    its own ``timeout_s``.
    """

    def __init__(
        self,
        url: str,
        database: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"InfluxDB URL must start with http:// or https://, not {url!r}")
        if not database:
            raise ConfigError("InfluxDB database name is empty")
        if token is not None and (username is not None or password is not None):
            raise ConfigError("give an InfluxDB token or a username/password, not both")
        if (username is None) != (password is None):
            raise ConfigError("an InfluxDB username needs a password and vice versa")
        if timeout_s <= 0:
            raise ConfigError("timeout_s must be positive")
        self.url = url.rstrip("/")
        self.database = database
        self._timeout = httpx.Timeout(timeout_s)
        self._headers = {} if token is None else {"Authorization": f"Token {token}"}
        self._auth = (
            None if username is None or password is None else httpx.BasicAuth(username, password)
        )
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient()
        self._closed = False

    async def write(self, lines: Sequence[str]) -> None:
        """POST ``lines`` gzip-compressed; returns after InfluxDB answered 204."""
        body = "\n".join(lines).encode()
        if len(body) > _GZIP_IN_THREAD:
            payload = await asyncio.to_thread(gzip.compress, body, _GZIP_LEVEL)
        else:
            payload = gzip.compress(body, _GZIP_LEVEL)
        headers = {
            **self._headers,
            "Content-Encoding": "gzip",
            "Content-Type": "text/plain; charset=utf-8",
        }
        params = {"db": self.database, "precision": "ms"}
        response = await self._send(
            "POST", "/write", params=params, content=payload, headers=headers
        )
        if response.status_code != 204:
            raise StoreRequestError("InfluxDB write refused", response.status_code, _text(response))

    async def query(self, statement: str) -> list[Series]:
        """Run one InfluxQL statement with ``epoch=ms``; its series (empty when none)."""
        params = {"db": self.database, "epoch": "ms"}
        response = await self._send(
            "POST", "/query", params=params, data={"q": statement}, headers=self._headers
        )
        if response.status_code != 200:
            raise StoreRequestError("InfluxDB query refused", response.status_code, _text(response))
        try:
            decoded = _decode_response(response.content)
        except msgspec.DecodeError as exc:
            raise StoreRequestError(
                "InfluxDB query answer unreadable", 200, _text(response)
            ) from exc
        errors = [decoded.error, *(s.error for s in decoded.results)]
        if any(errors):
            message = "; ".join(e for e in errors if e)
            raise StoreRequestError(f"InfluxDB query failed ({statement[:200]})", 200, message)
        return [
            series for statement_result in decoded.results for series in statement_result.series
        ]

    async def ping(self) -> None:
        """Raise :class:`StoreUnavailableError` unless ``/ping`` answers 204."""
        response = await self._send("GET", "/ping", headers=self._headers)
        if response.status_code != 204:
            raise StoreUnavailableError(f"InfluxDB ping answered HTTP {response.status_code}")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._owns_client:
            await self._client.aclose()

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str],
    ) -> httpx.Response:
        if self._closed:
            raise RuntimeError(f"InfluxDB store {self.url} is closed")
        try:
            response = await self._client.request(
                method,
                self.url + path,
                params=params,
                content=content,
                data=data,
                headers=headers,
                auth=self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT,
                timeout=self._timeout,
            )
        except httpx.TransportError as exc:  # connect errors, timeouts, broken connections
            raise StoreUnavailableError(
                f"InfluxDB at {self.url} unreachable: {type(exc).__name__}: {exc}"
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise StoreUnavailableError(
                f"InfluxDB at {self.url} failing: HTTP {response.status_code}: {_text(response)}"
            )
        return response


def _text(response: httpx.Response) -> str:
    return response.text[:_BODY_SHOWN]
