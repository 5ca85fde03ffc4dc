"""The health report of ``GET /healthz``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

__all__ = ["ComponentOut", "HealthOut"]


class ComponentOut(BaseModel):
    ok: bool
    detail: str


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    components: dict[str, ComponentOut]
