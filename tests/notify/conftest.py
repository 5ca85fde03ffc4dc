"""Fixtures of the receiver tests: vendor stand-ins served on loopback, a certificate,
and receivers built from YAML exactly as the notify file gives them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
import pytest

from alerts.notify.base import Receiver
from alerts.notify.receivers import ANY_RECEIVER_CONFIG, build_receiver
from tests.notify.mailserver import Certificate, make_certificate
from tests.notify.vendors import (
    AlertmanagerWebhook,
    AliyunApi,
    DingtalkRobot,
    TencentSmsApi,
    WecomRobot,
    serving,
)


def parse_receiver(text: str) -> Any:
    """One receiver's YAML, decoded as the notify file's loader does."""
    return msgspec.yaml.decode(text, type=ANY_RECEIVER_CONFIG)


@asynccontextmanager
async def receiver_from(text: str) -> AsyncIterator[Receiver]:
    receiver = build_receiver(parse_receiver(text))
    try:
        yield receiver
    finally:
        await receiver.close()


@pytest.fixture
async def alertmanager() -> AsyncIterator[AlertmanagerWebhook]:
    async with serving(vendor := AlertmanagerWebhook(bearer_token="hook-token-1234")):
        yield vendor


@pytest.fixture
async def wecom_robot() -> AsyncIterator[WecomRobot]:
    async with serving(vendor := WecomRobot()):
        yield vendor


@pytest.fixture
async def dingtalk_robot() -> AsyncIterator[DingtalkRobot]:
    async with serving(vendor := DingtalkRobot()):
        yield vendor


@pytest.fixture
async def aliyun_api() -> AsyncIterator[AliyunApi]:
    async with serving(vendor := AliyunApi()):
        yield vendor


@pytest.fixture
async def tencent_api() -> AsyncIterator[TencentSmsApi]:
    async with serving(vendor := TencentSmsApi()):
        yield vendor


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    directory: Path = tmp_path_factory.mktemp("smtp-tls")
    return make_certificate(directory)
