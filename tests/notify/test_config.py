"""Receiver configs: the registry, one YAML list with every type, and clear errors."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from alerts.notify.receivers import ANY_RECEIVER_CONFIG, RECEIVER_TYPES, build_receiver
from lifeline.core.errors import ConfigError

EVERY_TYPE = """
- {name: duty, type: webhook, url: "http://127.0.0.1:9000/hook", bearer_token: {env: T_HOOK}}
- {name: ops-room, type: wecom, key: {env: T_WECOM}, lang: en, tz: Asia/Urumqi}
- {name: supervisor, type: dingtalk, access_token: {env: T_DING}, secret: {env: T_DING_SEC}}
- name: duty-mail
  type: email
  host: smtp.bjgas.test
  from: lifeline@bjgas.test
  to: [duty@bjgas.test]
  username: lifeline
  password: {env: T_SMTP}
- {name: duty-sms, type: sms, provider: aliyun, phones: ['13800000001'], sign_name: 北京燃气,
   template: SMS_1, access_key_id: LTAI5tExampleId, access_key_secret: {env: T_ALI}}
- {name: duty-call, type: voice, phones: ['13800000001'], tts_code: TTS_1,
   access_key_id: LTAI5tExampleId, access_key_secret: {env: T_ALI}}
"""
SECRETS = {
    "T_HOOK": "hook-secret-value",
    "T_WECOM": "wecom-secret-value",
    "T_DING": "ding-token-value",
    "T_DING_SEC": "SECding-secret-value",
    "T_SMTP": "smtp-secret-value",
    "T_ALI": "aliyun-secret-value",
}


def decode_one(text: str) -> object:
    return msgspec.yaml.decode(text, type=ANY_RECEIVER_CONFIG)


def test_registry_names_are_the_config_tags() -> None:
    assert set(RECEIVER_TYPES) == {"webhook", "wecom", "dingtalk", "email", "sms", "voice"}
    for name, receiver_type in RECEIVER_TYPES.items():
        assert receiver_type.config.__struct_config__.tag == name


async def test_every_type_decodes_builds_and_describes_without_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    configs = msgspec.yaml.decode(EVERY_TYPE, type=list[ANY_RECEIVER_CONFIG])
    receivers = [build_receiver(config) for config in configs]
    try:
        assert [(r.name, r.type) for r in receivers] == [
            ("duty", "webhook"),
            ("ops-room", "wecom"),
            ("supervisor", "dingtalk"),
            ("duty-mail", "email"),
            ("duty-sms", "sms"),
            ("duty-call", "voice"),
        ]
        described = [r.describe() for r in receivers]
        shown = repr(described)
        for value in SECRETS.values():
            assert value not in shown
        assert described[1]["lang"] == "en"
        assert described[1]["tz"] == "Asia/Urumqi"
        assert described[3]["port"] == 587  # starttls by default
        assert described[4]["phones"] == ["138****0001"]
    finally:
        for receiver in receivers:
            await receiver.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{name: duty, type: webhook, urll: 'http://x'}", "unknown field `urll`"),
        ("{name: Duty!, type: webhook, url: 'http://x'}", "at `$.name`"),
        ("{name: duty, type: slack, url: 'http://x'}", "Invalid value 'slack' - at `$.type`"),
        ("{name: duty, type: webhook, url: 'http://x', lang: fr}", "at `$.lang`"),
        ("{name: duty, type: webhook, url: 'http://x', timeout_s: 0}", "at `$.timeout_s`"),
        (
            "{name: s, type: sms, provider: aliyun, phones: ['12345'], sign_name: a, template: b,"
            " access_key_id: c, access_key_secret: d}",
            "at `$.phones[0]`",
        ),
    ],
)
def test_shape_errors_name_the_field(text: str, message: str) -> None:
    with pytest.raises(
        msgspec.ValidationError, match=message.replace("[", r"\[").replace("$", r"\$")
    ):
        decode_one(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{name: duty, type: webhook, url: 'http://x/h', tz: Mars/Olympus}",
            "receiver 'duty' (webhook): tz 'Mars/Olympus' is not a known time zone",
        ),
        ("{name: duty, type: webhook, url: 'ftp://x/h'}", "is not an http(s) URL"),
        (
            "{name: w, type: wecom, url: 'https://q/send?key=k', key: k}",
            "give either url (with ?key=) or key",
        ),
        ("{name: w, type: wecom, url: 'https://q/send'}", "url has no ?key="),
        (
            "{name: s, type: sms, provider: tencent, phones: ['13800000001'], sign_name: a,"
            " template: '1', access_key_id: c, access_key_secret: d}",
            "provider tencent needs sdk_app_id",
        ),
        (
            "{name: m, type: email, host: h, from: a@b.c, to: [d@e.f], username: u}",
            "give both username and password",
        ),
        (
            "{name: m, type: email, host: h, from: a@b.c, to: [d@e.f], security: none,"
            " username: u, password: p}",
            "in clear",
        ),
    ],
)
def test_semantic_errors_are_config_errors_naming_the_receiver(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        build_receiver(decode_one(text))  # type: ignore[arg-type]
    assert message in str(error.value)


def test_missing_env_secret_fails_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("T_ABSENT_TOKEN", raising=False)
    config = decode_one(
        "{name: duty, type: webhook, url: 'http://x/h', bearer_token: {env: T_ABSENT_TOKEN}}"
    )
    with pytest.raises(ConfigError) as error:
        build_receiver(config)  # type: ignore[arg-type]
    assert str(error.value) == (
        "receiver 'duty': bearer_token: environment variable T_ABSENT_TOKEN is not set"
    )


def test_unreadable_ca_file_fails_the_build(tmp_path: Path) -> None:
    missing = tmp_path / "no-ca.pem"
    config = decode_one(f"{{name: duty, type: webhook, url: 'https://x/h', ca_file: '{missing}'}}")
    with pytest.raises(ConfigError, match=r"^receiver 'duty': ca_file .*no-ca\.pem"):
        build_receiver(config)  # type: ignore[arg-type]
