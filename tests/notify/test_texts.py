"""Byte limits and the SMS/voice template variables."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from alerts.notify.receivers.texts import TEMPLATE_VARIABLES, template_params, truncate_utf8
from tests.notify.factories import make_facts, make_message

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_truncate_utf8_never_splits_a_character() -> None:
    text = "燃气" * 10  # 60 bytes
    assert truncate_utf8(text, 60) == text
    for limit in range(4, 60):
        cut = truncate_utf8(text, limit)
        assert len(cut.encode()) <= limit
        assert cut.endswith("…")
        assert text.startswith(cut[:-1])


def test_time_is_in_the_receivers_zone() -> None:
    message = make_message()  # starts 2026-12-07T19:00:12Z
    assert template_params(message, SHANGHAI, 35)["time"] == "03:00"
    assert template_params(message, ZoneInfo("Asia/Urumqi"), 35)["time"] == "01:00"


def test_values_without_trailing_zeros_and_a_missing_value() -> None:
    params = template_params(make_message(make_facts(value=0.25, unit="MPa")), SHANGHAI, 35)
    assert params["value"] == "0.25MPa"
    params = template_params(make_message(make_facts(value=None)), SHANGHAI, 35)
    assert params["value"] == "-"


def test_a_test_message_without_alerts_still_fills_every_variable() -> None:
    message = make_message(kind="test", alerts=(), title="Lifeline 通知测试")
    params = template_params(message, SHANGHAI, 35)
    assert list(params) == list(TEMPLATE_VARIABLES)
    assert params["event"] == "测试"
    assert params["source"] == "Lifeline 通知测试"
    assert all(value for value in params.values())
