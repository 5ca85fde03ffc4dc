"""``sms`` (Aliyun, Tencent) and ``voice`` (Aliyun) against loopback APIs that recompute
the vendors' signatures and check the template variables."""

from __future__ import annotations

import json

import pytest

from alerts.notify.base import SendError
from alerts.notify.receivers.texts import TEMPLATE_VARIABLES
from tests.notify.conftest import receiver_from
from tests.notify.factories import make_facts, make_message
from tests.notify.vendors import AliyunApi, TencentSmsApi
from tests.services import free_port

EXPECTED_PARAMS = {
    "event": "报警",
    "source": "幸福里小区3号楼调压箱燃气探测器",
    "district": "朝阳区",
    "level": "紧急",
    "value": "60%LEL",
    "time": "03:00",  # 19:00:12Z is 03:00 in Asia/Shanghai
}


@pytest.fixture(autouse=True)
def cloud_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_ALIYUN_SECRET", "aliyun-test-secret")
    monkeypatch.setenv("TEST_TENCENT_KEY", "tencent-test-secret-key")


def aliyun_sms_yaml(api: AliyunApi, **extra: str) -> str:
    lines = [
        "name: duty-sms",
        "type: sms",
        "provider: aliyun",
        "phones: ['13800000001', '+8613900000002']",
        "sign_name: 北京燃气",
        "template: SMS_465000001",
        "access_key_id: LTAI-test-id",
        "access_key_secret: {env: TEST_ALIYUN_SECRET}",
        f"endpoint: {api.base_url}",
        *(f"{k}: {v}" for k, v in extra.items()),
    ]
    return "\n".join(lines)


def tencent_sms_yaml(api: TencentSmsApi, phones: str = "['13800000001', '13900000002']") -> str:
    return "\n".join(
        [
            "name: duty-sms",
            "type: sms",
            "provider: tencent",
            f"phones: {phones}",
            "sign_name: 北京燃气",
            "template: '2100001'",
            f"sdk_app_id: '{api.app_id}'",
            "access_key_id: AKID-test-0001",
            "access_key_secret: {env: TEST_TENCENT_KEY}",
            f"endpoint: {api.base_url}",
        ]
    )


def voice_yaml(api: AliyunApi, **extra: str) -> str:
    lines = [
        "name: duty-call",
        "type: voice",
        "phones: ['13800000001', '01088880000']",
        "tts_code: TTS_300000001",
        "called_show_number: '01012345678'",
        "access_key_id: LTAI-test-id",
        "access_key_secret: {env: TEST_ALIYUN_SECRET}",
        f"endpoint: {api.base_url}",
        *(f"{k}: {v}" for k, v in extra.items()),
    ]
    return "\n".join(lines)


# --- Aliyun SMS ------------------------------------------------------------------


async def test_aliyun_sms_is_signed_and_fills_the_template(aliyun_api: AliyunApi) -> None:
    aliyun_api.templates["SMS_465000001"] = TEMPLATE_VARIABLES
    message = make_message()
    async with receiver_from(aliyun_sms_yaml(aliyun_api)) as receiver:
        result = await receiver.send(message)
    assert aliyun_api.refused == []
    assert result.startswith("OK BizId ")
    [call] = aliyun_api.calls("SendSms")
    assert call["PhoneNumbers"] == "13800000001,+8613900000002"
    assert call["SignName"] == "北京燃气"
    assert call["TemplateCode"] == "SMS_465000001"
    assert json.loads(call["TemplateParam"]) == EXPECTED_PARAMS
    assert call["OutId"] == message.key
    assert call["RegionId"] == "cn-hangzhou"


async def test_aliyun_sms_in_english_for_a_resolved_digest(aliyun_api: AliyunApi) -> None:
    aliyun_api.templates["SMS_465000001"] = TEMPLATE_VARIABLES
    ended = "2026-12-07T19:30:00Z"
    alerts = (make_facts(ends_at=ended), make_facts(id=43, ends_at=ended, value=None))
    message = make_message(*alerts, kind="resolved", lang="en")
    async with receiver_from(aliyun_sms_yaml(aliyun_api, lang="en")) as receiver:
        await receiver.send(message)
    [call] = aliyun_api.calls("SendSms")
    params = json.loads(call["TemplateParam"])
    assert params["event"] == "resolved"
    assert params["level"] == "Critical"
    assert params["source"].endswith(" +2 more")
    assert len(params["source"]) <= 35  # the stand-in also refuses longer variables


async def test_aliyun_variables_are_cut_to_35_characters(aliyun_api: AliyunApi) -> None:
    aliyun_api.templates["SMS_465000001"] = TEMPLATE_VARIABLES
    long_name = "朝阳区幸福里小区东区三号楼二单元地下室调压箱燃气泄漏报警探测器第二通道备用"
    async with receiver_from(aliyun_sms_yaml(aliyun_api)) as receiver:
        await receiver.send(make_message(make_facts(source_name=long_name)))
    [call] = aliyun_api.calls("SendSms")
    source = json.loads(call["TemplateParam"])["source"]
    assert len(long_name) > 35
    assert len(source) == 35
    assert source == long_name[:34] + "…"


async def test_aliyun_wrong_secret_gives_signature_does_not_match(
    aliyun_api: AliyunApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    aliyun_api.templates["SMS_465000001"] = TEMPLATE_VARIABLES
    monkeypatch.setenv("TEST_ALIYUN_SECRET", "rotated-secret")
    async with receiver_from(aliyun_sms_yaml(aliyun_api)) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
    assert not error.value.retryable
    assert error.value.detail.startswith("SendSms HTTP 400 SignatureDoesNotMatch")
    assert aliyun_api.accepted == []


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (200, "isv.BUSINESS_LIMIT_CONTROL", True),
        (400, "Throttling.User", True),
        (503, "ServiceUnavailable", True),
        (200, "isv.MOBILE_NUMBER_ILLEGAL", False),
        (403, "Forbidden.RAM", False),
    ],
)
async def test_aliyun_codes_are_classified(
    aliyun_api: AliyunApi, status: int, code: str, retryable: bool
) -> None:
    aliyun_api.templates["SMS_465000001"] = TEMPLATE_VARIABLES
    aliyun_api.fail_next(status=status, body={"Code": code, "Message": "x", "RequestId": "R"})
    async with receiver_from(aliyun_sms_yaml(aliyun_api)) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
    assert error.value.retryable is retryable
    assert code in error.value.detail


async def test_aliyun_gateway_error_page_and_dead_port_are_retryable(aliyun_api: AliyunApi) -> None:
    aliyun_api.fail_next(status=502, body="<html>Bad Gateway</html>")
    async with receiver_from(aliyun_sms_yaml(aliyun_api)) as receiver:
        with pytest.raises(SendError) as gateway:
            await receiver.send(make_message())
    assert gateway.value.retryable
    assert gateway.value.detail.startswith("HTTP 502")

    dead = aliyun_sms_yaml(aliyun_api).replace(
        aliyun_api.base_url, f"http://127.0.0.1:{free_port()}"
    )
    async with receiver_from(dead) as receiver:
        with pytest.raises(SendError) as refused:
            await receiver.send(make_message())
    assert refused.value.retryable


# --- Tencent SMS -----------------------------------------------------------------


async def test_tencent_sms_is_tc3_signed_with_positional_params(tencent_api: TencentSmsApi) -> None:
    tencent_api.template_params["2100001"] = len(TEMPLATE_VARIABLES)
    message = make_message()
    async with receiver_from(tencent_sms_yaml(tencent_api)) as receiver:
        result = await receiver.send(message)
    assert tencent_api.refused == []
    assert result.count("Ok") == 2
    [body] = tencent_api.bodies()
    assert body["PhoneNumberSet"] == ["+8613800000001", "+8613900000002"]
    assert body["TemplateParamSet"] == [EXPECTED_PARAMS[name] for name in TEMPLATE_VARIABLES]
    assert body["SignName"] == "北京燃气"
    assert body["SessionContext"] == message.key
    [received] = tencent_api.accepted
    assert received.headers["x-tc-region"] == "ap-guangzhou"


async def test_tencent_wrong_key_is_a_permanent_signature_failure(
    tencent_api: TencentSmsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    tencent_api.template_params["2100001"] = len(TEMPLATE_VARIABLES)
    monkeypatch.setenv("TEST_TENCENT_KEY", "not-the-key")
    async with receiver_from(tencent_sms_yaml(tencent_api)) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
    assert not error.value.retryable
    assert error.value.detail.startswith("SendSms AuthFailure.SignatureFailure")


async def test_tencent_request_limit_is_retryable(tencent_api: TencentSmsApi) -> None:
    tencent_api.template_params["2100001"] = len(TEMPLATE_VARIABLES)
    limited = {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "x"}}}
    tencent_api.fail_next(status=200, body=limited)
    async with receiver_from(tencent_sms_yaml(tencent_api)) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
    assert error.value.retryable


async def test_tencent_retry_texts_only_the_number_that_failed(tencent_api: TencentSmsApi) -> None:
    tencent_api.template_params["2100001"] = len(TEMPLATE_VARIABLES)
    tencent_api.fail_numbers["+8613900000002"] = "LimitExceeded.PhoneNumberThirtySecondLimit"
    message = make_message()
    async with receiver_from(tencent_sms_yaml(tencent_api)) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(message)
        assert error.value.retryable
        assert error.value.detail.startswith("1 of 2 failed: 139****0002: LimitExceeded")
        tencent_api.fail_numbers.clear()
        retried = await receiver.send(message)
        assert retried.startswith("139****0002: Ok ")
    first, retry = tencent_api.bodies()
    assert first["PhoneNumberSet"] == ["+8613800000001", "+8613900000002"]
    assert retry["PhoneNumberSet"] == ["+8613900000002"]


async def test_tencent_bad_number_is_given_up_on(tencent_api: TencentSmsApi) -> None:
    tencent_api.template_params["2100001"] = len(TEMPLATE_VARIABLES)
    tencent_api.fail_numbers["+8613900000002"] = "InvalidParameterValue.IncorrectPhoneNumber"
    async with receiver_from(tencent_sms_yaml(tencent_api)) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
    assert not error.value.retryable


# --- Aliyun voice ----------------------------------------------------------------


async def test_voice_calls_each_number_once_with_the_tts_variables(aliyun_api: AliyunApi) -> None:
    aliyun_api.templates["TTS_300000001"] = TEMPLATE_VARIABLES
    message = make_message()
    async with receiver_from(voice_yaml(aliyun_api)) as receiver:
        result = await receiver.send(message)
    assert aliyun_api.refused == []
    assert result.count("OK CallId") == 2
    calls = aliyun_api.calls("SingleCallByTts")
    assert sorted(c["CalledNumber"] for c in calls) == ["01088880000", "13800000001"]
    for call in calls:
        assert call["TtsCode"] == "TTS_300000001"
        assert json.loads(call["TtsParam"]) == EXPECTED_PARAMS
        assert call["CalledShowNumber"] == "01012345678"
        assert call["OutId"] == message.key
        assert call["PlayTimes"] == "2"


async def test_voice_retry_calls_only_the_rate_limited_number(aliyun_api: AliyunApi) -> None:
    aliyun_api.templates["TTS_300000001"] = TEMPLATE_VARIABLES
    aliyun_api.fail_numbers["01088880000"] = "isv.BUSINESS_LIMIT_CONTROL"
    message = make_message()
    async with receiver_from(voice_yaml(aliyun_api)) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(message)
        assert error.value.retryable
        assert "010****0000" in error.value.detail
        aliyun_api.fail_numbers.clear()
        await receiver.send(message)
        await receiver.send(message)  # a third delivery of the same key calls nobody
    called = [c["CalledNumber"] for c in aliyun_api.calls("SingleCallByTts")]
    assert called == ["13800000001", "01088880000"]


async def test_voice_wrong_secret_is_permanent(
    aliyun_api: AliyunApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    aliyun_api.templates["TTS_300000001"] = TEMPLATE_VARIABLES
    monkeypatch.setenv("TEST_ALIYUN_SECRET", "wrong")
    async with receiver_from(voice_yaml(aliyun_api)) as receiver:
        with pytest.raises(SendError) as error:
            await receiver.send(make_message())
    assert not error.value.retryable
    assert "SignatureDoesNotMatch" in error.value.detail
