"""Vendor signing against the worked examples the vendors publish."""

from __future__ import annotations

import base64
from urllib.parse import unquote_plus

from alerts.notify.receivers.signing import (
    aliyun_percent,
    aliyun_signature,
    dingtalk_sign,
    tc3_authorization,
)


def test_aliyun_signature_matches_the_sms_documentation_example() -> None:
    # Aliyun SMS "HTTP protocol and signature" example: AccessKeySecret testSecret, GET
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature("testSecret", "GET", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_percent_encoding_special_cases() -> None:
    assert aliyun_percent("a b*c~d/e") == "a%20b%2Ac~d%2Fe"
    assert aliyun_percent("燃") == "%E7%87%83"
    assert aliyun_percent("-_.") == "-_."


def test_tc3_signature_matches_the_api3_documentation_example() -> None:
    # Tencent Cloud API 3.0 signature v3 example (CVM DescribeInstances, 2019-02-25)
    authorization = tc3_authorization(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="cvm",
        host="cvm.tencentcloudapi.com",
        content_type="application/json; charset=utf-8",
        payload=b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], '
        b'"Name": "instance-name"}]}',
        timestamp=1551113065,
    )
    assert authorization == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA/2019-02-25/cvm/"
        "tc3_request, SignedHeaders=content-type;host, "
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )


def test_dingtalk_sign_is_url_encoded_base64_of_a_sha256_hmac() -> None:
    sign = dingtalk_sign("SECabc", 1_700_000_000_000)
    assert "+" not in sign
    assert "/" not in sign
    assert sign.endswith("%3D")
    assert len(base64.b64decode(unquote_plus(sign))) == 32
    assert sign != dingtalk_sign("SECabc", 1_700_000_000_001)
