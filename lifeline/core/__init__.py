"""Lifeline core: the pure vocabulary shared by every other part.

Nothing in the core does I/O, and it imports only itself, the standard library and
msgspec (tests/test_layers.py enforces it). Modules:

- ``ids``        identifier rules and source kinds
- ``topics``     the MQTT topic contract (parse and build)
- ``payloads``   wire payloads of contract v1, as msgspec structs
- ``records``    validated records passed through the pipeline
- ``codec``      records to and from their wire bodies
- ``partitions`` which worker owns which source (scaled-out rules)
- ``alert``      alert severities, states and the alert value
- ``registry``   registry entities (channels, enterprises, stations, meters, utilities)
- ``identity``   API users, roles and sessions
- ``accounts``   MQTT accounts, their grants, password-file and ACL renderers
- ``ports``      Protocols for stores, notifiers and the clock
- ``errors``     the error hierarchy
- ``timeutil``   milliseconds since the epoch
"""

__all__ = ["CONTRACT_VERSION"]

CONTRACT_VERSION = 1
