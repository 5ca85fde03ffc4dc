"""The peer bench's table, ratios and JSON."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from pathlib import Path

import msgspec
import psutil

from bench.peers.measure import VariantResult
from bench.peers.mixes import MixName
from bench.peers.variants import VariantName

__all__ = ["Ratio", "format_table", "ratios", "write_json"]

_HEADER = (
    f"{'variant':<9} {'msg/s':>9} {'rec/s':>9} {'CPU %':>6} {'µs/rec':>7} {'µs/msg':>8}"
    f" {'influxd µs/rec':>14} {'pub %':>6} {'other %':>7} {'lag s':>6}  check"
)


class Ratio(msgspec.Struct):
    mix: str
    of: str  # "Lifeline/Node-RED"
    rate: float  # records/s, Lifeline over the peer
    cpu_per_record: float  # µs/record, Lifeline over the peer


def ratios(results: Sequence[VariantResult]) -> list[Ratio]:
    out = []
    for mix in MixName:
        by = {r.variant: r for r in results if r.mix == mix.value}
        ours = by.get(VariantName.LIFELINE.value)
        if ours is None:
            continue
        for peer in (VariantName.NODE_RED, VariantName.FLOOR):
            theirs = by.get(peer.value)
            if theirs is None or not theirs.records_per_s or not theirs.us_per_record:
                continue
            out.append(
                Ratio(
                    mix.value,
                    f"Lifeline/{peer.label}",
                    round(ours.records_per_s / theirs.records_per_s, 2),
                    round(ours.us_per_record / theirs.us_per_record, 2),
                )
            )
    return out


def _row(r: VariantResult) -> str:
    check = "ok" if not r.lost and not r.duplicated and r.sums_match else "FAIL"
    if r.lost or r.duplicated:
        check += f" lost {r.lost:,} dup {r.duplicated:,}"
    elif not r.sums_match:
        check += " (sums differ)"
    if r.publisher_bound:
        check += ", publisher-bound"
    label = VariantName(r.variant).label
    return (
        f"{label:<9} {r.messages_per_s:>9,.0f} {r.records_per_s:>9,.0f}"
        f" {r.consumer_cpu_pct:>6.0f} {r.us_per_record:>7.1f} {r.us_per_message:>8.1f}"
        f" {r.influxd_us_per_record:>14.1f} {r.cpu.pct_of_core('publishers'):>6.0f}"
        f" {r.cpu.pct_of_core('other'):>7.0f} {r.lag_s:>6.1f}  {check}"
    )


def format_table(results: Sequence[VariantResult]) -> str:
    """One block per mix: a row per variant, its notes, and the ratios."""
    lines = []
    all_ratios = ratios(results)
    for mix in MixName:
        rows = [r for r in results if r.mix == mix.value]
        if not rows:
            continue
        first = rows[0]
        lines.append(
            f"{mix.value}: {mix.label} — {first.messages:,} messages, {first.records:,} records"
        )
        lines.append(_HEADER)
        lines += [_row(r) for r in rows]
        for r in rows:
            lines += [f"  {VariantName(r.variant).label}: {note}" for note in r.notes]
        for ratio in (x for x in all_ratios if x.mix == mix.value):
            lines.append(
                f"  {ratio.of}: rate {ratio.rate:.2f}x, CPU per record {ratio.cpu_per_record:.2f}x"
            )
        lines.append("")
    lines.append(
        "CPU % = the consumer's process tree, % of one core from first publish to last"
        " record counted; pub % / other % = the publishers / everything else on the machine"
        " (other users), % of one core; lag = last PUBACK -> last record counted."
    )
    return "\n".join(lines)


def write_json(path: Path, results: Sequence[VariantResult], versions: dict[str, str]) -> None:
    document = {
        "machine": {
            "cores": psutil.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / (1 << 30), 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": versions,
        "results": list(results),
        "ratios": ratios(results),
    }
    path.write_bytes(msgspec.json.format(msgspec.json.encode(document)))
