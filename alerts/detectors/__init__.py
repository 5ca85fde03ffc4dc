"""Streaming anomaly detectors (see base.py for the interface)."""
