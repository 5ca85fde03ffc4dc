"""A run's result as a table for the terminal and as JSON for the record."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec

from bench.load import Kind
from bench.run import RunResult

__all__ = ["format_result", "write_json"]


def _lat(latency: dict[str, float]) -> str:
    if not latency:
        return "-"
    return " / ".join(f"{latency[k]:.0f}" for k in ("p50", "p95", "p99", "max"))


def format_result(result: RunResult) -> str:
    """A plain-text report of one run."""
    rows: list[tuple[str, str]] = [
        ("run", f"{result.name} ({result.started_at})"),
        (
            "published",
            f"{result.published.total:,} records in {result.published.messages:,} "
            f"messages over {result.duration_s:.1f} s",
        ),
        (
            "rate published",
            f"{result.published_per_s:,.0f} records/s ({result.messages_per_s:,.0f} messages/s)",
        ),
        (
            "stored",
            f"{result.stored.total:,} records ({result.stored_per_s:,.0f} records/s "
            f"incl. {result.drain_s:.1f} s drain)",
        ),
    ]
    for kind in Kind:
        rows.append(
            (
                f"  {kind.value}",
                f"{result.published.records.get(kind, 0):,} published, "
                f"{result.stored.records.get(kind, 0):,} stored",
            )
        )
    rows += [
        ("lost / duplicated", f"{result.lost} / {result.duplicated}"),
        ("checksums", "match" if result.sums_match else f"MISMATCH {result.sum_mismatch}"),
        (
            "alarms",
            f"{result.alarms_injected} injected, {result.alarms_lost} without alert, "
            f"{result.alarms_duplicated} with two alerts",
        ),
        ("alert latency ms p50/p95/p99/max", _lat(result.latency_ms)),
    ]
    if result.notify_latency_ms:
        rows.append(("publish -> webhook ms p50/p95/p99/max", _lat(result.notify_latency_ms)))
        rows.append(("  alarms with a webhook POST", f"{result.alarms_notified}"))
    if result.latency_in_fault_ms:
        rows.append(("  during the fault", _lat(result.latency_in_fault_ms)))
    backlog = result.backlog
    rows += [
        (
            "backlog peaks",
            f"ingest in flight {backlog.ingest_in_flight_peak:,.0f}, broker stored "
            f"{backlog.broker_stored_peak:,.0f}, spool {backlog.spool_bytes_peak / 1e6:,.1f} MB",
        ),
        ("rejects counted", f"{result.rejects:,.0f}"),
    ]
    for name, stats in sorted(result.processes.items()):
        rows.append(
            (
                f"cpu/mem {name}",
                f"CPU mean {stats.cpu_mean_pct:.0f} % peak "
                f"{stats.cpu_peak_pct:.0f} %, RSS peak {stats.rss_peak_mib:.0f} MiB",
            )
        )
    rows += [("note", note) for note in result.notes]
    rows.append(("verdict", "OK" if result.ok else "FAILED"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def write_json(path: Path, results: Sequence[RunResult]) -> None:
    data = [dict(msgspec.to_builtins(r), ok=r.ok) for r in results]
    path.write_bytes(msgspec.json.format(msgspec.json.encode(data if len(data) > 1 else data[0])))
