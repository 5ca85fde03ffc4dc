"""A report as sheets (for XLSX: every sheet; for CSV: one), headed in zh-CN or English.

Times are local (Asia/Shanghai) ``YYYY-MM-DD HH:MM``; rates are percentages and handling
times minutes, both as numbers, so a spreadsheet can compute with them. The summary
sheet has a key column (stable, English ids) beside the label, for machines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Final, Literal

from api.reports.model import OnlineRow, Report
from api.timeparse import LOCAL_TZ
from lifeline.core.labels import label
from lifeline.tables import Cell, Sheet

__all__ = ["SECTIONS", "Section", "report_sheets"]

Section = Literal["summary", "enterprises", "channels", "buckets", "rules", "isa"]
SECTIONS: Final[tuple[Section, ...]] = (
    "summary",
    "enterprises",
    "channels",
    "buckets",
    "rules",
    "isa",
)

_WORDS: Final[dict[str, tuple[str, str]]] = {
    "summary": ("汇总", "Summary"),
    "enterprises": ("企业在线率", "Enterprise on-line"),
    "channels": ("通道在线率", "Channel on-line"),
    "buckets": ("分时统计", "By period"),
    "rules": ("按规则", "By rule"),
    "isa": ("ISA-18.2", "ISA-18.2"),
    "key": ("键", "Key"),
    "item": ("指标", "Item"),
    "value": ("数值", "Value"),
    "id": ("编号", "ID"),
    "name": ("名称", "Name"),
    "district": ("区域", "District"),
    "owner": ("所属单位", "Owner"),
    "counted_from": ("起算时间", "Counted from"),
    "expected_slots": ("应报时段数", "Expected slots"),
    "present_slots": ("在线时段数", "Present slots"),
    "rate_pct": ("在线率(%)", "On-line (%)"),
    "period": ("时段", "Period"),
    "alarms": ("告警数", "Alarms"),
    "annunciations": ("告警通告数", "Annunciations"),
    "acked": ("已确认", "Acked"),
    "mean_ack_min": ("平均确认用时(分钟)", "Mean time to ack (min)"),
    "closed": ("已关闭", "Closed"),
    "mean_resolve_min": ("平均处置用时(分钟)", "Mean time to resolve (min)"),
    "rule": ("规则", "Rule"),
    "count": ("数量", "Count"),
    "what": ("类别", "What"),
    "source": ("告警源", "Source"),
    "start": ("开始", "Start"),
    "end": ("结束", "End"),
    "detail": ("说明", "Detail"),
    "flood": ("告警泛滥", "Flood"),
    "chattering": ("振荡告警", "Chattering"),
    "stale": ("长期未处理", "Stale"),
    "top": ("高频告警源", "Noisy source"),
    "report": ("报表", "Report"),
    "start_time": ("开始时间", "Start"),
    "end_time": ("结束时间", "End"),
    "enterprises_n": ("供热企业数", "Heating enterprises"),
    "enterprise_rate": ("企业在线率(%)", "Enterprise on-line (%)"),
    "channels_n": ("报警通道数", "Alarm channels"),
    "channel_rate": ("通道在线率(%)", "Channel on-line (%)"),
    "suppressed": ("维护期间抑制", "Suppressed in maintenance"),
    "median_ack_min": ("确认用时中位数(分钟)", "Median time to ack (min)"),
    "p90_ack_min": ("确认用时90分位(分钟)", "90th pct time to ack (min)"),
    "median_resolve_min": ("处置用时中位数(分钟)", "Median time to resolve (min)"),
    "operators": ("值班人数", "Operators"),
    "per_op_avg": ("每人每10分钟告警(平均)", "Alarms / operator / 10 min (avg)"),
    "per_op_max": ("每人每10分钟告警(最高)", "Alarms / operator / 10 min (max)"),
    "floods": ("告警泛滥次数", "Floods"),
    "flood_min": ("泛滥时长(分钟)", "Time in flood (min)"),
    "chattering_n": ("振荡告警源", "Chattering"),
    "stale_n": ("长期未处理告警", "Stale alarms"),
}


def _w(lang: str) -> Callable[[str], str]:
    index = 0 if lang == "zh-CN" else 1
    return lambda key: _WORDS[key][index]


def _time(ms: int | None) -> str | None:
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _min(ms: int | None) -> float | None:
    return None if ms is None else round(ms / 60_000, 1)


def _pct(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 2)


def _summary(report: Report, w: Callable[[str], str]) -> Sheet:
    s = report.summary
    ack, res = s.time_to_ack, s.time_to_resolve
    rows: list[tuple[str, Cell]] = [
        ("report", f"{report.kind} {report.label}"),
        ("start_time", _time(report.start_ms)),
        ("end_time", _time(report.end_ms)),
        ("enterprises_n", s.enterprises),
        ("enterprise_rate", _pct(s.enterprise_online_rate)),
        ("channels_n", s.channels),
        ("channel_rate", _pct(s.channel_online_rate)),
        ("alarms", s.alarms),
        ("suppressed", s.suppressed),
        ("acked", s.acked),
        ("mean_ack_min", _min(ack.mean_ms)),
        ("median_ack_min", _min(ack.median_ms)),
        ("p90_ack_min", _min(ack.p90_ms)),
        ("closed", s.closed),
        ("mean_resolve_min", _min(res.mean_ms)),
        ("median_resolve_min", _min(res.median_ms)),
        ("annunciations", s.annunciations),
        ("operators", s.operators),
        ("per_op_avg", s.per_operator_per_10min_avg),
        ("per_op_max", s.per_operator_per_10min_max),
        ("floods", s.floods),
        ("flood_min", _min(s.flood_ms)),
        ("chattering_n", s.chattering),
        ("stale_n", s.stale),
    ]
    return Sheet(w("summary"), [w("key"), w("item"), w("value")], [[k, w(k), v] for k, v in rows])


def _online(title: str, rows: list[OnlineRow], w: Callable[[str], str]) -> Sheet:
    header = ["id", "name", "district", "owner", "counted_from", "expected_slots",
              "present_slots", "rate_pct"]  # fmt: skip
    return Sheet(
        title,
        [w(h) for h in header],
        [
            [r.id, r.name, r.district, r.owner, _time(r.counted_from_ms), r.expected_slots,
             r.present_slots, _pct(r.rate)]
            for r in rows
        ],
    )  # fmt: skip


def _buckets(report: Report, w: Callable[[str], str]) -> Sheet:
    header = ["period", "alarms", "annunciations", "acked", "mean_ack_min", "closed",
              "mean_resolve_min"]  # fmt: skip
    return Sheet(
        w("buckets"),
        [w(h) for h in header],
        [
            [b.label, b.alarms, b.annunciations, b.acked, _min(b.mean_ack_ms), b.closed,
             _min(b.mean_resolve_ms)]
            for b in report.buckets
        ],
    )  # fmt: skip


def _rules(report: Report, w: Callable[[str], str], lang: str) -> Sheet:
    rows: list[list[Cell]] = [
        [w("rule"), f"rule.{rule}", label(f"rule.{rule}", lang), n]
        for rule, n in report.by_rule.items()
    ]
    rows += [[w("what"), f"severity.{s}", label(f"severity.{s}", lang), n]
             for s, n in report.by_severity.items()]  # fmt: skip
    rows += [[w("district"), d, d, n] for d, n in report.by_district.items()]
    return Sheet(w("rules"), [w("what"), w("key"), w("name"), w("count")], rows)


def _isa(report: Report, w: Callable[[str], str], lang: str) -> Sheet:
    rows: list[list[Cell]] = [
        [w("flood"), None, _time(f.start_ms), _time(f.end_ms), f"peak {f.peak} / 10 min"]
        for f in report.floods
    ]
    rows += [
        [w("chattering"), c.source_id, None, None,
         f"{label(f'rule.{c.rule}', lang)}: {c.max_per_minute}/min, {c.transitions}"]
        for c in report.chattering
    ]  # fmt: skip
    rows += [
        [w("stale"), s.source_id, _time(s.raised_at_ms), None,
         f"{label(f'rule.{s.rule}', lang)}: {_min(s.active_ms)} min"]
        for s in report.stale
    ]  # fmt: skip
    rows += [[w("top"), t.source_id, None, None, f"{t.count} ({t.share:.1%})"]
             for t in report.top_sources]  # fmt: skip
    return Sheet(w("isa"), [w("what"), w("source"), w("start"), w("end"), w("detail")], rows)


def report_sheets(report: Report, lang: str, only: Section | None = None) -> list[Sheet]:
    """Every section's sheet, or ``only`` one."""
    w = _w(lang)
    build: dict[Section, Callable[[], Sheet]] = {
        "summary": lambda: _summary(report, w),
        "enterprises": lambda: _online(w("enterprises"), report.enterprises, w),
        "channels": lambda: _online(w("channels"), report.channels, w),
        "buckets": lambda: _buckets(report, w),
        "rules": lambda: _rules(report, w, lang),
        "isa": lambda: _isa(report, w, lang),
    }
    return [build[s]() for s in (SECTIONS if only is None else (only,))]
