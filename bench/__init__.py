"""Benchmarks and fault drills over real processes: ``lifeline bench`` and ``lifeline drill``.

See bench/README.md. Nothing here is imported by the service itself.
"""
