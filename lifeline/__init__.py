"""Lifeline core: the pure vocabulary shared by ingest, alerts, store, api and simulators.

Nothing in the core does I/O. Modules:

- ``ids``       identifier rules and source kinds
- ``topics``    the MQTT topic contract (parse and build)
- ``payloads``  wire payloads of contract v1, as msgspec structs
- ``records``   validated records passed through the pipeline
- ``alert``     alert severities, states and the alert value
- ``registry``  registry entities (channels, enterprises, stations, meters, utilities)
- ``ports``     Protocols for stores, notifiers and the clock
- ``errors``    the error hierarchy
"""

__all__ = ["CONTRACT_VERSION"]

CONTRACT_VERSION = 1
