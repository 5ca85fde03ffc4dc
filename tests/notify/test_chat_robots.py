"""``wecom`` and ``dingtalk`` group robots against loopback robots that check the key,
the DingTalk signature and the message shape."""

from __future__ import annotations

import time

import pytest

from alerts.notify.base import SendError
from alerts.notify.receivers import build_receiver
from alerts.notify.receivers.dingtalk import DingtalkReceiver
from tests.notify.conftest import parse_receiver, receiver_from
from tests.notify.factories import make_message
from tests.notify.vendors import DingtalkRobot, WecomRobot


def wecom_yaml(robot: WecomRobot, key: str | None = None) -> str:
    url = f"{robot.base_url}/cgi-bin/webhook/send?key={key or robot.key}"
    return f"{{name: ops-room, type: wecom, url: '{url}'}}"


def dingtalk_yaml(robot: DingtalkRobot, secret: str | None = None, **extra: str) -> str:
    lines = [
        "name: supervisor",
        "type: dingtalk",
        f"base_url: {robot.base_url}/robot/send",
        "access_token: {env: TEST_DINGTALK_TOKEN}",
        f"secret: {secret or robot.secret}",
        *(f"{k}: {v}" for k, v in extra.items()),
    ]
    return "\n".join(lines)


@pytest.fixture(autouse=True)
def dingtalk_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_DINGTALK_TOKEN", DingtalkRobot.access_token)


# --- WeCom -----------------------------------------------------------------------


async def test_wecom_gets_the_markdown_with_chinese_intact(wecom_robot: WecomRobot) -> None:
    message = make_message()
    async with receiver_from(wecom_yaml(wecom_robot)) as receiver:
        assert await receiver.send(message) == "errcode 0"
    assert wecom_robot.refused == []
    assert wecom_robot.contents() == [message.markdown]
    assert "幸福路12号" in wecom_robot.contents()[0]


async def test_wecom_key_can_be_given_apart_from_the_url(
    wecom_robot: WecomRobot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_WECOM_KEY", wecom_robot.key)
    yaml = (
        "{name: ops-room, type: wecom, key: {env: TEST_WECOM_KEY}, "
        f"base_url: '{wecom_robot.base_url}/cgi-bin/webhook/send'}}"
    )
    async with receiver_from(yaml) as receiver:
        await receiver.send(make_message())
        assert receiver.describe()["key"] == "(env TEST_WECOM_KEY)"
    assert len(wecom_robot.accepted) == 1


async def test_wecom_content_over_4096_bytes_is_cut_on_a_character_boundary(
    wecom_robot: WecomRobot,
) -> None:
    long = "燃气泄漏报警" * 400  # 7200 bytes of UTF-8, 3 bytes a character
    async with receiver_from(wecom_yaml(wecom_robot)) as receiver:
        await receiver.send(make_message(markdown="x" + long))
    [content] = wecom_robot.contents()  # the robot refuses > 4096 bytes (errcode 40058)
    assert len(content.encode()) <= 4096
    assert content.startswith("x燃气泄漏报警")
    assert content.endswith("…")
    assert "\ufffd" not in content


async def test_wecom_wrong_key_is_permanent_and_rate_limit_is_retryable(
    wecom_robot: WecomRobot,
) -> None:
    async with receiver_from(wecom_yaml(wecom_robot, key="revoked-key")) as receiver:
        with pytest.raises(SendError) as wrong:
            await receiver.send(make_message())
    assert not wrong.value.retryable
    assert wrong.value.detail == "errcode 93000: invalid webhook url"

    wecom_robot.fail_next(status=200, body={"errcode": 45009, "errmsg": "api freq out of limit"})
    wecom_robot.fail_next(status=502, body="bad gateway")
    async with receiver_from(wecom_yaml(wecom_robot)) as receiver:
        for expected in ("errcode 45009: api freq out of limit", "HTTP 502: bad gateway"):
            with pytest.raises(SendError) as limited:
                await receiver.send(make_message())
            assert limited.value.retryable
            assert limited.value.detail == expected
    assert wecom_robot.accepted == []


async def test_wecom_describe_masks_the_key_in_the_url(wecom_robot: WecomRobot) -> None:
    async with receiver_from(wecom_yaml(wecom_robot)) as receiver:
        described = receiver.describe()
    assert str(described["url"]).endswith("/cgi-bin/webhook/send?key=***")
    assert wecom_robot.key not in repr(described)


# --- DingTalk --------------------------------------------------------------------


async def test_dingtalk_signed_markdown_is_accepted(dingtalk_robot: DingtalkRobot) -> None:
    message = make_message()
    yaml = dingtalk_yaml(dingtalk_robot, at_mobiles="['13800000001']")
    async with receiver_from(yaml) as receiver:
        assert await receiver.send(message) == "errcode 0"
    assert dingtalk_robot.refused == []
    [body] = dingtalk_robot.bodies()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == message.title
    assert body["markdown"]["text"] == message.markdown + "\n\n@13800000001"
    assert body["at"] == {"atMobiles": ["13800000001"], "isAtAll": False}
    [received] = dingtalk_robot.accepted
    # base64 of a SHA-256 ends in one "=": sent URL-encoded once, as the robot decodes it
    assert received.raw_query.partition("&sign=")[2].endswith("%3D")


async def test_dingtalk_wrong_secret_is_refused_by_the_signature_check(
    dingtalk_robot: DingtalkRobot,
) -> None:
    async with receiver_from(dingtalk_yaml(dingtalk_robot, secret="SECwrong")) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
    assert not error.value.retryable
    assert error.value.detail == "errcode 310000: sign not match"
    assert dingtalk_robot.accepted == []


async def test_dingtalk_timestamp_two_hours_off_is_refused(dingtalk_robot: DingtalkRobot) -> None:
    config = parse_receiver(dingtalk_yaml(dingtalk_robot))
    build_receiver(config)  # checks pass
    receiver = DingtalkReceiver(config, clock=lambda: time.time() - 7200)
    try:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
    finally:
        await receiver.close()
    assert error.value.detail == "errcode 310000: invalid timestamp"
    assert not error.value.retryable


async def test_dingtalk_send_too_fast_is_retryable(dingtalk_robot: DingtalkRobot) -> None:
    too_fast = {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
    dingtalk_robot.fail_next(status=200, body=too_fast)
    async with receiver_from(dingtalk_yaml(dingtalk_robot)) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
        assert error.value.retryable
        assert await receiver.send(make_message()) == "errcode 0"


async def test_dingtalk_url_form_keeps_the_token_out_of_describe(
    dingtalk_robot: DingtalkRobot,
) -> None:
    url = f"{dingtalk_robot.base_url}/robot/send?access_token={dingtalk_robot.access_token}"
    yaml = f"{{name: supervisor, type: dingtalk, url: '{url}', secret: {dingtalk_robot.secret}}}"
    async with receiver_from(yaml) as receiver:
        await receiver.send(make_message())
        described = receiver.describe()
    assert len(dingtalk_robot.accepted) == 1
    assert dingtalk_robot.access_token not in repr(described)
    assert dingtalk_robot.secret not in repr(described)
    assert described["secret"] == "***" + dingtalk_robot.secret[-2:]
