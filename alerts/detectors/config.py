"""The anomaly detectors' configuration: the ``anomaly:`` section of a rules file.

``load_anomaly_config(path | None)`` reads the ``anomaly:`` section of
``alerts/default_rules.yaml`` and then, if given, the ``anomaly:`` section of ``path``
over it (fields not given keep their default).
Unknown fields are errors. :class:`Rates` turns the half-lives (in records) into EWMA
weights.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import msgspec
import msgspec.yaml
from msgspec import Meta

from lifeline.core.errors import ConfigError

__all__ = ["DEFAULTS_PATH", "AnomalyConfig", "Rates", "load_anomaly_config"]

DEFAULTS_PATH = Path(__file__).resolve().parent.parent / "default_rules.yaml"

Positive = Annotated[float, Meta(gt=0)]
Unit = Annotated[float, Meta(gt=0, le=1)]


class AnomalyConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Every knob of the generic detector (meanings: ``anomaly:`` in default_rules.yaml).

    Memories, learning and cool-down are counted in RECORDS, never in hours, so one
    configuration means the same at 1 s, 1 min or 5 min and a gap changes nothing;
    only the seasonal profile is indexed by clock time (hour of day, day of week).
    """

    threshold: Unit = 0.5
    cooldown_records: Annotated[int, Meta(ge=0)] = 288
    cooldown_break: Annotated[float, Meta(ge=1)] = 2.0
    learn_records: Annotated[int, Meta(ge=1)] = 150
    log_decades: Positive = 5.0
    component_log_decades: Positive = 10.0
    level_half_life: Positive = 96.0
    season_half_life: Positive = 36.0
    season_gain: Unit = 0.7
    season_min_records: Annotated[int, Meta(ge=1)] = 3
    error_half_life: Positive = 288.0
    scale_half_life: Positive = 576.0
    shift_half_life: Positive = 6.0
    drift_half_life: Annotated[float, Meta(ge=0)] = 48.0
    stuck_factor: Annotated[float, Meta(gt=1)] = 2.0
    likelihood_half_life: Positive = 2016.0
    likelihood_short: Positive = 2.0
    likelihood_clip_z: Annotated[float, Meta(ge=0)] = 6.0
    range_margin: Annotated[float, Meta(ge=0)] = 0.1
    range_learn_records: Annotated[int, Meta(ge=2)] = 576


class _File(msgspec.Struct):
    anomaly: dict[str, Any] = msgspec.field(default_factory=dict)


def _section(path: Path) -> dict[str, Any]:
    try:
        return msgspec.yaml.decode(path.read_bytes(), type=_File).anomaly
    except (OSError, msgspec.DecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def load_anomaly_config(path: Path | None = None) -> AnomalyConfig:
    """Shipped defaults, overridden field by field by ``path``'s ``anomaly:`` section."""
    merged = _section(DEFAULTS_PATH)
    if path is not None:
        merged |= _section(path)
    try:
        return msgspec.convert(merged, AnomalyConfig)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"anomaly: {exc}") from exc


def _alpha(half_life_records: float) -> float:
    return float(1.0 - 0.5 ** (1.0 / max(1.0, half_life_records)))


class Rates(msgspec.Struct, frozen=True):
    """The EWMA weights per record of a configuration (``a = 1 - 0.5 ** (1 / half-life)``)."""

    a_level: float
    a_bin: float
    a_error: float
    a_scale: float
    a_shift: float
    a_drift: float
    a_lik: float
    a_short: float
    u_clip: float  # log1p(likelihood_clip_z); inf: no clip

    @classmethod
    def of(cls, cfg: AnomalyConfig) -> Rates:
        return cls(
            a_level=_alpha(cfg.level_half_life),
            a_bin=_alpha(cfg.season_half_life),  # per visit of the bin
            a_error=_alpha(cfg.error_half_life),
            a_scale=_alpha(cfg.scale_half_life),
            a_shift=_alpha(cfg.shift_half_life),
            a_drift=_alpha(cfg.drift_half_life) if cfg.drift_half_life > 0 else 0.0,
            a_lik=_alpha(cfg.likelihood_half_life),
            a_short=_alpha(cfg.likelihood_short),
            u_clip=math.log1p(cfg.likelihood_clip_z) if cfg.likelihood_clip_z > 0 else math.inf,
        )
