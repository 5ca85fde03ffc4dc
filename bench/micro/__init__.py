"""In-process micro-benchmarks: ``python -m bench.micro.pipeline`` and ``bench.micro.nab``."""
