"""Every fault drill, short form, on real Mosquitto / InfluxDB and real Lifeline
processes: nothing published is lost or stored twice, every injected alarm has exactly
one alert, and the drill's own check holds (see bench/drills/).

The issue-10 drills (``*-embedded``, ``*-mosquitto``, ``broker-restart``) run outside
development mode with the accounts ``lifeline accounts`` issued (issued once per test
process, about 12 s, then copied), each utility publishing its own devices."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.drills import DRILLS, run_drill
from bench.services import INFLUXD_BINARIES, MOSQUITTO_BINARIES
from tests.services import require_binary

_CASES = list(DRILLS)
_KINDS = ("gas", "event", "station", "meter")


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", _CASES)
async def test_drill_loses_and_duplicates_nothing(name: str, tmp_path: Path) -> None:
    require_binary(*MOSQUITTO_BINARIES)
    if DRILLS[name].stack.store == "influx":
        require_binary(*INFLUXD_BINARIES)
    outcome = await run_drill(name, tmp_path, short=True, progress=False)
    result = outcome.result
    # traffic of every kind flowed; how much depends on the machine and on how long the
    # fault lasts on it (publishers wait while their broker is down), so no more than a
    # floor the first seconds before any fault always reach (1,000 rec/s from 0 s)
    assert all(result.published.records.get(kind, 0) > 0 for kind in _KINDS), result.published
    assert result.published.total > 1_000
    assert result.lost == 0, result.stored
    assert result.duplicated == 0
    assert result.sums_match, result.sum_mismatch
    assert result.alarms_injected >= 4  # 4 alarms/s; the earliest fault starts at 2 s
    assert result.alarms_lost == result.alarms_duplicated == 0
    assert outcome.problems == []
