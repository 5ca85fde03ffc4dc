"""Secrets: literal, {env: NAME} or {file: PATH}; clear errors; masked display."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from alerts.notify.secrets import Secret, SecretRef, masked, reveal
from lifeline.core.errors import ConfigError


def decode(text: str) -> Secret:
    secret: Secret = msgspec.yaml.decode(text, type=Secret)
    return secret


def test_the_three_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LL_TEST_SECRET", "from-env")
    secret_file = tmp_path / "key"
    secret_file.write_text("  from-file  \nsecond line ignored\n")
    assert reveal(decode("plain-value")) == "plain-value"
    assert reveal(decode("{env: LL_TEST_SECRET}")) == "from-env"
    assert reveal(decode(f"{{file: {secret_file}}}")) == "from-file"


def test_missing_env_names_the_variable_and_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LL_TEST_ABSENT", raising=False)
    with pytest.raises(
        ConfigError, match=r"^receiver 'sms': key: environment variable LL_TEST_ABSENT is not set$"
    ):
        reveal(SecretRef(env="LL_TEST_ABSENT"), "receiver 'sms': key")


def test_missing_or_empty_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read file .*nope"):
        reveal(SecretRef(file=str(tmp_path / "nope")))
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match="empty first line"):
        reveal(SecretRef(file=str(empty)))


def test_a_reference_names_exactly_one_source() -> None:
    for bad in ("{env: A, file: b}", "{}", "{env: A, path: b}", "{env: ''}"):
        with pytest.raises(msgspec.ValidationError):
            decode(bad)


def test_masked_shows_at_most_two_characters() -> None:
    assert masked("abcdefgh12") == "***12"
    assert masked("short") == "***"
    assert masked(SecretRef(env="SMS_KEY")) == "(env SMS_KEY)"
    assert masked(SecretRef(file="/run/secrets/sms")) == "(file /run/secrets/sms)"
    assert masked(None) is None
