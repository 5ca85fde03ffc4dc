"""Human names of the vocabulary, per language: rules, severities, states, source kinds,
metrics (with unit and decimals). Pure data; zh-CN is the default language, English the
other. A rule or metric missing here shows its id (and ``tests`` fail on any id shown
raw in the shipped rules: tests/core/test_labels.py).
"""

from __future__ import annotations

from typing import Final, NamedTuple

__all__ = ["DEFAULT_LANG", "LANGS", "METRICS", "Metric", "label", "metric_text", "tables"]

DEFAULT_LANG: Final = "zh-CN"
LANGS: Final = ("zh-CN", "en")


class Metric(NamedTuple):
    zh: str
    en: str
    unit: str
    decimals: int


METRICS: Final[dict[str, Metric]] = {
    "lel_pct": Metric("可燃气体浓度", "Gas concentration", "%LEL", 1),
    "temp_c": Metric("温度", "Temperature", "°C", 1),
    "humidity_pct": Metric("湿度", "Humidity", "%", 0),
    "battery_v": Metric("电池电压", "Battery", "V", 2),
    "signal_dbm": Metric("信号强度", "Signal", "dBm", 0),
    "volume_m3": Metric("累计用气量", "Volume", "m³", 3),
    "flow_m3h": Metric("瞬时流量", "Flow", "m³/h", 3),
    "valve_code": Metric("阀门状态", "Valve", "", 0),
    "primary_supply_temp_c": Metric("一次供水温度", "Primary supply temp.", "°C", 1),
    "primary_return_temp_c": Metric("一次回水温度", "Primary return temp.", "°C", 1),
    "primary_supply_pressure_mpa": Metric("一次供水压力", "Primary supply pressure", "MPa", 2),
    "primary_return_pressure_mpa": Metric("一次回水压力", "Primary return pressure", "MPa", 2),
    "primary_flow_t_h": Metric("一次流量", "Primary flow", "t/h", 1),
    "secondary_supply_temp_c": Metric("二次供水温度", "Secondary supply temp.", "°C", 1),
    "secondary_return_temp_c": Metric("二次回水温度", "Secondary return temp.", "°C", 1),
    "secondary_supply_pressure_mpa": Metric("二次供水压力", "Secondary supply pressure", "MPa", 2),
    "secondary_return_pressure_mpa": Metric("二次回水压力", "Secondary return pressure", "MPa", 2),
    "secondary_flow_t_h": Metric("二次流量", "Secondary flow", "t/h", 1),
    "heat_gj": Metric("累计热量", "Heat", "GJ", 1),
    "makeup_water_t": Metric("累计补水量", "Make-up water", "t", 2),
    "outdoor_temp_c": Metric("室外温度", "Outdoor temp.", "°C", 1),
    "indoor_temp_c": Metric("室内温度", "Indoor temp.", "°C", 1),
    "pump_running": Metric("循环泵运行", "Pump running", "", 0),
    "silence_s": Metric("无数据时长", "Silent for", "s", 0),
}

_LABELS: Final[dict[str, dict[str, str]]] = {
    "zh-CN": {
        "severity.critical": "紧急",
        "severity.major": "重要",
        "severity.minor": "次要",
        "severity.warning": "提示",
        "state.active_unacked": "未确认",
        "state.active_acked": "已确认",
        "state.cleared_unacked": "已恢复未确认",
        "state.closed": "已关闭",
        "state.shelved": "已搁置",
        "state.out_of_service": "停用",
        "kind.gas_channel": "燃气报警通道",
        "kind.meter": "智能燃气表",
        "kind.station": "换热站",
        "kind.enterprise": "供热企业",
        "rule.gas_leak": "燃气泄漏",
        "rule.gas_fault": "探测器故障",
        "rule.gas_power": "供电中断",
        "rule.gas_valve_closed": "切断阀关闭",
        "rule.gas_tamper": "防拆报警",
        "rule.gas_calibration_due": "需标定",
        "rule.gas_stuck": "读数卡滞",
        "rule.gas_offline": "通道离线",
        "rule.gas_rate_of_rise": "浓度快速上升",
        "rule.gas_baseline_drift": "零点漂移",
        "rule.gas_stuck_value": "读数长时间不变",
        "rule.station_underheating": "室温不达标",
        "rule.station_secondary_supply_low": "二次供温偏低",
        "rule.station_primary_pressure_low": "一次供压偏低",
        "rule.station_secondary_pressure_low": "二次供压偏低",
        "rule.station_primary_overtemp": "一次供温超限",
        "rule.station_offline": "换热站离线",
        "rule.station_under_curve": "供温低于供热曲线",
        "rule.station_burst": "疑似爆管",
        "rule.station_multivariate": "运行工况异常",
        "rule.enterprise_offline": "企业数据中断",
        "rule.meter_magnetic_tamper": "磁干扰",
        "rule.meter_low_battery": "电池欠压",
        "rule.meter_valve_fault": "阀门故障",
        "rule.meter_over_flow": "过流",
        "rule.meter_continuous_flow": "持续用气",
        "rule.meter_micro_leak": "微漏",
        "rule.meter_long_idle": "长期未用",
        "rule.meter_flow_no_break": "用气不间断",
        "rule.meter_night_micro_flow": "夜间微小流量",
        "rule.notification_test": "通知测试",
    },
    "en": {
        "severity.critical": "Critical",
        "severity.major": "Major",
        "severity.minor": "Minor",
        "severity.warning": "Warning",
        "state.active_unacked": "Unacked",
        "state.active_acked": "Acked",
        "state.cleared_unacked": "Cleared, unacked",
        "state.closed": "Closed",
        "state.shelved": "Shelved",
        "state.out_of_service": "Out of service",
        "kind.gas_channel": "Gas alarm channel",
        "kind.meter": "Smart gas meter",
        "kind.station": "Heat-exchange station",
        "kind.enterprise": "Heating enterprise",
        "rule.gas_leak": "Gas leak",
        "rule.gas_fault": "Detector fault",
        "rule.gas_power": "Power lost",
        "rule.gas_valve_closed": "Shut-off valve closed",
        "rule.gas_tamper": "Tamper",
        "rule.gas_calibration_due": "Calibration due",
        "rule.gas_stuck": "Reading stuck",
        "rule.gas_offline": "Channel offline",
        "rule.gas_rate_of_rise": "Gas rising fast",
        "rule.gas_baseline_drift": "Baseline drift",
        "rule.gas_stuck_value": "Reading unchanged",
        "rule.station_underheating": "Under-heating",
        "rule.station_secondary_supply_low": "Secondary supply low",
        "rule.station_primary_pressure_low": "Primary pressure low",
        "rule.station_secondary_pressure_low": "Secondary pressure low",
        "rule.station_primary_overtemp": "Primary over-temperature",
        "rule.station_offline": "Station offline",
        "rule.station_under_curve": "Below heating curve",
        "rule.station_burst": "Suspected pipe burst",
        "rule.station_multivariate": "Abnormal operation",
        "rule.enterprise_offline": "Enterprise offline",
        "rule.meter_magnetic_tamper": "Magnetic tamper",
        "rule.meter_low_battery": "Low battery",
        "rule.meter_valve_fault": "Valve fault",
        "rule.meter_over_flow": "Over-flow",
        "rule.meter_continuous_flow": "Continuous flow",
        "rule.meter_micro_leak": "Micro leak",
        "rule.meter_long_idle": "Long idle",
        "rule.meter_flow_no_break": "Flow without a break",
        "rule.meter_night_micro_flow": "Night micro-flow",
        "rule.notification_test": "Notification test",
    },
}


# Places: Qingdao's districts as the registry writes them, and the site types of gas
# channels (names of data values, shown on the map, tiles and detail panels).
_PLACES: Final[dict[str, tuple[str, str]]] = {
    "district.市南": ("市南", "Shinan"),
    "district.市北": ("市北", "Shibei"),
    "district.李沧": ("李沧", "Licang"),
    "district.崂山": ("崂山", "Laoshan"),
    "district.城阳": ("城阳", "Chengyang"),
    "district.黄岛": ("黄岛", "Huangdao"),
    "district.即墨": ("即墨", "Jimo"),
    "district.胶州": ("胶州", "Jiaozhou"),
    "district.平度": ("平度", "Pingdu"),
    "district.莱西": ("莱西", "Laixi"),
    "site.kitchen": ("居民厨房", "Kitchen"),
    "site.restaurant": ("餐饮场所", "Restaurant"),
    "site.valve_well": ("阀门井", "Valve well"),
    "site.utility_manhole": ("市政管井", "Utility manhole"),
    "site.regulator_station": ("调压站", "Regulator station"),
}


def label(key: str, lang: str = DEFAULT_LANG) -> str:
    """``label("rule.gas_leak")`` -> ``"燃气泄漏"``; an unknown key shows its last part."""
    table = _LABELS.get(lang, _LABELS[DEFAULT_LANG])
    return table.get(key) or key.rpartition(".")[2]


def metric_text(metric: str | None, value: float | None, lang: str = DEFAULT_LANG) -> str:
    """A value with its metric's unit and decimals: ``"60.0 %LEL"``, ``"0.25 MPa"``."""
    if value is None:
        return "—"
    known = METRICS.get(metric or "")
    if known is None:
        return f"{value:.4g}"
    text = f"{value:.{known.decimals}f}"
    return f"{text} {known.unit}" if known.unit else text


def tables() -> dict[str, object]:
    """Every label of both languages (metric names as ``metric.<id>``, districts as
    ``district.<name>``, channel site types as ``site.<type>``) and each metric's
    unit and decimals: what the pages load (``GET /api/v1/labels``), so a name is
    written once, here."""
    out: dict[str, object] = {}
    for lang in LANGS:
        table = dict(_LABELS[lang])
        for metric, known in METRICS.items():
            table[f"metric.{metric}"] = known.zh if lang == DEFAULT_LANG else known.en
        for key, (zh, en) in _PLACES.items():
            table[key] = zh if lang == DEFAULT_LANG else en
        out[lang] = table
    out["units"] = {m: {"unit": k.unit, "decimals": k.decimals} for m, k in METRICS.items()}
    return out
