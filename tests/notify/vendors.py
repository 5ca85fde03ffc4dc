"""Loopback stand-ins for the vendors' HTTP APIs: real HTTP servers on free 127.0.0.1
ports (uvicorn + Starlette in the test's event loop) that play each API as its public
documentation describes and VERIFY what they receive.

These are the only stand-ins in the notification tests, and only because the public
clouds (WeCom, DingTalk, Aliyun, Tencent Cloud) cannot be reached from here. Each one
recomputes the vendor's signature with its own code, written from the vendor's docs
(not with ``alerts.notify.receivers.signing``), so a receiver's signing bug fails here:

- :class:`AlertmanagerWebhook`: the Alertmanager webhook v4 body (required fields and
  their types, endsAt vs status, common labels really common) + Lifeline's object,
  ``Idempotency-Key``, an optional bearer token.
- :class:`WecomRobot`: ``?key=``, ``msgtype`` markdown, content <= 4096 bytes UTF-8.
- :class:`DingtalkRobot`: ``access_token``, ``timestamp`` within one hour, ``sign``
  recomputed from the robot's secret (wrong -> errcode 310000), markdown title + text.
- :class:`AliyunApi`: RPC signature v1.0 (HMAC-SHA1) recomputed from the AccessKey
  secret (wrong -> HTTP 400 ``SignatureDoesNotMatch``), common and action parameters,
  ``SendSms`` and ``SingleCallByTts``, template variables against the registered ones.
- :class:`TencentSmsApi`: TC3-HMAC-SHA256 ``Authorization`` recomputed (wrong ->
  ``Response.Error`` ``AuthFailure.SignatureFailure``), ``SendSms`` 2021-01-11 body,
  one status per number.

Every stand-in records the requests it accepted (``accepted``) and can be told to
answer the next N requests with a given status and body (``fail_next``) or to answer
slowly (``delay_s``). E-mail has a real SMTP server instead (tests/notify/mailserver.py).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, quote

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.webhook_sink import serve_loopback

ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    raw_query: str
    query: dict[str, str]  # decoded once, as the vendor's server decodes it
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """GET query or POST form parameters (Aliyun RPC takes both)."""
        if self.method == "GET":
            return dict(self.query)
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass
class _Failure:
    status: int
    body: Any


@dataclass
class Vendor:
    """Base: one route, failure injection, a record of accepted requests."""

    path: str = "/"
    base_url: str = ""  # set once served
    accepted: list[Received] = field(default_factory=list)
    refused: list[tuple[Received, str]] = field(default_factory=list)
    delay_s: float = 0.0
    _failures: deque[_Failure] = field(default_factory=deque)

    def fail_next(self, count: int = 1, *, status: int = 503, body: Any = "unavailable") -> None:
        """Answer the next ``count`` requests with ``status`` and ``body`` (JSON if not str)."""
        self._failures.extend(_Failure(status, body) for _ in range(count))

    def app(self) -> Starlette:
        return Starlette(routes=[Route(self.path, self._endpoint, methods=["GET", "POST"])])

    async def _endpoint(self, request: Request) -> Response:
        received = Received(
            method=request.method,
            path=request.url.path,
            raw_query=request.url.query,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
        )
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self._failures:
            failure = self._failures.popleft()
            self.refused.append((received, f"injected {failure.status}"))
            if isinstance(failure.body, str):
                return Response(failure.body, status_code=failure.status)
            return JSONResponse(failure.body, status_code=failure.status)
        refusal, response = self.answer(received)
        if refusal is None:
            self.accepted.append(received)
        else:
            self.refused.append((received, refusal))
        return response

    def answer(self, received: Received) -> tuple[str | None, Response]:
        """(None, response) to accept, (reason, response) to refuse."""
        raise NotImplementedError


@asynccontextmanager
async def serving(vendor: Vendor) -> AsyncIterator[str]:
    """Serve ``vendor`` on a free loopback port; yields its base URL (also set as
    ``vendor.base_url``)."""
    async with serve_loopback(vendor.app()) as base:
        vendor.base_url = base
        yield base


def _rfc3339(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no zone")
    return parsed


# --- Alertmanager webhook v4 -------------------------------------------------------


class AmAlert(msgspec.Struct, forbid_unknown_fields=True):
    """One alert exactly as Alertmanager's webhook sends it."""

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str]
    startsAt: str  # noqa: N815 (the wire names)
    endsAt: str  # noqa: N815
    generatorURL: str  # noqa: N815
    fingerprint: str


class LifelineAlert(msgspec.Struct, forbid_unknown_fields=True):
    id: int
    state: str
    link: str


class LifelineFields(msgspec.Struct, forbid_unknown_fields=True):
    key: str
    kind: str
    route: str
    escalation_step: int
    title: str
    link: str
    navigation: str
    alerts: list[LifelineAlert]


class AmWebhook(msgspec.Struct, forbid_unknown_fields=True):
    """Alertmanager's webhook v4 body (every field required) + ``lifeline``."""

    version: Literal["4"]
    groupKey: str  # noqa: N815
    truncatedAlerts: int  # noqa: N815
    status: Literal["firing", "resolved"]
    receiver: str
    groupLabels: dict[str, str]  # noqa: N815
    commonLabels: dict[str, str]  # noqa: N815
    commonAnnotations: dict[str, str]  # noqa: N815
    externalURL: str  # noqa: N815
    alerts: list[AmAlert]
    lifeline: LifelineFields


def check_alertmanager(body: AmWebhook) -> None:
    """Alertmanager's invariants; raises ValueError."""
    if not body.alerts:
        raise ValueError("no alerts")
    for alert in body.alerts:
        if "alertname" not in alert.labels:
            raise ValueError("an alert without labels.alertname")
        started = _rfc3339(alert.startsAt)
        if alert.status == "firing" and alert.endsAt != ZERO_TIME:
            raise ValueError(f"firing alert with endsAt {alert.endsAt}")
        if alert.status == "resolved" and _rfc3339(alert.endsAt) < started:
            raise ValueError("resolved before it started")
        for name, value in body.commonLabels.items():
            if alert.labels.get(name) != value:
                raise ValueError(f"commonLabels {name} is not common")
        for name, value in body.commonAnnotations.items():
            if alert.annotations.get(name) != value:
                raise ValueError(f"commonAnnotations {name} is not common")
    if any(body.commonLabels.get(k) != v for k, v in body.groupLabels.items()):
        raise ValueError("groupLabels not among commonLabels")
    firing = any(a.status == "firing" for a in body.alerts)
    if body.status != ("firing" if firing else "resolved"):
        raise ValueError(f"status {body.status} but alerts firing: {firing}")
    if len(body.lifeline.alerts) != len(body.alerts):
        raise ValueError("lifeline.alerts does not match alerts")


@dataclass
class AlertmanagerWebhook(Vendor):
    path: str = "/hook"
    bearer_token: str | None = None

    def payloads(self) -> list[AmWebhook]:
        return [msgspec.json.decode(r.body, type=AmWebhook) for r in self.accepted]

    def answer(self, received: Received) -> tuple[str | None, Response]:
        expected_auth = f"Bearer {self.bearer_token}"
        if self.bearer_token is not None and received.headers.get("authorization") != expected_auth:
            return "bad token", Response("unauthorized", status_code=401)
        if not received.headers.get("content-type", "").startswith("application/json"):
            return "content-type", Response("want JSON", status_code=415)
        if not received.headers.get("idempotency-key"):
            return "no Idempotency-Key", Response("Idempotency-Key required", status_code=400)
        try:
            body = msgspec.json.decode(received.body, type=AmWebhook)
            check_alertmanager(body)
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
            return f"shape: {exc}", Response(f"bad payload: {exc}", status_code=400)
        if body.lifeline.key != received.headers["idempotency-key"]:
            return "key mismatch", Response("key mismatch", status_code=400)
        return None, Response(status_code=200)


# --- WeCom group robot -------------------------------------------------------------


@dataclass
class WecomRobot(Vendor):
    path: str = "/cgi-bin/webhook/send"
    key: str = "wecom-robot-key-0001"

    def contents(self) -> list[str]:
        return [r.json()["markdown"]["content"] for r in self.accepted]

    def answer(self, received: Received) -> tuple[str | None, Response]:
        def error(code: int, message: str) -> tuple[str, Response]:
            return message, JSONResponse({"errcode": code, "errmsg": message})

        if received.query.get("key") != self.key:
            return error(93000, "invalid webhook url")
        try:
            body = received.json()
        except ValueError:
            return error(40016, "invalid json")
        if body.get("msgtype") != "markdown" or not isinstance(body.get("markdown"), dict):
            return error(40008, "invalid message type")
        content = body["markdown"].get("content")
        if not isinstance(content, str) or not content:
            return error(44004, "empty content")
        if len(content.encode()) > 4096:
            return error(40058, "markdown.content exceed max length 4096")
        return None, JSONResponse({"errcode": 0, "errmsg": "ok"})


# --- DingTalk custom robot ---------------------------------------------------------


@dataclass
class DingtalkRobot(Vendor):
    path: str = "/robot/send"
    access_token: str = "dingtalk-access-token-0001"
    secret: str = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"

    def bodies(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.accepted]

    def answer(self, received: Received) -> tuple[str | None, Response]:
        def error(code: int, message: str) -> tuple[str, Response]:
            return message, JSONResponse({"errcode": code, "errmsg": message})

        if received.query.get("access_token") != self.access_token:
            return error(300001, "token is not exist")
        timestamp = received.query.get("timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time() * 1000) > 3_600_000:
            return error(310000, "invalid timestamp")
        # The robot's docs: HMAC-SHA256 keyed with the secret over "timestamp\nsecret",
        # base64, sent URL-encoded in the query (decoded once above).
        expected = base64.b64encode(
            hmac.new(
                self.secret.encode("utf-8"),
                f"{timestamp}\n{self.secret}".encode(),
                digestmod=hashlib.sha256,
            ).digest()
        ).decode()
        if not hmac.compare_digest(received.query.get("sign", ""), expected):
            return error(310000, "sign not match")
        body = received.json()
        markdown = body.get("markdown")
        if body.get("msgtype") != "markdown" or not isinstance(markdown, dict):
            return error(40035, "missing msgtype markdown")
        if not markdown.get("title") or not markdown.get("text"):
            return error(40035, "markdown needs title and text")
        return None, JSONResponse({"errcode": 0, "errmsg": "ok"})


# --- Aliyun RPC (dysmsapi SendSms, dyvmsapi SingleCallByTts) -----------------------


def aliyun_encode(value: str) -> str:
    """Aliyun's POP encoding: URL-encode as UTF-8, then '+' -> %20, '*' -> %2A, %7E -> '~'."""
    return quote(value, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


_ALIYUN_COMMON = (
    "AccessKeyId",
    "Action",
    "Format",
    "RegionId",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "Timestamp",
    "Version",
)


@dataclass
class AliyunApi(Vendor):
    """dysmsapi and dyvmsapi in one (both are RPC style at ``/``)."""

    keys: dict[str, str] = field(default_factory=lambda: {"LTAI-test-id": "aliyun-test-secret"})
    # registered templates: code -> variable names (SMS_... and TTS_...)
    templates: dict[str, Sequence[str]] = field(default_factory=dict)
    fail_numbers: dict[str, str] = field(default_factory=dict)  # number -> Code
    _nonces: set[str] = field(default_factory=set)

    def calls(self, action: str) -> list[dict[str, str]]:
        return [r.form() for r in self.accepted if r.form().get("Action") == action]

    def _error(self, status: int, code: str, message: str) -> tuple[str, Response]:
        body = {"RequestId": uuid.uuid4().hex.upper(), "Code": code, "Message": message}
        return code, JSONResponse(body, status_code=status)

    def answer(self, received: Received) -> tuple[str | None, Response]:
        params = received.form()
        missing = [p for p in _ALIYUN_COMMON if not params.get(p)]
        if missing:
            return self._error(400, "MissingParameter", f"missing {', '.join(missing)}")
        if params["Format"] != "JSON" or params["Version"] != "2017-05-25":
            return self._error(400, "InvalidParameter", "Format JSON, Version 2017-05-25")
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return self._error(400, "InvalidParameter", "signature method/version")
        secret = self.keys.get(params["AccessKeyId"])
        if secret is None:
            return self._error(
                404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
            )
        try:
            stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return self._error(400, "InvalidTimeStamp.Format", "Specified time stamp is invalid.")
        if abs(stamp.timestamp() - time.time()) > 900:
            return self._error(400, "InvalidTimeStamp.Expired", "Specified time stamp is expired.")
        unsigned = {k: v for k, v in params.items() if k != "Signature"}
        canonical = "&".join(
            f"{aliyun_encode(k)}={aliyun_encode(v)}" for k, v in sorted(unsigned.items())
        )
        string_to_sign = f"{received.method}&{aliyun_encode('/')}&{aliyun_encode(canonical)}"
        expected = base64.b64encode(
            hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
        ).decode()
        if not hmac.compare_digest(params["Signature"], expected):
            return self._error(
                400,
                "SignatureDoesNotMatch",
                f"Specified signature is not matched with our calculation. "
                f"server string to sign is:{string_to_sign}",
            )
        if params["SignatureNonce"] in self._nonces:
            return self._error(
                400, "SignatureNonceUsed", "Specified signature nonce was used already."
            )
        self._nonces.add(params["SignatureNonce"])
        if params["Action"] == "SendSms":
            return self._send_sms(params)
        if params["Action"] == "SingleCallByTts":
            return self._call(params)
        return self._error(404, "InvalidAction.NotFound", f"unknown action {params['Action']}")

    def _variables(self, code: str, raw: str | None) -> str | None:
        """None if ``raw`` fills exactly the template's variables, else why not."""
        if code not in self.templates:
            return "template not registered"
        try:
            values = json.loads(raw or "{}")
        except ValueError:
            return "TemplateParam is not JSON"
        if not isinstance(values, dict) or set(values) != set(self.templates[code]):
            return f"variables {sorted(values)} != {sorted(self.templates[code])}"
        too_long = [k for k, v in values.items() if not isinstance(v, str) or not 1 <= len(v) <= 35]
        return f"variables not 1-35 characters: {too_long}" if too_long else None

    def _send_sms(self, params: Mapping[str, str]) -> tuple[str | None, Response]:
        for required in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(required):
                return self._error(400, "MissingParameter", f"missing {required}")
        numbers = params["PhoneNumbers"].split(",")
        if not all(
            n.removeprefix("+86").isdigit() and len(n.removeprefix("+86")) == 11 for n in numbers
        ):
            return self._error(200, "isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile number")
        if problem := self._variables(params["TemplateCode"], params.get("TemplateParam")):
            return self._error(200, "isv.TEMPLATE_PARAMS_ILLEGAL", problem)
        for number in numbers:
            if number in self.fail_numbers:
                code = self.fail_numbers[number]
                return self._error(200, code, f"{code} for {number}")
        body = {
            "Code": "OK",
            "Message": "OK",
            "BizId": f"9{uuid.uuid4().int % 10**17}^0",
            "RequestId": uuid.uuid4().hex.upper(),
        }
        return None, JSONResponse(body)

    def _call(self, params: Mapping[str, str]) -> tuple[str | None, Response]:
        for required in ("CalledNumber", "TtsCode"):
            if not params.get(required):
                return self._error(400, "MissingParameter", f"missing {required}")
        if "," in params["CalledNumber"]:
            return self._error(200, "isv.MOBILE_NUMBER_ILLEGAL", "one called number per call")
        if problem := self._variables(params["TtsCode"], params.get("TtsParam")):
            return self._error(200, "isv.TTS_TEMPLATE_ILLEGAL", problem)
        if code := self.fail_numbers.get(params["CalledNumber"]):
            return self._error(200, code, f"{code} for {params['CalledNumber']}")
        body = {
            "Code": "OK",
            "Message": "OK",
            "CallId": f"{uuid.uuid4().int % 10**9}^1",
            "RequestId": uuid.uuid4().hex.upper(),
        }
        return None, JSONResponse(body)


# --- Tencent Cloud SMS (API 3.0, TC3-HMAC-SHA256) ----------------------------------


@dataclass
class TencentSmsApi(Vendor):
    keys: dict[str, str] = field(
        default_factory=lambda: {"AKID-test-0001": "tencent-test-secret-key"}
    )
    app_id: str = "1400000001"
    template_params: dict[str, int] = field(default_factory=dict)  # TemplateId -> count
    fail_numbers: dict[str, str] = field(default_factory=dict)  # +86... -> Code

    def bodies(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.accepted]

    def _error(self, code: str, message: str) -> tuple[str, Response]:
        body = {
            "Response": {
                "Error": {"Code": code, "Message": message},
                "RequestId": str(uuid.uuid4()),
            }
        }
        return code, JSONResponse(body)

    def _signature_problem(self, received: Received) -> tuple[str, str] | None:
        headers = received.headers
        auth = headers.get("authorization", "")
        algorithm, _, rest = auth.partition(" ")
        fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
        if algorithm != "TC3-HMAC-SHA256" or not {
            "Credential",
            "SignedHeaders",
            "Signature",
        } <= set(fields):
            return "AuthFailure.InvalidAuthorization", "Authorization malformed"
        secret_id, _, scope = fields["Credential"].partition("/")
        secret_key = self.keys.get(secret_id)
        if secret_key is None:
            return "AuthFailure.SecretIdNotFound", "The SecretId is not found"
        timestamp = headers.get("x-tc-timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 300:
            return "AuthFailure.SignatureExpire", "Signature expired"
        date = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d")
        if scope != f"{date}/sms/tc3_request":
            return "AuthFailure.SignatureFailure", f"credential scope {scope}"
        signed = fields["SignedHeaders"].split(";")
        if "host" not in signed or "content-type" not in signed:
            return "AuthFailure.SignatureFailure", "content-type and host must be signed"
        canonical_headers = "".join(f"{h}:{headers.get(h, '').strip().lower()}\n" for h in signed)
        canonical_request = "\n".join(
            [
                received.method,
                "/",
                received.raw_query,
                canonical_headers,
                fields["SignedHeaders"],
                hashlib.sha256(received.body).hexdigest(),
            ]
        )
        string_to_sign = "\n".join(
            [
                "TC3-HMAC-SHA256",
                timestamp,
                scope,
                hashlib.sha256(canonical_request.encode()).hexdigest(),
            ]
        )
        key = ("TC3" + secret_key).encode()
        for part in (date, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(fields["Signature"], expected):
            return (
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated.",
            )
        return None

    def answer(self, received: Received) -> tuple[str | None, Response]:
        if problem := self._signature_problem(received):
            return self._error(*problem)
        headers = received.headers
        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
            return self._error("InvalidAction", "SendSms 2021-01-11 only")
        body = received.json()
        for required in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId", "SignName"):
            if not body.get(required):
                return self._error("MissingParameter", f"missing {required}")
        if body["SmsSdkAppId"] != self.app_id:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId mismatch")
        expected_count = self.template_params.get(body["TemplateId"])
        params = body.get("TemplateParamSet", [])
        if expected_count is None or len(params) != expected_count:
            return self._error(
                "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", "params mismatch"
            )
        statuses = []
        for number in body["PhoneNumberSet"]:
            code = self.fail_numbers.get(number, "Ok")
            if not (number.startswith("+86") and len(number) == 14 and number[1:].isdigit()):
                code = "InvalidParameterValue.IncorrectPhoneNumber"
            statuses.append(
                {
                    "SerialNo": uuid.uuid4().hex,
                    "PhoneNumber": number,
                    "Fee": 1,
                    "SessionContext": body.get("SessionContext", ""),
                    "Code": code,
                    "Message": "send success" if code == "Ok" else code,
                    "IsoCode": "CN",
                }
            )
        response = {"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}}
        return None, JSONResponse(response)
