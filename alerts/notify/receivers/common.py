"""What every receiver type shares: the common config fields and checks, the receiver
base class, masking for ``describe()`` and a memory of partial deliveries.

A receiver type's config is a :class:`ReceiverConfig` subclass tagged with its
``type:`` in the notify file. ``check()`` validates what a type cannot say in field
types (raises ``ValueError`` with the reason; subclasses call ``super().check()``).
"""

from __future__ import annotations

import re
import ssl
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Final, Generic, Literal, NamedTuple, TypeVar
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec import Meta

from alerts.notify.base import Receiver, SendError
from alerts.notify.secrets import Secret, masked, reveal
from lifeline.core.errors import ConfigError

__all__ = [
    "BaseReceiver",
    "CallNumber",
    "Phone",
    "ReceiverConfig",
    "ReceiverName",
    "ReceiverType",
    "Settled",
    "check_http_url",
    "check_robot_url",
    "mask_phone",
    "mask_url",
    "open_robot_url",
    "open_secret",
    "tls_context",
]

ReceiverName = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Timeout = Annotated[float, Meta(gt=0.0, le=120.0)]
# Mainland mobile numbers, with or without +86 (what Aliyun and Tencent SMS take).
Phone = Annotated[str, Meta(pattern=r"^(\+86)?1[3-9][0-9]{9}$")]
# A voice call may also ring a landline with its area code (0571...).
CallNumber = Annotated[str, Meta(pattern=r"^(\+86)?(1[3-9][0-9]{9}|0[1-9][0-9]{8,10})$")]

_URL_SECRET_PARAMS: Final = frozenset({"key", "access_token", "token", "sign", "secret"})


class ReceiverConfig(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, tag_field="type"
):
    """Fields every receiver has; each type subclasses it with ``tag="<type>"``."""

    name: ReceiverName
    lang: Literal["zh-CN", "en"] = "zh-CN"
    tz: str = "Asia/Shanghai"
    timeout_s: Timeout = 10.0

    @property
    def type(self) -> str:
        tag = type(self).__struct_config__.tag
        return str(tag)

    def check(self) -> None:
        """Semantic checks; raises ``ValueError`` with the reason."""
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"tz {self.tz!r} is not a known time zone (e.g. Asia/Shanghai)"
            ) from exc

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


C = TypeVar("C", bound=ReceiverConfig)


class ReceiverType(NamedTuple):
    """One registry entry: the config Struct and the builder of its receiver."""

    config: type[ReceiverConfig]
    build: Callable[[Any], Receiver]

    @property
    def name(self) -> str:
        return str(self.config.__struct_config__.tag)


class BaseReceiver(Generic[C]):
    """``name``, ``type``, ``describe()`` and ``close()`` for a receiver of config ``C``."""

    def __init__(self, config: C) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def type(self) -> str:
        return self.config.type

    def describe(self) -> dict[str, object]:
        common: dict[str, object] = {
            "name": self.name,
            "type": self.type,
            "lang": self.config.lang,
            "tz": self.config.tz,
            "timeout_s": self.config.timeout_s,
        }
        return common | self.settings()

    def settings(self) -> dict[str, object]:
        """The type's own settings for ``describe()``, secrets masked."""
        return {}

    async def close(self) -> None:
        return None


def open_secret(config: ReceiverConfig, field: str, secret: Secret) -> str:
    """Reveal ``secret`` with an error naming the receiver and the field."""
    return reveal(secret, f"receiver {config.name!r}: {field}")


def tls_context(config: ReceiverConfig, ca_file: str | None) -> ssl.SSLContext:
    """The system's CAs, or ``ca_file`` (a private CA); :class:`ConfigError` if unusable."""
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"receiver {config.name!r}: ca_file {ca_file}: {exc}") from exc


def check_http_url(url: str, field: str = "url") -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{field} {mask_url(url)!r} is not an http(s) URL")


def mask_url(url: str) -> str:
    """``url`` with its password and secret-looking query values replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = [
        (k, "***" if k.lower() in _URL_SECRET_PARAMS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*"), ""))


def mask_secret_or_url(secret: Secret) -> str | None:
    """A URL that may carry a key: a literal is shown masked, a reference as its source."""
    return mask_url(secret) if isinstance(secret, str) else masked(secret)


def mask_phone(number: str) -> str:
    """``138****0000``: enough to tell numbers apart in an audit trail."""
    digits = re.sub(r"^\+86", "", number)
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


class Settled:
    """Recipients of a message already settled, for the last ``size`` message keys.

    A receiver that texts several numbers or calls them one by one can fail half-way;
    the retry (same :attr:`Message.key`) must reach the rest, not call the duty officer
    twice. A recipient is settled when reached or refused for good (a bad number is not
    worth retrying). In memory only: after a restart a retry starts over.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._done: OrderedDict[str, set[str]] = OrderedDict()

    def pending(self, key: str, recipients: Iterable[str]) -> list[str]:
        done = self._done.get(key, set())
        return [r for r in recipients if r not in done]

    def add(self, key: str, recipients: Iterable[str]) -> None:
        done = self._done.setdefault(key, set())
        done.update(recipients)
        self._done.move_to_end(key)
        while len(self._done) > self._size:
            self._done.popitem(last=False)

    def settle(self, key: str, results: Mapping[str, str | SendError]) -> str:
        """Record per-recipient ``results`` (a result, or the error); the summary, or
        :class:`SendError` if any failed (retryable if any failure may pass)."""
        self.add(key, [r for r, result in results.items() if not _retryable(result)])
        failed = {r: e for r, e in results.items() if isinstance(e, SendError)}
        if not failed:
            return "; ".join(f"{mask_phone(r)}: {result}" for r, result in results.items())
        detail = "; ".join(f"{mask_phone(r)}: {e.detail}" for r, e in failed.items())
        retryable = any(e.retryable for e in failed.values())
        raise SendError(f"{len(failed)} of {len(results)} failed: {detail}", retryable=retryable)


def _retryable(result: str | SendError) -> bool:
    return isinstance(result, SendError) and result.retryable


def short(text: str, limit: int = 200) -> str:
    """One line of at most ``limit`` characters, for an error detail."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def as_str_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def check_robot_url(url: Secret | None, token: Secret | None, base_url: str, param: str) -> None:
    """A chat robot is addressed by its whole webhook URL (``url``, with ``?{param}=``) or
    by its token alone (``token``, sent to ``base_url``): exactly one of them."""
    if (url is None) == (token is None):
        raise ValueError(f"give either url (with ?{param}=) or {param}")
    check_http_url(base_url, "base_url")
    if isinstance(url, str):
        check_http_url(url)
        if not parse_qs(urlsplit(url).query).get(param):
            raise ValueError(f"url has no ?{param}= (copy the robot's whole webhook URL)")


def open_robot_url(
    config: ReceiverConfig, url: Secret | None, token: Secret | None, base_url: str, param: str
) -> tuple[str, dict[str, str]]:
    """The robot's URL and extra query parameters, secrets revealed (see ``check``)."""
    if url is not None:
        return open_secret(config, "url", url), {}
    assert token is not None  # check_robot_url: exactly one
    return base_url, {param: open_secret(config, param, token)}
