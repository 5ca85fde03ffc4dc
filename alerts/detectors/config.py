"""The anomaly detectors' configuration: the ``anomaly:`` section of a rules file.

``load_anomaly_config(path | None)`` reads the ``anomaly:`` section of
``alerts/default_rules.yaml`` and then, if given, the ``anomaly:`` section of ``path``
over it (fields not given keep their default).
Unknown fields are errors. :class:`Cadence` turns the hour-based settings into record
counts for one series.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import msgspec
import msgspec.yaml
from msgspec import Meta

from lifeline.core.errors import ConfigError

__all__ = ["DEFAULTS_PATH", "AnomalyConfig", "Cadence", "load_anomaly_config"]

DEFAULTS_PATH = Path(__file__).resolve().parent.parent / "default_rules.yaml"

Positive = Annotated[float, Meta(gt=0)]
Unit = Annotated[float, Meta(gt=0, le=1)]
HOUR_MS = 3_600_000


class AnomalyConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Every knob of the generic detector (meanings: ``anomaly:`` in default_rules.yaml)."""

    threshold: Unit = 0.5
    cooldown_h: Annotated[float, Meta(ge=0)] = 24.0
    warmup_h: Annotated[float, Meta(ge=0)] = 24.0
    cadence_records: Annotated[int, Meta(ge=1, le=64)] = 16
    log_decades: Positive = 5.0
    component_log_decades: Positive = 10.0
    level_half_life_h: Positive = 24.0
    season_half_life_days: Positive = 3.0
    season_gain: Unit = 0.7
    season_min_records: Annotated[int, Meta(ge=1)] = 3
    error_half_life_h: Positive = 24.0
    scale_half_life_h: Positive = 48.0
    shift_half_life_h: Positive = 0.5
    stuck_factor: Annotated[float, Meta(gt=1)] = 2.0
    likelihood_half_life_h: Positive = 168.0
    likelihood_short_records: Positive = 2.0
    range_margin: Annotated[float, Meta(ge=0)] = 0.1
    range_learn_h: Annotated[float, Meta(ge=0)] = 48.0


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


class Cadence(msgspec.Struct, frozen=True):
    """The configuration in records of one series whose records are ``dt_ms`` apart."""

    dt_ms: float
    a_level: float
    a_bin: float
    a_error: float
    a_scale: float
    a_shift: float
    a_lik: float
    a_short: float
    warmup_records: int
    range_learn_records: int

    @classmethod
    def of(cls, cfg: AnomalyConfig, dt_ms: float) -> Cadence:
        def records(hours: float) -> float:
            return hours * HOUR_MS / dt_ms

        return cls(
            dt_ms=dt_ms,
            a_level=_alpha(records(cfg.level_half_life_h)),
            # an hour bin is visited ~records(1) times a day
            a_bin=_alpha(cfg.season_half_life_days * max(1.0, records(1.0))),
            a_error=_alpha(records(cfg.error_half_life_h)),
            a_scale=_alpha(records(cfg.scale_half_life_h)),
            a_shift=_alpha(records(cfg.shift_half_life_h)),
            a_lik=_alpha(records(cfg.likelihood_half_life_h)),
            a_short=_alpha(cfg.likelihood_short_records),
            warmup_records=max(cfg.cadence_records + 1, round(records(cfg.warmup_h))),
            range_learn_records=max(2, round(records(cfg.range_learn_h))),
        )
