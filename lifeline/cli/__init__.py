"""The ``lifeline`` command: ``main`` (every subcommand) and ``accounts``."""

from lifeline.cli.main import main

__all__ = ["main"]
