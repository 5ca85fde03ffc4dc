"""Every drill by name (:data:`DRILLS`): a stack, a load, a fault and its check."""

from __future__ import annotations

from pathlib import Path

from bench.drills import faults
from bench.drills.framework import METERS, Drill, DrillOutcome, on_both_brokers, run, steady_load
from bench.load import Mix
from bench.stack import StackOptions

__all__ = ["DRILLS", "run_drill"]

DRILLS: dict[str, Drill] = {
    d.name: d
    for d in (
        Drill(
            "broker-restart",
            "Mosquitto restarted mid-stream",
            StackOptions(Path(), meters=METERS, accounts=True),
            steady_load(1000.0, 12.0, 60.0),
            faults.broker_restart,
        ),
        Drill(
            "broker-restart-embedded",
            "lifeline up (and its in-process broker) SIGTERMed and started again mid-stream",
            StackOptions(Path(), broker="embedded", meters=METERS, accounts=True),
            steady_load(1000.0, 12.0, 60.0),
            faults.graceful_restart("up", 4.0),
            faults.stopped_cleanly,
        ),
        *on_both_brokers(
            "publisher-disconnect",
            "publishers drop their connections right after their PUBACKs and reconnect, "
            "every 3 s (short: 1.5 s)",
            faults.churn_load,
            faults.churn,
            faults.dropped,
        ),
        *on_both_brokers(
            "kill-up",
            "SIGKILL of lifeline up mid-stream, restarted; publishers resend what was not acked",
            steady_load(1000.0, 12.0, 60.0),
            faults.kill("up", 4.0, 1.0),
            embedded_check=faults.resent,
        ),
        *on_both_brokers(
            "alert-store-locked",
            "lifeline.db held by BEGIN EXCLUSIVE from another process for 90 s (short: 15 s) "
            "while alarms arrive",
            faults.locked_load,
            faults.alert_store_locked,
            faults.lock_held,
        ),
        Drill(
            "store-outage",
            "InfluxDB stopped mid-stream, the spool takes over",
            StackOptions(Path(), store="influx", meters=METERS),
            steady_load(1000.0, 12.0, 60.0),
            faults.influx_outage(3.0, 5.0, 30.0),
        ),
        Drill(
            "kill-ingest",
            "SIGKILL of the ingest worker mid-stream, restarted",
            StackOptions(Path(), scaled_out=True, meters=METERS),
            steady_load(1000.0, 12.0, 60.0),
            faults.kill("ingest-1", 4.0, 1.0),
        ),
        Drill(
            "kill-rules",
            "SIGKILL of the rules worker while alarms arrive, restarted",
            StackOptions(Path(), scaled_out=True, meters=METERS),
            steady_load(1000.0, 12.0, 60.0),
            faults.kill("rules", 4.0, 1.5),
        ),
        Drill(
            "malformed-flood",
            "1,000 malformed messages/s while good traffic flows",
            StackOptions(Path(), meters=METERS),
            steady_load(1000.0, 12.0, 50.0),
            faults.malformed_flood,
            faults.rejects_counted,
        ),
        Drill(
            "burst-10x",
            "10x the normal rate (1,000 -> 10,000 records/s) for 60 s (short: 10 s)",
            StackOptions(Path(), meters=METERS),
            faults.burst_load,
            faults.burst_fault,
        ),
        Drill(
            "spool-near-full",
            "1 MiB spool and an InfluxDB outage: back-pressure, no loss, health signal",
            StackOptions(Path(), store="influx", meters=METERS, spool_max_bytes=1 << 20),
            steady_load(4000.0, 14.0, 60.0, mix=Mix(gas=10, event=1, station=4, meter=2)),
            faults.influx_outage(2.0, 8.0, 30.0),
            faults.health_signal,
        ),
    )
}


async def run_drill(
    name: str, workdir: Path, *, short: bool, progress: bool = True
) -> DrillOutcome:
    """Run drill ``name`` on a fresh stack under ``workdir``."""
    return await run(DRILLS[name], workdir, short=short, progress=progress)
