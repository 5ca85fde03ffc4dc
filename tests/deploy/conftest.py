"""Fixtures of the deployment tests: the compose binary and the rendered compose model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose import compose_binary, render


@pytest.fixture(scope="session")
def compose_bin() -> Path:
    return compose_binary()


@pytest.fixture(scope="session")
def model(compose_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return render(compose_bin, tmp_path_factory.mktemp("compose"))
