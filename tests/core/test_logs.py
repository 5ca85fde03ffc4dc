from __future__ import annotations

import json
import logging

from lifeline.logs import JsonFormatter


def test_one_json_object_per_event_with_extra_fields() -> None:
    record = logging.LogRecord("ingest", logging.INFO, __file__, 1, "batch_stored", None, None)
    record.records = 812
    record.topic = "lifeline/v1/gas/GAS-0001/reading"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["event"] == "batch_stored"
    assert data["level"] == "info"
    assert data["records"] == 812
    assert data["topic"].endswith("/reading")
    assert data["ts"].endswith("Z")
