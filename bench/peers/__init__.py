"""The side-by-side peer bench (issue 15): ``lifeline bench --peers``.

The same contract-valid messages, one variant at a time, each on a fresh Mosquitto
(QoS 1, persistent sessions) and InfluxDB 1.x, through Lifeline (``lifeline up``), a
Node-RED 4 flow (mqtt in -> function -> join 1,000 -> influxdb batch) and the bare
paho floor; rate from first publish to the last record counted in InfluxDB, CPU of the
consumer's process tree per record and per message, and the ratios.

| module | job |
|---|---|
| ``mixes.py`` | the mixes: gateway batches of 100, one reading a message, meter days of 96 |
| ``publish.py`` | publisher processes: paho, QoS 1, a window of unacknowledged messages |
| ``checks.py`` | the peers' contract range check, as data (floor and Node-RED) |
| ``floor.py`` | the floor subscriber (``python -m bench.peers.floor``) |
| ``nodered_flow.py`` | Node-RED's ``flows.json`` and ``settings.js`` |
| ``nodered.py`` | npm install of Node-RED into the work dir; run it headless |
| ``variants.py`` | start a variant with its own Mosquitto and influxd |
| ``cpu.py`` | CPU seconds of process trees and of the machine |
| ``measure.py`` | one variant on one mix: warm-up, publish, count, result |
| ``report.py`` | table, ratios, JSON |
| ``cli.py`` | arguments and the run loop |
"""
