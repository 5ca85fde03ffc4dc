"""Fault drills: a steady stream, one fault in the middle, and the books must balance.

Each :class:`Drill` names a stack (topology, store), a load (rate, duration) and a
fault action run alongside the load (see :class:`bench.run.FaultContext`). A drill
passes when nothing published is lost or stored twice (counts and checksums per kind),
every injected alarm has exactly one alert, and its own check holds (rejects counted
exactly, a health signal seen). ``short`` is the test-suite form (about 15 s of load).

The issue-10 drills run each fault on both brokers (``-embedded``: ``lifeline up``'s
in-process amqtt; ``-mosquitto``: a real Mosquitto) and as a utility would
(``StackOptions(accounts=True)``: no development mode, accounts from ``lifeline
accounts``, each utility publishing its own devices over a persistent session).

| drill | fault |
|---|---|
| broker-restart | Mosquitto stopped and started again mid-stream |
| broker-restart-embedded | ``lifeline up`` (its broker) SIGTERMed and started again |
| publisher-disconnect-B | publishers drop their connections right after their PUBACKs, repeatedly |
| kill-up-B | SIGKILL of ``lifeline up``; restarted; publishers resend what was not acked |
| alert-store-locked-B | ``lifeline.db`` held by ``BEGIN EXCLUSIVE`` elsewhere (90 s; short 15 s) |
| store-outage | InfluxDB stopped mid-stream; the spool takes over, replays after |
| kill-ingest | SIGKILL of ``lifeline ingest``; restarted; the session redelivers |
| kill-rules | SIGKILL of ``lifeline rules`` while alarms arrive; restarted |
| malformed-flood | a utility floods malformed messages while good traffic flows |
| burst-10x | ten times the normal rate for 60 s (short: 10 s) |
| spool-near-full | 1 MiB spool and an InfluxDB outage: back-pressure, health 503 |

| module | job |
|---|---|
| ``framework`` | :class:`Drill`, :class:`DrillOutcome`, load helpers, running one drill |
| ``faults`` | the fault actions, the loads they need and their own checks |
| ``catalogue`` | :data:`DRILLS`: every drill by name, and :func:`run_drill` |
"""

from __future__ import annotations

from bench.drills.catalogue import DRILLS, run_drill
from bench.drills.framework import Drill, DrillOutcome

__all__ = ["DRILLS", "Drill", "DrillOutcome", "run_drill"]
