"""The stand-ins refuse what their vendor would refuse (a lenient stand-in would let a
receiver's bug through): requests built by hand, not by the receivers."""

from __future__ import annotations

import json
import time

import httpx
import msgspec

from alerts.notify.receivers.aliyun import AliyunRpc
from alerts.notify.receivers.signing import tc3_authorization
from alerts.notify.receivers.webhook import alertmanager_payload
from tests.notify.factories import make_message
from tests.notify.vendors import AlertmanagerWebhook, AliyunApi, TencentSmsApi, WecomRobot


async def test_alertmanager_stand_in_refuses_a_missing_field_and_a_firing_end(
    alertmanager: AlertmanagerWebhook,
) -> None:
    good = alertmanager_payload(make_message())
    no_fingerprint = json.loads(json.dumps(good))
    del no_fingerprint["alerts"][0]["fingerprint"]
    ended_but_firing = json.loads(json.dumps(good))
    ended_but_firing["alerts"][0]["endsAt"] = "2026-12-07T19:30:00Z"
    headers = {
        "Authorization": "Bearer hook-token-1234",
        "Idempotency-Key": good["lifeline"]["key"],
    }
    async with httpx.AsyncClient() as client:
        for body in (no_fingerprint, ended_but_firing):
            response = await client.post(
                f"{alertmanager.base_url}/hook", json=body, headers=headers
            )
            assert response.status_code == 400
        response = await client.post(f"{alertmanager.base_url}/hook", json=good, headers=headers)
        assert response.status_code == 200
    reasons = [reason for _, reason in alertmanager.refused]
    assert "missing required field `fingerprint`" in reasons[0]
    assert "firing alert with endsAt" in reasons[1]


async def test_wecom_stand_in_refuses_content_over_4096_bytes(wecom_robot: WecomRobot) -> None:
    body = {"msgtype": "markdown", "markdown": {"content": "燃" * 1366}}  # 4098 bytes
    async with httpx.AsyncClient() as client:
        url = f"{wecom_robot.base_url}/cgi-bin/webhook/send?key={wecom_robot.key}"
        answer = (await client.post(url, json=body)).json()
    assert answer["errcode"] == 40058


async def test_aliyun_stand_in_refuses_a_replayed_nonce_and_wrong_variables(
    aliyun_api: AliyunApi,
) -> None:
    aliyun_api.templates["SMS_1"] = ("code",)
    async with httpx.AsyncClient() as client:
        rpc = AliyunRpc(
            client,
            aliyun_api.base_url,
            "LTAI-test-id",
            "aliyun-test-secret",
            nonce=lambda: "fixed-nonce",
        )
        params = {
            "PhoneNumbers": "13800000001",
            "SignName": "a",
            "TemplateCode": "SMS_1",
            "TemplateParam": '{"code":"1"}',
        }
        signed = rpc.signed_params("SendSms", params)
        first = await client.post(aliyun_api.base_url + "/", data=signed)
        replay = await client.post(aliyun_api.base_url + "/", data=signed)
        rpc = AliyunRpc(client, aliyun_api.base_url, "LTAI-test-id", "aliyun-test-secret")
        wrong = rpc.signed_params("SendSms", params | {"TemplateParam": '{"other":"1"}'})
        mismatch = await client.post(aliyun_api.base_url + "/", data=wrong)
    assert first.json()["Code"] == "OK"
    assert replay.json()["Code"] == "SignatureNonceUsed"
    assert mismatch.json()["Code"] == "isv.TEMPLATE_PARAMS_ILLEGAL"
    assert [r for _, r in aliyun_api.refused] == [
        "SignatureNonceUsed",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
    ]


async def test_tencent_stand_in_refuses_an_unsigned_header_change(
    tencent_api: TencentSmsApi,
) -> None:
    host = tencent_api.base_url.removeprefix("http://")
    payload = msgspec.json.encode({"PhoneNumberSet": ["+8613800000001"]})
    now = int(time.time())
    auth = tc3_authorization(
        secret_id="AKID-test-0001",
        secret_key="tencent-test-secret-key",
        service="sms",
        host=host,
        content_type="application/json",
        payload=payload,
        timestamp=now,
    )
    headers = {
        "Authorization": auth,
        "Content-Type": "application/json; charset=utf-8",
        "X-TC-Action": "SendSms",
        "X-TC-Version": "2021-01-11",
        "X-TC-Timestamp": str(now),
    }
    async with httpx.AsyncClient() as client:
        answer = (
            await client.post(tencent_api.base_url + "/", content=payload, headers=headers)
        ).json()
    assert answer["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
