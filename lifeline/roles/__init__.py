"""The composition root: each module builds and runs one role from the settings.

``stack`` (``lifeline up``), ``ingest``, ``rules`` and ``api`` (scaled out) compose the
parts with ``wiring`` (clocks, engine, API, health), ``stores`` (each store opened once)
and ``process`` (jobs until a signal, bounded stop, child processes). Only the CLI
imports this package; it imports every other one.
"""
