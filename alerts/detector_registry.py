"""Which anomaly detectors an ``anomaly`` rule may name, and how one is built.

``DETECTORS`` maps a rule's ``detector:`` to a :class:`DetectorSpec`: whether it is
univariate (a rule ``metric``) or multivariate (``metrics``) and a builder that
validates ``params`` into the detector's msgspec config Struct (unknown parameters are
errors). The generic detectors of ``alerts/detectors/components.py`` are registered too
(imported on first use; their ``params`` override the ``anomaly:`` defaults).
:func:`build_detector` raises ``ValueError`` with a readable reason; the rules loader
turns it into a ``ConfigError``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple, TypeVar

import msgspec

from alerts.detectors.base import Detector, MultiDetector, Verdict
from alerts.detectors.domain_gas import (
    BaselineDrift,
    BaselineDriftConfig,
    RateOfRise,
    RateOfRiseConfig,
    StuckValue,
    StuckValueConfig,
)
from alerts.detectors.domain_meter import (
    ContinuousFlow,
    ContinuousFlowConfig,
    MicroLeak,
    MicroLeakConfig,
)
from alerts.detectors.domain_station import (
    Burst,
    BurstConfig,
    MahalanobisConfig,
    StationMahalanobis,
    UnderHeatingCurve,
    UnderHeatingCurveConfig,
)
from alerts.detectors.multivariate import MultivariateConfig, MultivariateDetector

__all__ = [
    "DETECTORS",
    "AnyDetector",
    "DetectorSpec",
    "ParamValue",
    "TypedDetector",
    "build_detector",
]

ParamValue = float | int | str | bool | list[str] | None
AnyDetector = Detector[Any] | MultiDetector[Any]
C = TypeVar("C", bound=msgspec.Struct)


class DetectorSpec(NamedTuple):
    multi: bool
    build: Callable[[tuple[str, ...], Mapping[str, ParamValue]], AnyDetector]


def _config(kind: type[C], params: Mapping[str, ParamValue]) -> C:
    try:
        return msgspec.convert(dict(params), kind)
    except msgspec.ValidationError as exc:
        raise ValueError(f"params: {exc}") from exc


def _uni(kind: type[C], factory: Callable[[C], AnyDetector]) -> DetectorSpec:
    return DetectorSpec(False, lambda _metrics, params: factory(_config(kind, params)))


def _multi(kind: type[C], factory: Callable[[tuple[str, ...], C], AnyDetector]) -> DetectorSpec:
    return DetectorSpec(True, lambda metrics, params: factory(metrics, _config(kind, params)))


class TypedDetector:
    """A detector with the exact type of its state, for decoding a snapshot
    (``type(new_state())`` loses the parameters of a generic state such as
    ``StreamState[CombinedState]``)."""

    def __init__(self, inner: Detector[Any], state_type: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.state_type = state_type

    def new_state(self) -> Any:
        return self.inner.new_state()

    def update(self, state: Any, ts_ms: int, value: float) -> tuple[Any, Verdict]:
        return self.inner.update(state, ts_ms, value)


def _generic(factory_name: str, kernel_state: str) -> DetectorSpec:
    """A generic detector of ``alerts.detectors.components`` (its ``params`` override the
    ``anomaly:`` section of ``alerts/default_rules.yaml``); imported on first use."""

    def build(_metrics: tuple[str, ...], params: Mapping[str, ParamValue]) -> AnyDetector:
        from alerts.detectors import components, config, stream

        defaults = msgspec.structs.asdict(config.load_anomaly_config())
        cfg = _config(config.AnomalyConfig, {**defaults, **params})
        detector: Detector[Any] = getattr(components, factory_name)(cfg)
        module, _, name = kernel_state.rpartition(".")
        kernel = getattr(importlib.import_module(f"alerts.detectors.{module}"), name)
        return TypedDetector(detector, stream.StreamState[kernel])  # type: ignore[valid-type]

    return DetectorSpec(False, build)


DETECTORS: Final[Mapping[str, DetectorSpec]] = {
    # domain detectors (alerts/detectors/domain_*.py)
    "rate_of_rise": _uni(RateOfRiseConfig, RateOfRise),
    "baseline_drift": _uni(BaselineDriftConfig, BaselineDrift),
    "stuck_value": _uni(StuckValueConfig, StuckValue),
    "continuous_flow": _uni(ContinuousFlowConfig, ContinuousFlow),
    "micro_leak": _uni(MicroLeakConfig, MicroLeak),
    "under_heating_curve": _multi(UnderHeatingCurveConfig, UnderHeatingCurve),
    "burst": _multi(BurstConfig, Burst),
    "mahalanobis": _multi(MahalanobisConfig, StationMahalanobis),
    # generic multivariate, calibrated on its own scores (alerts/detectors/multivariate.py)
    "multivariate": _multi(MultivariateConfig, MultivariateDetector),
    # generic univariate detectors (alerts/detectors/components.py, tuned on NAB)
    "combined": _generic("combined_detector", "components.CombinedState"),
    "spike": _generic("spike_detector", "baseline.BaselineState"),
    "level_shift": _generic("level_shift_detector", "baseline.BaselineState"),
    "rate_of_change": _generic("rate_detector", "rate.RateState"),
    "flat_line": _generic("stuck_detector", "flatline.FlatlineState"),
    "range": _generic("range_detector", "extremes.RangeState"),
}


def build_detector(
    name: str, metrics: tuple[str, ...], params: Mapping[str, ParamValue]
) -> AnyDetector:
    """A detector from a rule's ``detector``, metric(s) and ``params``; ``ValueError``
    with the reason if the name or a parameter is wrong."""
    spec = DETECTORS.get(name)
    if spec is None:
        raise ValueError(f"unknown detector {name!r} (known: {', '.join(sorted(DETECTORS))})")
    try:
        return spec.build(metrics, params)
    except ValueError as exc:
        raise ValueError(f"detector {name}: {exc}") from exc
