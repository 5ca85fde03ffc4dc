"""Lifeline: ``lifeline.core`` is the pure vocabulary (no I/O); the rest of the package
is process wiring: settings, logs, the MQTT client and embedded broker, store opening
and the ``lifeline`` command (README.md)."""
