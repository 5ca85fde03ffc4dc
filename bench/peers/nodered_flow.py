"""The Node-RED peer as files: ``flows.json`` and ``settings.js`` (pure generation).

The flow is what a city integrator would draw: ``mqtt in`` (``lifeline/v1/#``, QoS 1,
persistent session: fixed client id, clean session off) -> ``function`` (JSON parse,
the contract range check of :mod:`bench.peers.checks`, one message per valid record
carrying an InfluxDB point) -> ``join`` (arrays of 1,000 points, or what came within
1 s) -> ``influxdb batch`` (node-red-contrib-influxdb, InfluxDB 1.x, ms precision).
Node-RED's MQTT client acknowledges a QoS 1 message when it receives it, not after the
write: it does less than Lifeline and the floor, which acknowledge after the write.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from bench.peers.checks import FUTURE_MS, PAST_MS, RANGES, REQUIRED

__all__ = ["JOIN_COUNT", "flow", "function_code", "settings_js"]

JOIN_COUNT: Final = 1_000
JOIN_TIMEOUT_S: Final = 1
CLIENT_ID: Final = "peer-nodered"

_FUNCTION: Final = """\
const RANGES = __RANGES__;
const REQUIRED = __REQUIRED__;
const PAST_MS = __PAST__, FUTURE_MS = __FUTURE__;
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const parts = msg.topic.split("/");
if (parts.length !== 5 || parts[4] !== "reading" || !ID.test(parts[3])) return null;
const kind = parts[2], source = parts[3];
const ranges = RANGES[kind];
if (ranges === undefined) return null;
let body;
try { body = JSON.parse(msg.payload); } catch (e) { return null; }
const records = body !== null && typeof body === "object" && "batch" in body ? body.batch : [body];
if (!Array.isArray(records)) return null;
const now = Date.now();
const out = [];
for (const r of records) {
    if (r === null || typeof r !== "object") continue;
    let ts = r.ts;
    if (typeof ts === "string") {
        if (!/(Z|[+-]\\d\\d:\\d\\d)$/i.test(ts)) continue;
        ts = Date.parse(ts);
    }
    if (!Number.isInteger(ts) || ts < now - PAST_MS || ts > now + FUTURE_MS) continue;
    if (r[REQUIRED[kind]] == null) continue;
    const fields = {};
    let ok = true;
    for (const name in ranges) {
        const v = r[name];
        if (v == null) continue;
        const [low, high] = ranges[name];
        if (typeof v !== "number" || !Number.isFinite(v) || v < low || v > high) {
            ok = false;
            break;
        }
        fields[name] = v;
    }
    if (ok) {
        out.push({payload: {measurement: kind, tags: {source_id: source}, fields, timestamp: ts}});
    }
}
return [out];
"""


def function_code() -> str:
    """The function node's JavaScript, with the contract's ranges filled in."""
    return (
        _FUNCTION.replace("__RANGES__", json.dumps(RANGES))
        .replace("__REQUIRED__", json.dumps(REQUIRED))
        .replace("__PAST__", str(PAST_MS))
        .replace("__FUTURE__", str(FUTURE_MS))
    )


def flow(mqtt_host: str, mqtt_port: int, influx_host: str, influx_port: int, db: str) -> str:
    """``flows.json`` for one run."""
    nodes: list[dict[str, Any]] = [
        {"id": "peer-tab", "type": "tab", "label": "lifeline peer", "disabled": False},
        {
            "id": "peer-broker",
            "type": "mqtt-broker",
            "name": "mosquitto",
            "broker": mqtt_host,
            "port": str(mqtt_port),
            "clientid": CLIENT_ID,
            "autoConnect": True,
            "usetls": False,
            "protocolVersion": "4",
            "keepalive": "60",
            "cleansession": False,
            "autoUnsubscribe": False,
            "birthTopic": "",
            "closeTopic": "",
            "willTopic": "",
        },
        {
            "id": "peer-in",
            "type": "mqtt in",
            "z": "peer-tab",
            "topic": "lifeline/v1/#",
            "qos": "1",
            "datatype": "utf8",
            "broker": "peer-broker",
            "nl": False,
            "rap": True,
            "rh": 0,
            "inputs": 0,
            "wires": [["peer-check"]],
        },
        {
            "id": "peer-check",
            "type": "function",
            "z": "peer-tab",
            "name": "parse + range check",
            "func": function_code(),
            "outputs": 1,
            "timeout": 0,
            "noerr": 0,
            "initialize": "",
            "finalize": "",
            "libs": [],
            "wires": [["peer-join"]],
        },
        {
            "id": "peer-join",
            "type": "join",
            "z": "peer-tab",
            "name": f"join {JOIN_COUNT}",
            "mode": "custom",
            "build": "array",
            "property": "payload",
            "propertyType": "msg",
            "key": "topic",
            "joiner": "\\n",
            "joinerType": "str",
            "useparts": False,
            "accumulate": False,
            "timeout": str(JOIN_TIMEOUT_S),
            "count": str(JOIN_COUNT),
            "reduceRight": False,
            "wires": [["peer-out"]],
        },
        {
            "id": "peer-influx",
            "type": "influxdb",
            "hostname": influx_host,
            "port": str(influx_port),
            "protocol": "http",
            "database": db,
            "name": "influxd",
            "usetls": False,
            "influxdbVersion": "1.x",
        },
        {
            "id": "peer-out",
            "type": "influxdb batch",
            "z": "peer-tab",
            "influxdb": "peer-influx",
            "precision": "ms",
            "retentionPolicy": "",
            "name": "influxdb batch",
            "wires": [],
        },
    ]
    return json.dumps(nodes, indent=2)


def settings_js(user_dir: Path, flow_file: Path, port: int) -> str:
    """A headless ``settings.js``: no editor, no admin API, warnings only."""
    return f"""\
module.exports = {{
    uiPort: {port},
    uiHost: "127.0.0.1",
    userDir: {json.dumps(str(user_dir))},
    flowFile: {json.dumps(str(flow_file))},
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    functionExternalModules: false,
    externalModules: {{ autoInstall: false, palette: {{ allowInstall: false }} }},
    diagnostics: {{ enabled: false }},
    runtimeState: {{ enabled: false }},
    telemetry: {{ enabled: false, updateNotification: false }},
    logging: {{ console: {{ level: "warn", metrics: false, audit: false }} }},
    editorTheme: {{ projects: {{ enabled: false }} }},
}};
"""
